#include "mcp/mcpheadlessbrowser.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>

namespace Spool {

McpHeadlessBrowser::McpHeadlessBrowser(QNetworkAccessManager *network, QUrl redirectUri)
    : m_network(network), m_redirectUri(std::move(redirectUri))
{
}

void McpHeadlessBrowser::authorize(const QUrl &authorizationUrl, QObject *context,
                                   std::function<void(Result<QUrl>)> done)
{
    ++m_count;
    step(authorizationUrl, 0, context, std::move(done));
}

void McpHeadlessBrowser::step(const QUrl &url, int hops, QObject *context,
                              std::function<void(Result<QUrl>)> done)
{
    if (hops > 8) {
        done(makeError(ErrorCode::Provider, QStringLiteral("too many redirects during authorization")));
        return;
    }
    QNetworkRequest request(url);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    request.setTransferTimeout(15000);
    QNetworkReply *reply = m_network->get(request);
    QObject::connect(reply, &QNetworkReply::finished, context, [this, reply, url, hops, context, done] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray location = reply->rawHeader("Location");
        if (status >= 300 && status < 400 && !location.isEmpty()) {
            const QUrl next = url.resolved(QUrl::fromEncoded(location));
            const bool isRedirectUri = next.scheme() == m_redirectUri.scheme()
                && next.host() == m_redirectUri.host() && next.port() == m_redirectUri.port()
                && next.path() == m_redirectUri.path();
            if (isRedirectUri) {
                done(next);
                return;
            }
            step(next, hops + 1, context, done);
            return;
        }
        done(makeError(ErrorCode::Provider,
                       QStringLiteral("the authorization page did not redirect back (HTTP %1%2)")
                           .arg(status)
                           .arg(reply->error() != QNetworkReply::NoError
                                    ? QStringLiteral(": ") + reply->errorString()
                                    : QString())));
    });
}

} // namespace Spool
