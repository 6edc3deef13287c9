#include "mcp/mcptokenstore.h"

#include <QMetaObject>

namespace Spool {

void McpMemoryTokenStore::load(const QString &serverKey, QObject *context,
                               std::function<void(std::optional<McpOAuthCredentials>)> done)
{
    std::optional<McpOAuthCredentials> found;
    if (auto it = m_items.constFind(serverKey); it != m_items.cend())
        found = *it;
    // Answer later, as a keychain would: callers must not rely on a synchronous answer.
    QMetaObject::invokeMethod(context, [done = std::move(done), found] { done(found); },
                              Qt::QueuedConnection);
}

void McpMemoryTokenStore::save(const QString &serverKey, const McpOAuthCredentials &credentials)
{
    m_items.insert(serverKey, credentials);
}

} // namespace Spool
