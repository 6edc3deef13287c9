#pragma once

#include "mcp/mcpauthorizationbrowser.h"

#include <QHash>
#include <QObject>
#include <QPointer>

class QTcpServer;
class QTcpSocket;
class QTimer;

namespace Spool {

// The consent step for a person at the computer (RFC 8252, native apps): the authorization
// server redirects the browser to http://127.0.0.1:<port>/callback, where this listens, on
// loopback only. authorize() asks the front end to open the page (openRequested: the window
// opens the system browser, the command line prints the URL and tries xdg-open) and answers
// when the browser comes back with the `state` of that page, or after the timeout. The port is
// the configured one when it is free, else one the system picks; a stored client registration
// made for another port is registered again (McpOAuthFlow).
class McpLoopbackBrowser : public QObject, public McpAuthorizationBrowser
{
    Q_OBJECT
public:
    explicit McpLoopbackBrowser(quint16 preferredPort = 0, QObject *parent = nullptr);
    ~McpLoopbackBrowser() override;

    QUrl redirectUri() const override;
    void authorize(const QUrl &authorizationUrl, QObject *context,
                   std::function<void(Result<QUrl>)> done) override;
    void setTimeout(int ms) { m_timeoutMs = ms; }
    // Ends the sign-in that `authorizationUrl` started as cancelled, with `why`; false when it
    // is not waiting (finished, timed out, never started).
    bool cancel(const QUrl &authorizationUrl, const QString &why);
    int pendingCount() const { return int(m_pending.size()); }

signals:
    void openRequested(const QUrl &authorizationUrl);

private:
    struct Pending
    {
        QPointer<QObject> context;
        std::function<void(Result<QUrl>)> done;
        QTimer *timer = nullptr;
    };
    bool listen() const;
    void onConnection();
    void onReadable(QTcpSocket *socket);
    void respond(QTcpSocket *socket, int status, const QString &title, const QString &text);
    void settle(const QString &state, Result<QUrl> result);

    quint16 m_preferredPort;
    mutable QTcpServer *m_server = nullptr;
    QHash<QString, Pending> m_pending; // by the authorization request's state
    int m_timeoutMs = 5 * 60 * 1000;
};

} // namespace Spool
