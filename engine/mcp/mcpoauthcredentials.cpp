#include "mcp/mcpoauthcredentials.h"

#include <QJsonArray>

namespace Spool {

QJsonObject McpOAuthCredentials::toJson() const
{
    QJsonObject o{{QStringLiteral("issuer"), issuer},
                  {QStringLiteral("client_id"), clientId},
                  {QStringLiteral("token_endpoint_auth_method"), tokenEndpointAuthMethod},
                  {QStringLiteral("token_endpoint"), tokenEndpoint},
                  {QStringLiteral("resource"), resource},
                  {QStringLiteral("scopes"), QJsonArray::fromStringList(scopes)}};
    if (!clientSecret.isEmpty())
        o.insert(QStringLiteral("client_secret"), clientSecret);
    if (!accessToken.isEmpty())
        o.insert(QStringLiteral("access_token"), accessToken);
    if (!refreshToken.isEmpty())
        o.insert(QStringLiteral("refresh_token"), refreshToken);
    if (expiresAt.isValid())
        o.insert(QStringLiteral("expires_at"), expiresAt.toString(Qt::ISODate));
    return o;
}

McpOAuthCredentials McpOAuthCredentials::fromJson(const QJsonObject &o)
{
    McpOAuthCredentials c;
    c.issuer = o.value(QLatin1String("issuer")).toString();
    c.clientId = o.value(QLatin1String("client_id")).toString();
    c.clientSecret = o.value(QLatin1String("client_secret")).toString();
    c.tokenEndpointAuthMethod = o.value(QLatin1String("token_endpoint_auth_method")).toString();
    c.tokenEndpoint = o.value(QLatin1String("token_endpoint")).toString();
    c.resource = o.value(QLatin1String("resource")).toString();
    c.accessToken = o.value(QLatin1String("access_token")).toString();
    c.refreshToken = o.value(QLatin1String("refresh_token")).toString();
    c.expiresAt = QDateTime::fromString(o.value(QLatin1String("expires_at")).toString(), Qt::ISODate);
    for (const QJsonValue &s : o.value(QLatin1String("scopes")).toArray())
        c.scopes.append(s.toString());
    return c;
}

} // namespace Spool
