#include "mcp/mcpoauthflow.h"

#include "core/logging.h"
#include "mcp/mcpauthorizationbrowser.h"
#include "mcp/mcptokenstore.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QUrlQuery>

namespace Spool {

struct McpOAuthFlow::Attempt
{
    QMap<QString, QString> challenge;
    bool stepUp = false;
    QJsonObject resourceMetadata; // empty: the server published none (2025-03-26 style)
    QString resource;             // the canonical server URI sent as `resource`
    QUrl issuer;
    QJsonObject serverMetadata;
    QString verifier;
    QString state;
    QStringList scopes;
};

namespace {

QString base64Url(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QString randomToken(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    QRandomGenerator *gen = QRandomGenerator::system();
    for (char &c : raw)
        c = char(gen->bounded(256));
    return base64Url(raw);
}

QByteArray formEncode(const QList<std::pair<QString, QString>> &form)
{
    QByteArray out;
    for (const auto &[key, value] : form) {
        if (!out.isEmpty())
            out.append('&');
        out.append(QUrl::toPercentEncoding(key));
        out.append('=');
        out.append(QUrl::toPercentEncoding(value));
    }
    return out;
}

QString origin(const QUrl &url)
{
    return url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment
                        | QUrl::RemoveUserInfo).toString(QUrl::StripTrailingSlash);
}

QString trimmedPath(const QUrl &url)
{
    QString path = url.path();
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    return path;
}

// The server URL in the canonical form RFC 8707 and the MCP spec want: no fragment, no
// trailing slash, lowercase scheme and host (QUrl lowercases those already).
QString canonicalResource(const QUrl &url)
{
    return url.adjusted(QUrl::RemoveFragment | QUrl::StripTrailingSlash).toString();
}

// A protected resource may name a parent of the URL we connect to, never another place.
bool resourceCovers(const QString &resource, const QUrl &serverUrl)
{
    const QUrl r(resource);
    if (!r.isValid() || r.scheme() != serverUrl.scheme() || r.host() != serverUrl.host()
        || r.port(r.scheme() == QLatin1String("https") ? 443 : 80)
            != serverUrl.port(serverUrl.scheme() == QLatin1String("https") ? 443 : 80))
        return false;
    const QString rp = trimmedPath(r);
    const QString sp = trimmedPath(serverUrl);
    return rp.isEmpty() || sp == rp || sp.startsWith(rp + QLatin1Char('/'));
}

QStringList splitScopes(const QString &s)
{
    return s.split(QLatin1Char(' '), Qt::SkipEmptyParts);
}

} // namespace

McpOAuthFlow::McpOAuthFlow(QUrl serverUrl, McpOAuthConfig config, QNetworkAccessManager *network,
                           McpAuthorizationBrowser *browser, McpTokenStore *store, QObject *parent)
    : QObject(parent), m_serverUrl(std::move(serverUrl)), m_config(std::move(config)),
      m_network(network), m_browser(browser), m_store(store)
{
}

McpOAuthFlow::~McpOAuthFlow() = default;

QMap<QString, QString> McpOAuthFlow::parseChallenge(const QByteArray &header)
{
    QMap<QString, QString> out;
    const QString text = QString::fromLatin1(header);
    const qsizetype bearer = text.indexOf(QLatin1String("bearer"), 0, Qt::CaseInsensitive);
    if (bearer < 0)
        return out;
    static const QRegularExpression param(
        QStringLiteral("([A-Za-z_][A-Za-z0-9_-]*)\\s*=\\s*(?:\"((?:[^\"\\\\]|\\\\.)*)\"|([^\\s,]+))"));
    QRegularExpressionMatchIterator it = param.globalMatch(text, bearer + 6);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        QString value = m.captured(2).isNull() ? m.captured(3) : m.captured(2);
        value.replace(QLatin1String("\\\""), QLatin1String("\""));
        out.insert(m.captured(1).toLower(), value);
    }
    return out;
}

void McpOAuthFlow::prepare(std::function<void()> done)
{
    if (!m_store) {
        done();
        return;
    }
    m_store->load(m_serverUrl.toString(), this, [this, done](std::optional<McpOAuthCredentials> c) {
        if (c)
            m_credentials = *c;
        if (!m_credentials.accessTokenUsable() && !m_credentials.refreshToken.isEmpty()
            && !m_credentials.tokenEndpoint.isEmpty()) {
            auto a = std::make_shared<Attempt>();
            a->resource = m_credentials.resource;
            refresh(a, [done](const Status &) { done(); });
            return;
        }
        done();
    });
}

void McpOAuthFlow::authorize(int httpStatus, const QByteArray &wwwAuthenticate,
                             std::function<void(Status)> done)
{
    m_waiters.append(std::move(done));
    if (m_running)
        return;
    m_running = true;
    auto a = std::make_shared<Attempt>();
    a->challenge = parseChallenge(wwwAuthenticate);
    a->stepUp = httpStatus == 403;
    emit progress(a->stepUp ? QStringLiteral("the server wants more scopes (%1); authorizing again")
                                  .arg(a->challenge.value(QStringLiteral("scope")))
                            : QStringLiteral("the server needs authorization"));
    auto discover = [this, a] {
        QList<QUrl> candidates;
        const QString metadata = a->challenge.value(QStringLiteral("resource_metadata"));
        if (!metadata.isEmpty())
            candidates.append(m_serverUrl.resolved(QUrl(metadata)));
        // RFC 9728: the path-specific location first, then the root.
        const QString path = trimmedPath(m_serverUrl);
        if (!path.isEmpty())
            candidates.append(QUrl(origin(m_serverUrl) + QStringLiteral("/.well-known/oauth-protected-resource") + path));
        candidates.append(QUrl(origin(m_serverUrl) + QStringLiteral("/.well-known/oauth-protected-resource")));
        discoverResource(a, candidates);
    };
    // A refresh token is tried once before a new consent; a refreshed token that is refused
    // again means the grant itself is gone.
    if (!a->stepUp && !m_tokenFromRefresh && !m_credentials.refreshToken.isEmpty()
        && !m_credentials.tokenEndpoint.isEmpty()) {
        a->resource = m_credentials.resource;
        refresh(a, [this, discover](const Status &s) {
            if (s.ok())
                finish(s);
            else
                discover();
        });
        return;
    }
    discover();
}

void McpOAuthFlow::refresh(std::shared_ptr<Attempt> a, std::function<void(Status)> then)
{
    emit progress(QStringLiteral("refreshing the access token"));
    QList<std::pair<QString, QString>> form{{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                                            {QStringLiteral("refresh_token"), m_credentials.refreshToken}};
    if (!a->resource.isEmpty())
        form.append({QStringLiteral("resource"), a->resource});
    requestToken(a, form, [this, then](const Status &s) {
        m_tokenFromRefresh = s.ok();
        if (!s.ok()) {
            emit progress(QStringLiteral("refresh failed: %1").arg(s.errorMessage()));
            m_credentials.refreshToken.clear();
        }
        then(s);
    });
}

void McpOAuthFlow::getJson(const QUrl &url, std::function<void(Result<QJsonObject>, int)> done)
{
    QNetworkRequest request(url);
    request.setRawHeader("Accept", "application/json");
    request.setTransferTimeout(15000);
    QNetworkReply *reply = m_network->get(request);
    connect(reply, &QNetworkReply::finished, this, [reply, url, done] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray body = reply->read(4 * 1024 * 1024);
        if (status != 200) {
            done(makeError(ErrorCode::Provider, QStringLiteral("%1 answered HTTP %2").arg(url.toString()).arg(status)), status);
            return;
        }
        const QJsonDocument doc = QJsonDocument::fromJson(body);
        if (!doc.isObject()) {
            done(makeError(ErrorCode::Provider, QStringLiteral("%1 is not a JSON object").arg(url.toString())), status);
            return;
        }
        done(doc.object(), status);
    });
}

void McpOAuthFlow::discoverResource(std::shared_ptr<Attempt> a, QList<QUrl> candidates)
{
    if (candidates.isEmpty()) {
        // No protected resource metadata: a 2025-03-26 server, its own authorization server.
        emit progress(QStringLiteral("no protected resource metadata; using the server's origin as its authorization server"));
        a->resource = canonicalResource(m_serverUrl);
        a->issuer = QUrl(origin(m_serverUrl));
        discoverServer(a, {});
        return;
    }
    const QUrl url = candidates.takeFirst();
    getJson(url, [this, a, candidates, url](Result<QJsonObject> r, int) {
        if (!r || r->value(QLatin1String("authorization_servers")).toArray().isEmpty()) {
            discoverResource(a, candidates);
            return;
        }
        a->resourceMetadata = *r;
        const QString resource = r->value(QLatin1String("resource")).toString();
        if (!resource.isEmpty() && !resourceCovers(resource, m_serverUrl)) {
            finish(makeError(ErrorCode::Provider,
                             QStringLiteral("the server's protected resource metadata (%1) is for %2, not for %3; "
                                            "Spool will not send your authorization there")
                                 .arg(url.toString(), resource, m_serverUrl.toString())));
            return;
        }
        a->resource = resource.isEmpty() ? canonicalResource(m_serverUrl) : resource;
        a->issuer = QUrl(r->value(QLatin1String("authorization_servers")).toArray().first().toString());
        emit progress(QStringLiteral("authorization server: %1").arg(a->issuer.toString()));
        discoverServer(a, {});
    });
}

void McpOAuthFlow::discoverServer(std::shared_ptr<Attempt> a, QList<QUrl> candidates)
{
    if (a->serverMetadata.isEmpty() && candidates.isEmpty()) {
        // RFC 8414 inserts the well-known part before the issuer's path; OpenID Connect
        // discovery appends it, and 2025-11-25 asks clients to try both.
        const QString base = origin(a->issuer);
        const QString path = trimmedPath(a->issuer);
        if (path.isEmpty()) {
            candidates = {QUrl(base + QStringLiteral("/.well-known/oauth-authorization-server")),
                          QUrl(base + QStringLiteral("/.well-known/openid-configuration"))};
        } else {
            candidates = {QUrl(base + QStringLiteral("/.well-known/oauth-authorization-server") + path),
                          QUrl(base + QStringLiteral("/.well-known/openid-configuration") + path),
                          QUrl(base + path + QStringLiteral("/.well-known/openid-configuration"))};
        }
        a->serverMetadata = QJsonObject{{QStringLiteral("_pending"), true}};
    }
    if (candidates.isEmpty()) {
        // Neither metadata document: the 2025-03-26 default endpoints at the server's root.
        const QString base = origin(a->issuer);
        emit progress(QStringLiteral("no authorization server metadata; using the default endpoints of %1").arg(base));
        a->serverMetadata = QJsonObject{
            {QStringLiteral("issuer"), base},
            {QStringLiteral("authorization_endpoint"), QString(base + QStringLiteral("/authorize"))},
            {QStringLiteral("token_endpoint"), QString(base + QStringLiteral("/token"))},
            {QStringLiteral("registration_endpoint"), QString(base + QStringLiteral("/register"))},
            {QStringLiteral("_fallback"), true}};
        chooseClient(a);
        return;
    }
    const QUrl url = candidates.takeFirst();
    getJson(url, [this, a, candidates](Result<QJsonObject> r, int) {
        if (!r || r->value(QLatin1String("authorization_endpoint")).toString().isEmpty()
            || r->value(QLatin1String("token_endpoint")).toString().isEmpty()) {
            discoverServer(a, candidates);
            return;
        }
        const QJsonValue methods = r->value(QLatin1String("code_challenge_methods_supported"));
        if (!methods.toArray().contains(QStringLiteral("S256"))) {
            finish(makeError(ErrorCode::Provider,
                             QStringLiteral("the authorization server %1 does not offer PKCE with S256, "
                                            "which MCP requires; not authorizing")
                                 .arg(a->issuer.toString())));
            return;
        }
        a->serverMetadata = *r;
        chooseClient(a);
    });
}

QString McpOAuthFlow::chooseAuthMethod(const QJsonObject &serverMetadata, bool hasSecret) const
{
    const QJsonArray supported = serverMetadata.value(QLatin1String("token_endpoint_auth_methods_supported")).toArray();
    if (!hasSecret)
        return QStringLiteral("none");
    if (supported.isEmpty() || supported.contains(QStringLiteral("client_secret_basic")))
        return QStringLiteral("client_secret_basic");
    if (supported.contains(QStringLiteral("client_secret_post")))
        return QStringLiteral("client_secret_post");
    return QStringLiteral("client_secret_basic");
}

void McpOAuthFlow::chooseClient(std::shared_ptr<Attempt> a)
{
    const QString issuer = a->serverMetadata.value(QLatin1String("issuer")).toString(a->issuer.toString());
    if (!m_config.clientId.isEmpty()) {
        m_credentials.issuer = issuer;
        m_credentials.clientId = m_config.clientId;
        m_credentials.clientSecret = m_config.clientSecret;
        m_credentials.tokenEndpointAuthMethod = chooseAuthMethod(a->serverMetadata, !m_config.clientSecret.isEmpty());
        openBrowser(a);
        return;
    }
    if (m_credentials.hasClient() && m_credentials.issuer == issuer) {
        openBrowser(a);
        return;
    }
    if (a->serverMetadata.value(QLatin1String("client_id_metadata_document_supported")).toBool()
        && m_config.clientMetadataUrl.isValid()) {
        emit progress(QStringLiteral("using the client ID metadata document %1").arg(m_config.clientMetadataUrl.toString()));
        m_credentials = McpOAuthCredentials{};
        m_credentials.issuer = issuer;
        m_credentials.clientId = m_config.clientMetadataUrl.toString();
        m_credentials.tokenEndpointAuthMethod = QStringLiteral("none");
        openBrowser(a);
        return;
    }
    if (a->serverMetadata.value(QLatin1String("registration_endpoint")).toString().isEmpty()) {
        finish(makeError(ErrorCode::Provider,
                         QStringLiteral("the authorization server %1 does not register clients; "
                                        "give this server a client ID in its settings")
                             .arg(issuer)));
        return;
    }
    registerClient(a);
}

void McpOAuthFlow::registerClient(std::shared_ptr<Attempt> a)
{
    const QUrl endpoint(a->serverMetadata.value(QLatin1String("registration_endpoint")).toString());
    emit progress(QStringLiteral("registering with %1").arg(endpoint.toString()));
    const QJsonArray supported = a->serverMetadata.value(QLatin1String("token_endpoint_auth_methods_supported")).toArray();
    // A desktop app cannot keep a secret; ask to be a public client when the server allows it.
    QString method = QStringLiteral("none");
    if (!supported.isEmpty() && !supported.contains(QStringLiteral("none")))
        method = supported.contains(QStringLiteral("client_secret_basic")) ? QStringLiteral("client_secret_basic")
                                                                           : supported.first().toString();
    QJsonObject body{{QStringLiteral("client_name"), m_config.clientName},
                     {QStringLiteral("redirect_uris"), QJsonArray{m_browser->redirectUri().toString()}},
                     {QStringLiteral("grant_types"), QJsonArray{QStringLiteral("authorization_code"), QStringLiteral("refresh_token")}},
                     {QStringLiteral("response_types"), QJsonArray{QStringLiteral("code")}},
                     {QStringLiteral("token_endpoint_auth_method"), method}};
    QNetworkRequest request(endpoint);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("Accept", "application/json");
    request.setTransferTimeout(15000);
    QNetworkReply *reply = m_network->post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    connect(reply, &QNetworkReply::finished, this, [this, a, reply, endpoint, method] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QJsonObject answer = QJsonDocument::fromJson(reply->read(1024 * 1024)).object();
        if ((status != 200 && status != 201) || answer.value(QLatin1String("client_id")).toString().isEmpty()) {
            finish(makeError(ErrorCode::Provider, QStringLiteral("client registration at %1 failed (HTTP %2)")
                                                      .arg(endpoint.toString()).arg(status)));
            return;
        }
        m_credentials = McpOAuthCredentials{};
        m_credentials.issuer = a->serverMetadata.value(QLatin1String("issuer")).toString(a->issuer.toString());
        m_credentials.clientId = answer.value(QLatin1String("client_id")).toString();
        m_credentials.clientSecret = answer.value(QLatin1String("client_secret")).toString();
        m_credentials.tokenEndpointAuthMethod = answer.value(QLatin1String("token_endpoint_auth_method")).toString();
        if (m_credentials.tokenEndpointAuthMethod.isEmpty())
            m_credentials.tokenEndpointAuthMethod = m_credentials.clientSecret.isEmpty()
                ? QStringLiteral("none") : chooseAuthMethod(a->serverMetadata, true);
        Q_UNUSED(method);
        openBrowser(a);
    });
}

void McpOAuthFlow::openBrowser(std::shared_ptr<Attempt> a)
{
    // Scope selection (2025-11-25): the challenge's scope, else everything the resource lists,
    // else no scope at all. A step-up keeps what was granted and adds what is asked.
    const QString challenged = a->challenge.value(QStringLiteral("scope"));
    if (!challenged.isEmpty()) {
        a->scopes = splitScopes(challenged);
    } else {
        for (const QJsonValue &s : a->resourceMetadata.value(QLatin1String("scopes_supported")).toArray())
            a->scopes.append(s.toString());
    }
    if (a->stepUp) {
        for (const QString &s : m_credentials.scopes)
            if (!a->scopes.contains(s))
                a->scopes.prepend(s);
    }
    a->verifier = randomToken(32);
    a->state = randomToken(16);
    const QString challenge = base64Url(QCryptographicHash::hash(a->verifier.toLatin1(), QCryptographicHash::Sha256));
    QList<std::pair<QString, QString>> params{
        {QStringLiteral("response_type"), QStringLiteral("code")},
        {QStringLiteral("client_id"), m_credentials.clientId},
        {QStringLiteral("redirect_uri"), m_browser->redirectUri().toString()},
        {QStringLiteral("code_challenge"), challenge},
        {QStringLiteral("code_challenge_method"), QStringLiteral("S256")},
        {QStringLiteral("state"), a->state}};
    if (!a->scopes.isEmpty())
        params.append({QStringLiteral("scope"), a->scopes.join(QLatin1Char(' '))});
    params.append({QStringLiteral("resource"), a->resource});
    QUrl url(a->serverMetadata.value(QLatin1String("authorization_endpoint")).toString());
    const QString existing = url.query(QUrl::FullyEncoded);
    url.setQuery((existing.isEmpty() ? QString() : existing + QLatin1Char('&')) + QString::fromLatin1(formEncode(params)));
    emit progress(QStringLiteral("asking for consent at %1").arg(url.adjusted(QUrl::RemoveQuery).toString()));
    m_browser->authorize(url, this, [this, a](Result<QUrl> redirected) {
        if (!redirected) {
            finish(redirected.error());
            return;
        }
        const QUrlQuery q(*redirected);
        if (q.hasQueryItem(QStringLiteral("error"))) {
            finish(makeError(ErrorCode::Provider, QStringLiteral("authorization was refused: %1 %2")
                                                      .arg(q.queryItemValue(QStringLiteral("error"), QUrl::FullyDecoded),
                                                           q.queryItemValue(QStringLiteral("error_description"), QUrl::FullyDecoded))));
            return;
        }
        if (q.queryItemValue(QStringLiteral("state"), QUrl::FullyDecoded) != a->state) {
            finish(makeError(ErrorCode::Provider, QStringLiteral("the authorization answer did not carry our state; ignored")));
            return;
        }
        const QString code = q.queryItemValue(QStringLiteral("code"), QUrl::FullyDecoded);
        if (code.isEmpty()) {
            finish(makeError(ErrorCode::Provider, QStringLiteral("the authorization answer has no code")));
            return;
        }
        exchangeCode(a, code);
    });
}

void McpOAuthFlow::exchangeCode(std::shared_ptr<Attempt> a, const QString &code)
{
    m_credentials.tokenEndpoint = a->serverMetadata.value(QLatin1String("token_endpoint")).toString();
    m_credentials.resource = a->resource;
    requestToken(a,
                 {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                  {QStringLiteral("code"), code},
                  {QStringLiteral("redirect_uri"), m_browser->redirectUri().toString()},
                  {QStringLiteral("code_verifier"), a->verifier},
                  {QStringLiteral("resource"), a->resource}},
                 [this, a](const Status &s) {
                     if (s.ok() && m_credentials.scopes.isEmpty())
                         m_credentials.scopes = a->scopes;
                     m_tokenFromRefresh = false;
                     finish(s);
                 });
}

void McpOAuthFlow::requestToken(std::shared_ptr<Attempt>, QList<std::pair<QString, QString>> form,
                                std::function<void(Status)> then)
{
    QNetworkRequest request{QUrl(m_credentials.tokenEndpoint)};
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/x-www-form-urlencoded"));
    request.setRawHeader("Accept", "application/json");
    request.setTransferTimeout(15000);
    const QString method = m_credentials.tokenEndpointAuthMethod;
    if (method == QLatin1String("client_secret_basic")) {
        const QByteArray pair = QUrl::toPercentEncoding(m_credentials.clientId) + ':'
            + QUrl::toPercentEncoding(m_credentials.clientSecret);
        request.setRawHeader("Authorization", "Basic " + pair.toBase64());
    } else {
        form.append({QStringLiteral("client_id"), m_credentials.clientId});
        if (method == QLatin1String("client_secret_post"))
            form.append({QStringLiteral("client_secret"), m_credentials.clientSecret});
    }
    QNetworkReply *reply = m_network->post(request, formEncode(form));
    connect(reply, &QNetworkReply::finished, this, [this, reply, then] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QJsonObject answer = QJsonDocument::fromJson(reply->read(1024 * 1024)).object();
        const QString token = answer.value(QLatin1String("access_token")).toString();
        if (status != 200 || token.isEmpty()) {
            then(makeError(ErrorCode::Provider, QStringLiteral("the token endpoint refused (HTTP %1 %2 %3)")
                                                    .arg(status)
                                                    .arg(answer.value(QLatin1String("error")).toString(),
                                                         answer.value(QLatin1String("error_description")).toString())));
            return;
        }
        m_credentials.accessToken = token;
        const QString refresh = answer.value(QLatin1String("refresh_token")).toString();
        if (!refresh.isEmpty())
            m_credentials.refreshToken = refresh;
        const int expiresIn = answer.value(QLatin1String("expires_in")).toInt(0);
        m_credentials.expiresAt = expiresIn > 0 ? QDateTime::currentDateTimeUtc().addSecs(expiresIn) : QDateTime();
        const QString scope = answer.value(QLatin1String("scope")).toString();
        if (!scope.isEmpty())
            m_credentials.scopes = splitScopes(scope);
        else
            m_credentials.scopes.clear();
        if (m_store)
            m_store->save(m_serverUrl.toString(), m_credentials);
        emit progress(QStringLiteral("authorized"));
        then(Status{});
    });
}

void McpOAuthFlow::finish(const Status &status)
{
    m_running = false;
    if (!status.ok())
        qCWarning(lcMcp) << "authorization failed:" << status.errorMessage();
    const auto waiters = std::exchange(m_waiters, {});
    for (const auto &w : waiters)
        w(status);
}

} // namespace Spool
