#include "mcp/mcpkeychaintokenstore.h"

#include "core/logging.h"
#include "mcp/mcpsecretstore.h"

#include <QJsonDocument>
#include <QPointer>

namespace Spool {

void McpKeychainTokenStore::load(const QString &serverKey, QObject *context,
                                 std::function<void(std::optional<McpOAuthCredentials>)> done)
{
    Q_UNUSED(serverKey);
    QPointer<QObject> alive(&m_context);
    m_secrets.read(m_ref, context, [this, alive, done = std::move(done)](const Result<QString> &r) {
        if (!alive)
            return;
        if (!r) {
            if (r.error().code != ErrorCode::NotFound)
                qCWarning(lcMcp) << "cannot read the OAuth credentials" << m_ref << r.errorMessage();
            done(std::nullopt);
            return;
        }
        const QJsonDocument doc = QJsonDocument::fromJson(r->toUtf8());
        if (!doc.isObject()) {
            done(std::nullopt);
            return;
        }
        m_hasCredentials = true;
        done(McpOAuthCredentials::fromJson(doc.object()));
    });
}

void McpKeychainTokenStore::save(const QString &serverKey, const McpOAuthCredentials &credentials)
{
    Q_UNUSED(serverKey);
    m_hasCredentials = true;
    const QString json = QString::fromUtf8(QJsonDocument(credentials.toJson()).toJson(QJsonDocument::Compact));
    m_secrets.write(m_ref, json, &m_context, [ref = m_ref](const Status &s) {
        if (!s)
            qCWarning(lcMcp) << "cannot store the OAuth credentials" << ref << s.errorMessage();
    });
}

void McpKeychainTokenStore::remove(const QString &serverKey)
{
    Q_UNUSED(serverKey);
    m_hasCredentials = false;
    m_secrets.remove(m_ref, &m_context, [](const Status &) {});
}

} // namespace Spool
