#include "gateway/gatewaymcpsecrets.h"

#include "providers/keystore.h"

namespace Spool {

void GatewayMcpSecrets::read(const QString &ref, QObject *context, std::function<void(const Result<QString> &)> done)
{
    m_keys.read(ref, context, std::move(done));
}

void GatewayMcpSecrets::write(const QString &ref, const QString &value, QObject *context,
                              std::function<void(const Status &)> done)
{
    m_keys.write(ref, value, context, std::move(done));
}

void GatewayMcpSecrets::remove(const QString &ref, QObject *context, std::function<void(const Status &)> done)
{
    m_keys.remove(ref, context, std::move(done));
}

} // namespace Spool
