#pragma once

#include "mcp/mcpsecretstore.h"

namespace Spool {

class KeyStore;

// MCP servers' secrets (env values, headers, OAuth tokens) in the keychain the providers' keys
// use: the mcp library cannot reach providers/, so the gateway hands it this.
class GatewayMcpSecrets : public McpSecretStore
{
public:
    explicit GatewayMcpSecrets(KeyStore &keys) : m_keys(keys) {}

    void read(const QString &ref, QObject *context, std::function<void(const Result<QString> &)> done) override;
    void write(const QString &ref, const QString &value, QObject *context,
               std::function<void(const Status &)> done) override;
    void remove(const QString &ref, QObject *context, std::function<void(const Status &)> done) override;

private:
    KeyStore &m_keys;
};

} // namespace Spool
