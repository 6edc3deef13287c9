#pragma once

#include "api/apierror.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace Spool {

class ApiToken;
struct ApiRequest;

// The access rules of the local API (SPEC §8), checked on every request before it reaches a
// route, each refusal with the reason the log records:
//  - Host must be localhost, 127.0.0.1 or [::1] with the server's port: anything else, and no
//    Host at all, is 403, so a web page whose name was rebound to 127.0.0.1 cannot talk to us
//    (DNS rebinding, CVE-2024-28224);
//  - a browser Origin must be listed in the settings (403), and is then echoed back, never *;
//  - the bearer token must be present and right (401), compared in constant time;
//  - a body must be a JSON object sent as application/json (415, 400). JSON only also means a
//    browser cannot send a "simple" cross-site request: it must ask first, and is refused.
class ApiAccessPolicy
{
public:
    explicit ApiAccessPolicy(const ApiToken &token);

    void setPort(quint16 port) { m_port = port; }
    void setAllowedOrigins(const QStringList &origins);
    QStringList allowedOrigins() const { return m_origins; }

    // Host, then Origin, then the token. `reason` says why, for the log.
    std::optional<ApiError> check(const ApiRequest &request, QString *reason) const;
    std::optional<ApiError> checkHost(const ApiRequest &request, QString *reason) const;
    std::optional<ApiError> checkOrigin(const ApiRequest &request, QString *reason) const;
    std::optional<ApiError> checkToken(const ApiRequest &request, QString *reason) const;
    // The body as a JSON object: none at all is an empty object; anything else than a JSON
    // object sent as application/json is refused.
    std::optional<ApiError> checkBody(const ApiRequest &request, QJsonObject *body,
                                      QString *reason) const;

    // A CORS preflight (OPTIONS with Access-Control-Request-Method) from an allowed origin: it
    // carries no token by design and is answered without one.
    bool isAllowedPreflight(const ApiRequest &request) const;
    bool isAllowedOrigin(const QByteArray &origin) const;

private:
    const ApiToken &m_token;
    quint16 m_port = 0;
    QStringList m_origins;
};

} // namespace Spool
