#include "api/apiaccesspolicy.h"

#include "api/apirequest.h"
#include "api/apisettings.h"
#include "api/apitoken.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace Spool {

namespace {

QString shown(const QByteArray &value)
{
    // Header values go to the log: keep them short and printable.
    QString s = QString::fromLatin1(value.left(80));
    for (QChar &c : s) {
        if (c.unicode() < 0x20 || c.unicode() > 0x7e)
            c = QLatin1Char('?');
    }
    return value.size() > 80 ? s + QStringLiteral("...") : s;
}

} // namespace

ApiAccessPolicy::ApiAccessPolicy(const ApiToken &token) : m_token(token) {}

void ApiAccessPolicy::setAllowedOrigins(const QStringList &origins)
{
    m_origins.clear();
    for (const QString &o : origins) {
        const QString n = ApiSettings::normalizeOrigin(o);
        if (!n.isEmpty() && !m_origins.contains(n))
            m_origins.append(n);
    }
}

std::optional<ApiError> ApiAccessPolicy::check(const ApiRequest &request, QString *reason) const
{
    if (auto e = checkHost(request, reason))
        return e;
    if (auto e = checkOrigin(request, reason))
        return e;
    return checkToken(request, reason);
}

std::optional<ApiError> ApiAccessPolicy::checkHost(const ApiRequest &request, QString *reason) const
{
    const QByteArray host = request.header("host").toLower();
    const QByteArray port = QByteArray::number(m_port);
    bool ok = request.headerCount("host") == 1;
    if (ok) {
        ok = false;
        for (const QByteArray &name : {QByteArrayLiteral("localhost"), QByteArrayLiteral("127.0.0.1"),
                                       QByteArrayLiteral("[::1]")}) {
            if (host == name + ':' + port || (m_port == 80 && host == name))
                ok = true;
        }
    }
    if (ok)
        return std::nullopt;
    if (reason) {
        *reason = request.headerCount("host") == 0
                ? QStringLiteral("no Host header")
                : QStringLiteral("Host \"%1\" is not localhost, 127.0.0.1 or [::1] with port %2 "
                                 "(DNS rebinding?)")
                          .arg(shown(request.header("host")))
                          .arg(m_port);
    }
    return ApiError::make(403, QStringLiteral("host_not_allowed"),
                          QStringLiteral("The Host header must be localhost:%1, 127.0.0.1:%1 or "
                                         "[::1]:%1.")
                                  .arg(m_port));
}

bool ApiAccessPolicy::isAllowedOrigin(const QByteArray &origin) const
{
    // Exact match against what the user listed; "null" (sandboxed frames, files) never passes.
    const QString o = QString::fromLatin1(origin).toLower();
    return !o.isEmpty() && o != QLatin1String("null") && m_origins.contains(o);
}

std::optional<ApiError> ApiAccessPolicy::checkOrigin(const ApiRequest &request, QString *reason) const
{
    if (request.headerCount("origin") == 0)
        return std::nullopt; // not a browser's cross-origin call: curl, SDKs, editors
    if (request.headerCount("origin") == 1 && isAllowedOrigin(request.header("origin")))
        return std::nullopt;
    if (reason)
        *reason = QStringLiteral("browser origin \"%1\" is not in the allowed origins")
                          .arg(shown(request.header("origin")));
    return ApiError::make(403, QStringLiteral("origin_not_allowed"),
                          QStringLiteral("Requests from this web origin are not allowed; add it "
                                         "to the allowed origins in Settings \u2192 Local API."));
}

std::optional<ApiError> ApiAccessPolicy::checkToken(const ApiRequest &request, QString *reason) const
{
    const QByteArray auth = request.header("authorization");
    const bool single = request.headerCount("authorization") == 1;
    const bool bearer = single && auth.size() > 7 && auth.left(7).toLower() == "bearer ";
    if (bearer && m_token.matches(auth.mid(7).trimmed()))
        return std::nullopt;
    if (reason) {
        *reason = request.headerCount("authorization") == 0 ? QStringLiteral("no bearer token")
                : !bearer ? QStringLiteral("the Authorization header is not one bearer token")
                          : QStringLiteral("wrong bearer token");
    }
    return ApiError::make(401, QStringLiteral("invalid_api_key"),
                          QStringLiteral("A valid bearer token is required (Authorization: Bearer "
                                         "<token>); the token is in %1.")
                                  .arg(m_token.path()));
}

std::optional<ApiError> ApiAccessPolicy::checkBody(const ApiRequest &request, QJsonObject *body,
                                                   QString *reason) const
{
    if (request.body.isEmpty()) {
        *body = {};
        return std::nullopt;
    }
    const QByteArray type = request.header("content-type");
    const qsizetype semicolon = type.indexOf(';');
    const QByteArray mime = (semicolon < 0 ? type : type.first(semicolon)).trimmed().toLower();
    if (mime != "application/json") {
        if (reason)
            *reason = QStringLiteral("body of type \"%1\" is not application/json").arg(shown(type));
        return ApiError::make(415, QStringLiteral("unsupported_media_type"),
                              QStringLiteral("Request bodies must be JSON sent as Content-Type: "
                                             "application/json."));
    }
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        if (reason)
            *reason = QStringLiteral("body is not a JSON object");
        return ApiError::make(400, QStringLiteral("invalid_json"),
                              error.error != QJsonParseError::NoError
                                      ? QStringLiteral("The body is not valid JSON: %1 at offset %2.")
                                                .arg(error.errorString())
                                                .arg(error.offset)
                                      : QStringLiteral("The body must be a JSON object."));
    }
    *body = doc.object();
    return std::nullopt;
}

bool ApiAccessPolicy::isAllowedPreflight(const ApiRequest &request) const
{
    return request.method == "OPTIONS" && request.headerCount("origin") == 1
            && !request.header("access-control-request-method").isEmpty()
            && isAllowedOrigin(request.header("origin"));
}

} // namespace Spool
