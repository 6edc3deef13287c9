#pragma once

#include "mcp/mcpauthorizationbrowser.h"

class QNetworkAccessManager;

namespace Spool {

// Consent without a person: requests the authorization URL and follows redirects until one
// points at the redirect URI, which it returns without contacting it. For tests, automation
// and the conformance suite, whose authorization servers approve at once.
class McpHeadlessBrowser : public McpAuthorizationBrowser
{
public:
    explicit McpHeadlessBrowser(QNetworkAccessManager *network,
                                QUrl redirectUri = QUrl(QStringLiteral("http://127.0.0.1:33418/callback")));
    QUrl redirectUri() const override { return m_redirectUri; }
    void authorize(const QUrl &authorizationUrl, QObject *context,
                   std::function<void(Result<QUrl>)> done) override;
    int authorizations() const { return m_count; }

private:
    void step(const QUrl &url, int hops, QObject *context, std::function<void(Result<QUrl>)> done);

    QNetworkAccessManager *m_network;
    QUrl m_redirectUri;
    int m_count = 0;
};

} // namespace Spool
