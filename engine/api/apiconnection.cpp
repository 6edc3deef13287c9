#include "api/apiconnection.h"

#include "api/apiexchange.h"
#include "core/logging.h"

#include <QJsonDocument>
#include <QTcpSocket>

#include <sys/socket.h>

namespace Spool {

namespace {

// What an overflow connection may send: a request is read only to answer it 503.
constexpr qint64 kOverflowBodyBytes = 16 * 1024;
// How long a closing connection reads and drops what the client still sends.
constexpr int kLingerMs = 2000;
// Requests a client may send ahead while one is being answered.
constexpr int kMaxQueued = 8;

const char *kProperty = "spool_api_connection";

} // namespace

ApiConnection::ApiConnection(QTcpSocket *socket, QObject *parser, const ApiSettings &limits,
                             bool overflow)
    : QObject(socket), m_socket(socket), m_parser(parser), m_limits(limits), m_overflow(overflow)
{
    m_socket->setProperty(kProperty, QVariant::fromValue(static_cast<QObject *>(this)));
    // Connected before the library hands the socket to its parser, so this runs first on
    // every read and sees the bytes before they are buffered into a request.
    connect(m_socket, &QIODevice::readyRead, this, &ApiConnection::onReadyRead);
    connect(m_socket, &QAbstractSocket::disconnected, this, &ApiConnection::onDisconnected);
    connect(m_socket, &QIODevice::bytesWritten, this, &ApiConnection::onBytesWritten);

    m_requestTimer.setSingleShot(true);
    connect(&m_requestTimer, &QTimer::timeout, this, [this] {
        refuse(ApiError::make(408, QStringLiteral("request_timeout"),
                              QStringLiteral("The request did not arrive whole within %1 ms.")
                                      .arg(m_limits.headerTimeoutMs)),
               QStringLiteral("request not complete within %1 ms (slow client)")
                       .arg(m_limits.headerTimeoutMs));
    });
    m_idleTimer.setSingleShot(true);
    connect(&m_idleTimer, &QTimer::timeout, this, [this] {
        qCDebug(lcApi, "closing a connection idle for %d ms", m_limits.idleTimeoutMs);
        closeGracefully();
    });
    m_lingerTimer.setSingleShot(true);
    connect(&m_lingerTimer, &QTimer::timeout, this, [this] { m_socket->abort(); });

    // The first request must arrive in time too, or a client could hold the slot silently.
    m_requestTimer.start(m_limits.headerTimeoutMs);
}

ApiConnection::~ApiConnection() = default;

ApiConnection *ApiConnection::of(QTcpSocket *socket)
{
    return socket ? qobject_cast<ApiConnection *>(socket->property(kProperty).value<QObject *>())
                  : nullptr;
}

bool ApiConnection::isOpen() const
{
    return !m_closing && m_socket->state() == QAbstractSocket::ConnectedState;
}

void ApiConnection::onReadyRead()
{
    if (m_closing) {
        m_socket->readAll(); // lingering: dropped unread
        return;
    }
    const qint64 n = m_socket->bytesAvailable();
    if (n <= 0)
        return;
    if (!m_inRequest) {
        m_inRequest = true;
        m_idleTimer.stop();
        if (!m_requestTimer.isActive())
            m_requestTimer.start(m_limits.headerTimeoutMs);
        m_headerDone = false;
        m_headerBytes = 0;
        m_bodyBytes = 0;
        m_tail.clear();
    }
    // The parser has consumed everything before (it reads all there is), so these are the
    // bytes that arrived since the last read. Only the blank line that ends the headers is
    // looked for, to tell the header limit from the body limit; the parsing is the library's.
    if (m_headerDone) {
        m_bodyBytes += n;
    } else {
        const QByteArray fresh = m_socket->peek(n);
        const QByteArray scan = m_tail + fresh;
        qsizetype end = -1;
        const qsizetype crlf = scan.indexOf("\n\r\n");
        const qsizetype lf = scan.indexOf("\n\n");
        if (crlf >= 0 && (lf < 0 || crlf < lf))
            end = crlf + 3;
        else if (lf >= 0)
            end = lf + 2;
        if (end >= 0) {
            const qint64 headerPart = qMax<qint64>(0, end - m_tail.size());
            m_headerBytes += headerPart;
            m_bodyBytes += n - headerPart;
            m_headerDone = true;
        } else {
            m_headerBytes += n;
            m_tail = scan.right(2);
        }
    }
    const qint64 maxBody = m_overflow ? kOverflowBodyBytes : m_limits.maxBodyBytes;
    if (m_headerBytes > m_limits.maxHeaderBytes) {
        refuse(ApiError::make(431, QStringLiteral("headers_too_large"),
                              QStringLiteral("The request headers exceed %1 bytes.")
                                      .arg(m_limits.maxHeaderBytes)),
               QStringLiteral("headers larger than %1 bytes").arg(m_limits.maxHeaderBytes));
    } else if (m_bodyBytes > maxBody) {
        refuse(ApiError::make(413, QStringLiteral("body_too_large"),
                              QStringLiteral("The request body exceeds %1 bytes.").arg(maxBody)),
               QStringLiteral("body larger than %1 bytes").arg(maxBody));
    }
}

void ApiConnection::enqueue(ApiRequest request)
{
    m_inRequest = false;
    m_requestTimer.stop();
    if (m_closing)
        return;
    if (m_queue.size() >= kMaxQueued) {
        refuse(ApiError::make(429, QStringLiteral("too_many_pipelined_requests"),
                              QStringLiteral("Too many requests sent ahead on one connection.")),
               QStringLiteral("more than %1 requests sent ahead on one connection").arg(kMaxQueued));
        return;
    }
    m_queue.append(std::move(request));
    if (!m_current)
        startNext();
}

void ApiConnection::startNext()
{
    if (m_current || m_closing || m_queue.isEmpty())
        return;
    m_idleTimer.stop();
    auto *exchange = new ApiExchange(this, m_queue.takeFirst());
    m_current = exchange;
    emit exchangeReady(exchange);
}

void ApiConnection::exchangeFinished(ApiExchange *exchange, bool keepAlive)
{
    if (exchange != m_current)
        return;
    m_current = nullptr;
    exchange->deleteLater();
    if (!keepAlive) {
        closeGracefully();
        return;
    }
    if (!m_queue.isEmpty()) {
        // Not from inside the finishing exchange's call stack.
        QMetaObject::invokeMethod(this, &ApiConnection::startNext, Qt::QueuedConnection);
    } else if (!m_inRequest) {
        m_idleTimer.start(m_limits.idleTimeoutMs);
    }
}

void ApiConnection::refuse(const ApiError &error, const QString &reason)
{
    if (m_closing)
        return;
    qCInfo(lcApi, "refused %s: %d %s", qPrintable(m_socket->peerAddress().toString()),
           error.status, qPrintable(reason));
    // An answer already on its way cannot be replaced: the connection just ends.
    const bool answering = m_current && m_current->isStarted();
    if (m_current)
        m_current->connectionLost(reason);
    const QByteArray body = QJsonDocument(error.toJson()).toJson(QJsonDocument::Compact);
    QList<QPair<QByteArray, QByteArray>> headers{
            {"Content-Type", "application/json"},
            {"Content-Length", QByteArray::number(body.size())},
            {"Connection", "close"},
    };
    if (error.status == 503)
        headers.emplaceBack("Retry-After", "1");
    if (!answering && m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->write(ApiExchange::head(error.status, headers) + body);
    closeGracefully();
}

void ApiConnection::closeGracefully()
{
    if (m_closing)
        return;
    m_closing = true;
    m_requestTimer.stop();
    m_idleTimer.stop();
    m_queue.clear();
    // No more requests for the parser; whatever it had begun is dropped.
    if (m_parser)
        disconnect(m_socket, &QIODevice::readyRead, m_parser, nullptr);
    if (m_socket->isTransactionStarted())
        m_socket->commitTransaction();
    m_socket->readAll();
    if (m_socket->state() != QAbstractSocket::ConnectedState)
        return;
    if (m_socket->bytesToWrite() == 0)
        shutdownWrite();
    // else onBytesWritten() does it once the answer is out
    m_lingerTimer.start(kLingerMs);
}

void ApiConnection::shutdownWrite()
{
    if (m_writeShutdown)
        return;
    m_writeShutdown = true;
    // Our half closes; the client reads our answer, sees the end and closes its half, and the
    // socket ends. Closing both halves while the client still sends would reset the connection
    // and could lose the answer on its way.
    if (m_socket->socketDescriptor() >= 0)
        ::shutdown(int(m_socket->socketDescriptor()), SHUT_WR);
}

void ApiConnection::drop(const QString &reason)
{
    if (m_current)
        qCInfo(lcApi, "dropped %s: %s", qPrintable(m_socket->peerAddress().toString()),
               qPrintable(reason));
    else
        qCDebug(lcApi, "closed an idle connection: %s", qPrintable(reason));
    if (m_current)
        m_current->connectionLost(reason);
    m_closing = true;
    m_socket->abort();
}

void ApiConnection::onBytesWritten()
{
    if (m_closing && m_socket->bytesToWrite() == 0)
        shutdownWrite();
}

void ApiConnection::onDisconnected()
{
    m_requestTimer.stop();
    m_idleTimer.stop();
    m_lingerTimer.stop();
    m_queue.clear();
    if (m_current)
        m_current->connectionLost(QStringLiteral("client disconnected"));
    m_closing = true;
    emit closed();
}

} // namespace Spool
