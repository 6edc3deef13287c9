#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Spool {

// What the OAuth flow keeps for one server between runs: the client registration it made (or
// was given) and the tokens. Secrets live here, so phase 2 stores it in the keychain and never
// on the tape.
struct McpOAuthCredentials
{
    QString issuer;          // the authorization server these belong to
    QString clientId;
    QString clientSecret;
    QString tokenEndpointAuthMethod; // none, client_secret_basic, client_secret_post
    QString tokenEndpoint;   // kept so a later run can refresh without discovery
    QString resource;        // the canonical server URI the tokens are bound to
    QString accessToken;
    QString refreshToken;
    QDateTime expiresAt;     // invalid when the server gave no lifetime
    QStringList scopes;      // as granted

    bool hasClient() const { return !clientId.isEmpty(); }
    bool accessTokenUsable() const
    {
        return !accessToken.isEmpty()
            && (!expiresAt.isValid() || QDateTime::currentDateTimeUtc().secsTo(expiresAt) > 30);
    }
    QJsonObject toJson() const;
    static McpOAuthCredentials fromJson(const QJsonObject &o);
};

} // namespace Spool
