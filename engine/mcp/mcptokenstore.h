#pragma once

#include "mcp/mcpoauthcredentials.h"

#include <QHash>
#include <QObject>

#include <functional>
#include <optional>

namespace Spool {

// Where OAuth credentials are kept, per server key. Asynchronous because the keychain is
// (phase 2 implements this on QtKeychain); `done` runs on `context`'s thread, never after
// `context` is gone.
class McpTokenStore
{
public:
    virtual ~McpTokenStore() = default;
    virtual void load(const QString &serverKey, QObject *context,
                      std::function<void(std::optional<McpOAuthCredentials>)> done) = 0;
    virtual void save(const QString &serverKey, const McpOAuthCredentials &credentials) = 0;
    virtual void remove(const QString &serverKey) = 0;
};

// Keeps credentials for the life of the process: tests, the conformance adapter, `mcp test`.
class McpMemoryTokenStore : public McpTokenStore
{
public:
    void load(const QString &serverKey, QObject *context,
              std::function<void(std::optional<McpOAuthCredentials>)> done) override;
    void save(const QString &serverKey, const McpOAuthCredentials &credentials) override;
    void remove(const QString &serverKey) override { m_items.remove(serverKey); }

private:
    QHash<QString, McpOAuthCredentials> m_items;
};

} // namespace Spool
