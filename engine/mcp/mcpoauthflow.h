#pragma once

#include "core/result.h"
#include "mcp/mcpoauthcredentials.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QUrl>

#include <functional>
#include <memory>

class QNetworkAccessManager;

namespace Spool {

class McpAuthorizationBrowser;
class McpTokenStore;

struct McpOAuthConfig
{
    QString clientName = QStringLiteral("Spool");
    // A client registered by hand with the authorization server; used when set.
    QString clientId;
    QString clientSecret;
    // Spool's client ID metadata document (2025-11-25), used as client_id when the server
    // advertises client_id_metadata_document_supported.
    QUrl clientMetadataUrl;
};

// The OAuth 2.1 authorization code flow with PKCE as the MCP authorization spec (2025-03-26,
// 2025-06-18, 2025-11-25) describes it, for one HTTP server that answered 401 (or 403
// insufficient_scope). Discovery: protected resource metadata (RFC 9728) from the challenge's
// resource_metadata or the well-known URLs, then authorization server metadata (RFC 8414 and
// OpenID Connect discovery, path-aware), with the 2025-03-26 fallbacks when a server has
// neither. Client identity: a configured client, a stored registration, a client ID metadata
// document, or dynamic registration (RFC 7591). Scopes come from the challenge, else the
// resource's scopes_supported, else none are asked. The resource parameter (RFC 8707) binds
// every token to the server. Refresh tokens are used before a new consent.
//
// Qt 6.4's QOAuth2AuthorizationCodeFlow has neither PKCE nor any of this discovery, so the
// flow is written on QNetworkAccessManager.
class McpOAuthFlow : public QObject
{
    Q_OBJECT
public:
    McpOAuthFlow(QUrl serverUrl, McpOAuthConfig config, QNetworkAccessManager *network,
                 McpAuthorizationBrowser *browser, McpTokenStore *store, QObject *parent = nullptr);
    ~McpOAuthFlow() override;

    // Loads stored credentials, refreshing an expired access token when it can.
    void prepare(std::function<void()> done);
    QString accessToken() const { return m_credentials.accessToken; }
    McpOAuthCredentials credentials() const { return m_credentials; }
    // Obtains a token for a 401 or 403 challenge. Concurrent calls share one flow.
    void authorize(int httpStatus, const QByteArray &wwwAuthenticate, std::function<void(Status)> done);

    // The auth-params of a Bearer challenge, names lowercased ("scope", "resource_metadata", ...).
    static QMap<QString, QString> parseChallenge(const QByteArray &wwwAuthenticate);

signals:
    // For the server log: what the flow is doing (never a secret).
    void progress(const QString &text);

private:
    struct Attempt;
    void refresh(std::shared_ptr<Attempt> a, std::function<void(Status)> then);
    void discoverResource(std::shared_ptr<Attempt> a, QList<QUrl> candidates);
    void discoverServer(std::shared_ptr<Attempt> a, QList<QUrl> candidates);
    void chooseClient(std::shared_ptr<Attempt> a);
    void registerClient(std::shared_ptr<Attempt> a);
    void openBrowser(std::shared_ptr<Attempt> a);
    void exchangeCode(std::shared_ptr<Attempt> a, const QString &code);
    void requestToken(std::shared_ptr<Attempt> a, QList<std::pair<QString, QString>> form,
                      std::function<void(Status)> then);
    void finish(const Status &status);
    void getJson(const QUrl &url, std::function<void(Result<QJsonObject>, int)> done);
    QString chooseAuthMethod(const QJsonObject &serverMetadata, bool hasSecret) const;

    QUrl m_serverUrl;
    McpOAuthConfig m_config;
    QNetworkAccessManager *m_network;
    McpAuthorizationBrowser *m_browser;
    McpTokenStore *m_store;
    McpOAuthCredentials m_credentials;
    QList<std::function<void(Status)>> m_waiters;
    bool m_running = false;
    bool m_tokenFromRefresh = false;
};

} // namespace Spool
