#pragma once

#include "mcp/mcptokenstore.h"

#include <QObject>

namespace Spool {

class McpSecretStore;

// The OAuth credentials of one remote server in the keychain: one JSON entry under `ref`
// ("mcp/<server>/oauth"), whatever server key the flow passes. One store per server, so that
// removing a server removes exactly its credentials.
class McpKeychainTokenStore : public McpTokenStore
{
public:
    McpKeychainTokenStore(McpSecretStore &secrets, QString ref) : m_secrets(secrets), m_ref(std::move(ref)) {}
    bool hasCredentials() const { return m_hasCredentials; }

    void load(const QString &serverKey, QObject *context,
              std::function<void(std::optional<McpOAuthCredentials>)> done) override;
    void save(const QString &serverKey, const McpOAuthCredentials &credentials) override;
    void remove(const QString &serverKey) override;

private:
    McpSecretStore &m_secrets;
    QString m_ref;
    bool m_hasCredentials = false;
    QObject m_context; // writes outlive the flow that asked for them
};

} // namespace Spool
