#include "mcp/mcploopbackbrowser.h"

#include "core/logging.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QUrlQuery>

namespace Spool {

namespace {
constexpr qsizetype kMaxRequestBytes = 16 * 1024;
const QString kCallbackPath = QStringLiteral("/callback");
} // namespace

McpLoopbackBrowser::McpLoopbackBrowser(quint16 preferredPort, QObject *parent)
    : QObject(parent), m_preferredPort(preferredPort)
{
}

McpLoopbackBrowser::~McpLoopbackBrowser()
{
    const auto states = m_pending.keys();
    for (const QString &state : states)
        settle(state, makeError(ErrorCode::Cancelled, QStringLiteral("Spool stopped before the sign-in finished")));
}

bool McpLoopbackBrowser::listen() const
{
    if (m_server && m_server->isListening())
        return true;
    if (!m_server) {
        m_server = new QTcpServer(const_cast<McpLoopbackBrowser *>(this));
        connect(m_server, &QTcpServer::newConnection, this, &McpLoopbackBrowser::onConnection);
    }
    if (m_preferredPort != 0 && m_server->listen(QHostAddress::LocalHost, m_preferredPort))
        return true;
    if (m_server->listen(QHostAddress::LocalHost, 0))
        return true;
    qCWarning(lcMcp) << "cannot listen for the OAuth redirect:" << m_server->errorString();
    return false;
}

QUrl McpLoopbackBrowser::redirectUri() const
{
    listen();
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(QStringLiteral("127.0.0.1"));
    url.setPort(m_server && m_server->isListening() ? m_server->serverPort() : m_preferredPort);
    url.setPath(kCallbackPath);
    return url;
}

void McpLoopbackBrowser::authorize(const QUrl &authorizationUrl, QObject *context,
                                   std::function<void(Result<QUrl>)> done)
{
    if (!listen()) {
        done(makeError(ErrorCode::Provider,
                       QStringLiteral("Spool cannot listen on 127.0.0.1 for the sign-in's answer")));
        return;
    }
    const QString state = QUrlQuery(authorizationUrl).queryItemValue(QStringLiteral("state"));
    if (state.isEmpty()) {
        done(makeError(ErrorCode::Internal, QStringLiteral("the authorization request has no state")));
        return;
    }
    Pending p;
    p.context = context;
    p.done = std::move(done);
    p.timer = new QTimer(this);
    p.timer->setSingleShot(true);
    connect(p.timer, &QTimer::timeout, this, [this, state] {
        settle(state, makeError(ErrorCode::Cancelled,
                                QStringLiteral("no answer from the browser within %1 minutes; sign in again "
                                               "with `spool mcp test` or Settings → MCP servers")
                                        .arg(m_timeoutMs / 60000)));
    });
    p.timer->start(m_timeoutMs);
    m_pending.insert(state, p);
    emit openRequested(authorizationUrl);
}

void McpLoopbackBrowser::onConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadable(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        // A connection that never sends a request is dropped.
        QTimer::singleShot(10000, socket, [socket] { socket->abort(); });
    }
}

void McpLoopbackBrowser::onReadable(QTcpSocket *socket)
{
    QByteArray buffered = socket->property("spoolRequest").toByteArray() + socket->readAll();
    if (buffered.size() > kMaxRequestBytes) {
        socket->abort();
        return;
    }
    if (!buffered.contains("\r\n\r\n") && !buffered.contains("\n\n")) {
        socket->setProperty("spoolRequest", buffered);
        return;
    }
    const QList<QByteArray> requestLine = buffered.left(buffered.indexOf('\n')).trimmed().split(' ');
    if (requestLine.size() < 2 || requestLine.at(0) != "GET") {
        respond(socket, 405, QStringLiteral("Not here"), QStringLiteral("This address only takes the sign-in's answer."));
        return;
    }
    const QUrl target = QUrl(QStringLiteral("http://127.0.0.1")).resolved(QUrl::fromEncoded(requestLine.at(1)));
    if (target.path() != kCallbackPath) {
        respond(socket, 404, QStringLiteral("Not found"), QStringLiteral("This address only takes the sign-in's answer."));
        return;
    }
    const QUrlQuery query(target);
    const QString state = query.queryItemValue(QStringLiteral("state"));
    if (!m_pending.contains(state)) {
        respond(socket, 400, QStringLiteral("Sign-in not recognised"),
                QStringLiteral("Spool is not waiting for this sign-in (it may have timed out). Start it again from Spool."));
        return;
    }
    QUrl full = redirectUri();
    full.setQuery(target.query());
    const QString error = query.queryItemValue(QStringLiteral("error"));
    if (!error.isEmpty()) {
        respond(socket, 200, QStringLiteral("Sign-in refused"),
                QStringLiteral("The server said: %1. You can close this tab.").arg(error));
    } else {
        respond(socket, 200, QStringLiteral("Signed in"),
                QStringLiteral("Spool has the answer. You can close this tab and go back to Spool."));
    }
    // The flow reads code, state and error from the URL itself.
    settle(state, full);
}

void McpLoopbackBrowser::respond(QTcpSocket *socket, int status, const QString &title, const QString &text)
{
    const QByteArray body = QStringLiteral("<!doctype html><html><head><meta charset=\"utf-8\"><title>%1</title></head>"
                                           "<body style=\"font-family:sans-serif;margin:3em\"><h1>%1</h1><p>%2</p></body></html>")
                                    .arg(title.toHtmlEscaped(), text.toHtmlEscaped())
                                    .toUtf8();
    const char *reason = status == 200 ? "OK" : status == 400 ? "Bad Request" : status == 404 ? "Not Found" : "Method Not Allowed";
    QByteArray response = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n"
                        + "Content-Type: text/html; charset=utf-8\r\n"
                        + "Cache-Control: no-store\r\n"
                        + "Connection: close\r\n"
                        + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    socket->write(response);
    socket->disconnectFromHost();
}

bool McpLoopbackBrowser::cancel(const QUrl &authorizationUrl, const QString &why)
{
    const QString state = QUrlQuery(authorizationUrl).queryItemValue(QStringLiteral("state"));
    if (state.isEmpty() || !m_pending.contains(state))
        return false;
    settle(state, makeError(ErrorCode::Cancelled, why));
    return true;
}

void McpLoopbackBrowser::settle(const QString &state, Result<QUrl> result)
{
    auto it = m_pending.find(state);
    if (it == m_pending.end())
        return;
    Pending p = *it;
    m_pending.erase(it);
    if (p.timer)
        p.timer->deleteLater();
    if (p.context)
        p.done(std::move(result));
}

} // namespace Spool
