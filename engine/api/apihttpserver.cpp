#include "api/apihttpserver.h"

#include "api/apiconnection.h"
#include "api/apiexchange.h"
#include "api/apirequest.h"
#include "core/logging.h"
#include "core/ulid.h"

#include <QHttpServerRequest>
#include <QTcpServer>
#include <QTcpSocket>

namespace Spool {

namespace {

// Accepts connections for ApiHttpServer, which decides whether to keep them before the
// HTTP library sees them.
class LoopbackTcpServer : public QTcpServer
{
public:
    explicit LoopbackTcpServer(ApiHttpServer *http) : QTcpServer(http), m_http(http) {}

protected:
    void incomingConnection(qintptr handle) override
    {
        auto *socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(handle)) {
            delete socket;
            return;
        }
        if (m_http->admit(socket))
            addPendingConnection(socket); // the library connects its parser now, after us
        else
            socket->deleteLater();
    }

private:
    ApiHttpServer *m_http;
};

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get: return "GET";
    case QHttpServerRequest::Method::Put: return "PUT";
    case QHttpServerRequest::Method::Delete: return "DELETE";
    case QHttpServerRequest::Method::Post: return "POST";
    case QHttpServerRequest::Method::Head: return "HEAD";
    case QHttpServerRequest::Method::Options: return "OPTIONS";
    case QHttpServerRequest::Method::Patch: return "PATCH";
    case QHttpServerRequest::Method::Connect: return "CONNECT";
    case QHttpServerRequest::Method::Trace: return "TRACE";
    default: break;
    }
    return "UNKNOWN";
}

} // namespace

ApiHttpServer::ApiHttpServer(const ApiSettings &settings, QObject *parent)
    : QAbstractHttpServer(parent), m_settings(settings)
{
}

ApiHttpServer::~ApiHttpServer() = default;

Status ApiHttpServer::listenOnLoopback(quint16 port)
{
    // With port 0 the system picks a port for 127.0.0.1; ::1 must then get the same one, which
    // another program may hold: try a few times.
    for (int attempt = 0; attempt < 8; ++attempt) {
        auto *v4 = new LoopbackTcpServer(this);
        if (!v4->listen(QHostAddress::LocalHost, port)) {
            const QString why = v4->errorString();
            delete v4;
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("Cannot listen on 127.0.0.1:%1: %2").arg(port).arg(why));
        }
        const quint16 chosen = v4->serverPort();
        auto *v6 = new LoopbackTcpServer(this);
        if (v6->listen(QHostAddress::LocalHostIPv6, chosen)) {
            bind(v4);
            bind(v6);
            m_port = chosen;
            return {};
        }
        const QAbstractSocket::SocketError error = v6->serverError();
        const QString why = v6->errorString();
        delete v6;
        if (error == QAbstractSocket::AddressInUseError && port == 0) {
            delete v4;
            continue;
        }
        if (error == QAbstractSocket::AddressInUseError) {
            delete v4;
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("Cannot listen on [::1]:%1: %2").arg(port).arg(why));
        }
        // No IPv6 loopback on this system: 127.0.0.1 alone.
        qCInfo(lcApi, "not listening on [::1]: %s", qPrintable(why));
        bind(v4);
        m_port = chosen;
        return {};
    }
    return makeError(ErrorCode::Conflict,
                     QStringLiteral("Cannot find a port free on both 127.0.0.1 and [::1]."));
}

QList<QHostAddress> ApiHttpServer::addresses() const
{
    QList<QHostAddress> out;
    for (QTcpServer *s : servers()) {
        if (s->isListening())
            out.append(s->serverAddress());
    }
    return out;
}

bool ApiHttpServer::admit(QTcpSocket *socket)
{
    // Beyond the cap a connection still gets an answer (503, so clients know to come back);
    // beyond twice the cap it is closed unread, so a flood cannot exhaust descriptors.
    const int hardCap = m_settings.maxConnections * 2 + 8;
    if (m_connections >= hardCap) {
        ++m_rejected;
        qCInfo(lcApi, "refused %s: connection closed at once, %d connections open",
               qPrintable(socket->peerAddress().toString()), m_connections);
        socket->abort();
        return false;
    }
    // Streams are many small writes: without this, each waits for the client's delayed
    // acknowledgement of the one before (Nagle), some 40 ms per token on loopback.
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    const bool overflow = m_connections >= m_settings.maxConnections;
    auto *connection = new ApiConnection(socket, this, m_settings, overflow);
    ++m_connections;
    connect(connection, &QObject::destroyed, this, [this] { --m_connections; });
    connect(connection, &ApiConnection::exchangeReady, this, &ApiHttpServer::exchangeReady);
    return true;
}

bool ApiHttpServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    ApiConnection *connection = ApiConnection::of(socket);
    if (!connection)
        return true;
    // WebSocket upgrades are not offered; the library then calls missingHandler(), which
    // refuses them.
    if (request.value("upgrade").toLower() == "websocket"
        && request.value("connection").toLower().contains("upgrade"))
        return false;
    if (connection->isOverflow()) {
        connection->refuse(ApiError::make(503, QStringLiteral("too_many_connections"),
                                          QStringLiteral("Too many connections are open (%1); "
                                                         "try again shortly.")
                                                  .arg(m_settings.maxConnections)),
                           QStringLiteral("%1 connections open (the cap)").arg(m_settings.maxConnections));
        return true;
    }
    ApiRequest r;
    r.method = methodName(request.method());
    r.path = request.url().path(QUrl::FullyDecoded);
    r.query = request.query();
    const auto headers = request.headers();
    r.headers.reserve(headers.size());
    for (const auto &[name, value] : headers)
        r.headers.append({name.toLower(), value});
    r.body = request.body();
    r.peer = request.remoteAddress();
    r.id = QStringLiteral("req_") + Ulid::generate();
    connection->enqueue(std::move(r));
    return true;
}

void ApiHttpServer::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    Q_UNUSED(request);
    if (ApiConnection *connection = ApiConnection::of(socket)) {
        connection->refuse(ApiError::make(400, QStringLiteral("upgrade_not_supported"),
                                          QStringLiteral("WebSocket upgrades are not offered.")),
                           QStringLiteral("WebSocket upgrade"));
    }
}

} // namespace Spool
