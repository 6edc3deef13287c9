#include "api/apiexchange.h"

#include "api/apiconnection.h"
#include "core/logging.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpSocket>

namespace Spool {

ApiExchange::ApiExchange(ApiConnection *connection, ApiRequest request)
    : QObject(connection), m_connection(connection), m_request(std::move(request))
{
    // HTTP/1.1 keeps the connection unless the client says otherwise.
    m_keepAlive = !m_request.header("connection").toLower().contains("close");
}

ApiExchange::~ApiExchange() = default;

bool ApiExchange::isOpen() const
{
    return !m_finished && !m_gone && m_connection && m_connection->socket()->state()
            == QAbstractSocket::ConnectedState;
}

void ApiExchange::addHeader(const QByteArray &name, const QByteArray &value)
{
    m_headers.emplaceBack(name, value);
}

QByteArray ApiExchange::reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: break;
    }
    return "Status";
}

QByteArray ApiExchange::head(int status, const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    for (const auto &[name, value] : headers)
        out += name + ": " + value + "\r\n";
    out += "\r\n";
    return out;
}

void ApiExchange::writeHead(int status, QList<QPair<QByteArray, QByteArray>> headers)
{
    m_started = true;
    headers.append(m_headers);
    if (!m_request.id.isEmpty())
        headers.emplaceBack("X-Request-Id", m_request.id.toLatin1());
    if (!m_allowedOrigin.isEmpty()) {
        headers.emplaceBack("Access-Control-Allow-Origin", m_allowedOrigin);
        headers.emplaceBack("Access-Control-Expose-Headers",
                        "X-Request-Id, X-Spool-Run-Id, X-Spool-Session-Id");
        headers.emplaceBack("Vary", "Origin");
    }
    headers.emplaceBack("Connection", m_keepAlive ? "keep-alive" : "close");
    if (isOpen())
        m_connection->socket()->write(head(status, headers));
}

void ApiExchange::sendJson(int status, const QJsonValue &body)
{
    if (m_started)
        return;
    const QByteArray bytes = body.isArray()
            ? QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact)
            : QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
    writeHead(status, {{"Content-Type", "application/json"},
                       {"Content-Length", QByteArray::number(bytes.size())}});
    // The answer to a HEAD is the head alone (RFC 9110 9.3.2): a body would be read as the
    // start of the next response.
    if (isOpen() && m_request.method != "HEAD")
        m_connection->socket()->write(bytes);
    finish();
}

void ApiExchange::sendError(const ApiError &error)
{
    if (error.status == 503)
        addHeader("Retry-After", "1");
    sendJson(error.status, error.toJson());
}

void ApiExchange::sendEmpty(int status)
{
    if (m_started)
        return;
    writeHead(status, {{"Content-Length", "0"}});
    finish();
}

void ApiExchange::beginStream(int status, const QByteArray &contentType)
{
    if (m_started)
        return;
    // The body goes out in HTTP/1.1 chunks as it is produced; proxies and the client must
    // not hold it back.
    writeHead(status, {{"Content-Type", contentType},
                       {"Cache-Control", "no-cache"},
                       {"X-Accel-Buffering", "no"},
                       {"Transfer-Encoding", "chunked"}});
}

bool ApiExchange::writeChunk(const QByteArray &data)
{
    if (!m_started || !isOpen())
        return false;
    if (data.isEmpty())
        return true; // an empty chunk would end the body
    QTcpSocket *socket = m_connection->socket();
    socket->write(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
    // A client that stops reading would have us buffer without end.
    if (socket->bytesToWrite() > m_connection->limits().maxPendingWriteBytes) {
        m_connection->drop(QStringLiteral("the client stopped reading (%1 bytes waiting)")
                                   .arg(socket->bytesToWrite()));
        return false;
    }
    return true;
}

void ApiExchange::endStream()
{
    if (!m_started || m_finished)
        return;
    if (isOpen())
        m_connection->socket()->write("0\r\n\r\n");
    finish();
}

void ApiExchange::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    if (m_connection)
        m_connection->exchangeFinished(this, m_keepAlive && !m_gone);
}

void ApiExchange::connectionLost(const QString &why)
{
    if (m_finished || m_gone)
        return;
    m_gone = true;
    emit clientGone(why);
}

} // namespace Spool
