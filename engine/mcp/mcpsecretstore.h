#pragma once

#include "core/result.h"

#include <QObject>
#include <QString>

#include <functional>

namespace Spool {

// Where the secrets of MCP servers live: env values and headers marked secret, OAuth tokens.
// The gateway implements it on the keychain (KeyStore), which this library cannot reach; tests
// keep secrets in memory. Asynchronous, as keychains are; `done` runs on the store's thread,
// never after `context` is gone. A missing entry reads as ErrorCode::NotFound.
class McpSecretStore
{
public:
    virtual ~McpSecretStore() = default;
    virtual void read(const QString &ref, QObject *context,
                      std::function<void(const Result<QString> &)> done) = 0;
    virtual void write(const QString &ref, const QString &value, QObject *context,
                       std::function<void(const Status &)> done) = 0;
    virtual void remove(const QString &ref, QObject *context, std::function<void(const Status &)> done) = 0;
};

} // namespace Spool
