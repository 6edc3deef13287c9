#include "mcp/mcphttptransport.h"

#include "core/logging.h"
#include "mcp/mcpoauthflow.h"
#include "core/sseparser.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

namespace Spool {

struct McpHttpTransport::Exchange
{
    McpMessage message;       // what a POST carried
    bool isPost = true;
    bool standalone = false;  // the GET stream for server-initiated messages
    int authTries = 0;
    int stepUps = 0;
    int reconnects = 0;
    QHash<QString, QJsonValue> awaiting; // requests whose answer this stream should carry
    bool headersSeen = false;
    bool sse = false;
    bool failed = false;
    bool gotEvent = false;
    int status = 0;
    SseParser parser;
    QByteArray body;
    QString lastEventId;
    int retryMs = -1;
};

McpHttpTransport::McpHttpTransport(McpHttpConfig config, QNetworkAccessManager *network, QObject *parent)
    : McpTransport(parent), m_config(std::move(config)), m_network(network)
{
}

McpHttpTransport::~McpHttpTransport()
{
    const auto replies = m_replies.keys();
    for (QNetworkReply *reply : replies) {
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
}

void McpHttpTransport::setOAuthFlow(McpOAuthFlow *flow)
{
    m_oauth = flow;
}

void McpHttpTransport::open()
{
    if (m_oauth) {
        m_oauth->prepare([this] { emit opened(); });
        return;
    }
    QTimer::singleShot(0, this, [this] { emit opened(); });
}

QNetworkRequest McpHttpTransport::makeRequest() const
{
    QNetworkRequest request(m_config.url);
    for (auto it = m_config.headers.cbegin(); it != m_config.headers.cend(); ++it)
        request.setRawHeader(it.key().toUtf8(), it.value().toUtf8());
    if (!m_sessionId.isEmpty())
        request.setRawHeader("Mcp-Session-Id", m_sessionId.toUtf8());
    if (!m_protocolVersion.isEmpty())
        request.setRawHeader("MCP-Protocol-Version", m_protocolVersion.toUtf8());
    if (m_oauth && !m_oauth->accessToken().isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_oauth->accessToken().toUtf8());
    return request;
}

void McpHttpTransport::send(const McpMessage &message)
{
    post(message, 0, 0);
}

void McpHttpTransport::post(const McpMessage &message, int authTries, int stepUps)
{
    if (m_closing || m_closed) {
        if (message.isRequest())
            emit sendFailed(message.id(), makeError(ErrorCode::Tool, QStringLiteral("the connection is closed")));
        return;
    }
    QNetworkRequest request = makeRequest();
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    request.setRawHeader("Accept", "application/json, text/event-stream");
    auto exchange = std::make_shared<Exchange>();
    exchange->message = message;
    exchange->authTries = authTries;
    exchange->stepUps = stepUps;
    if (message.isRequest())
        exchange->awaiting.insert(message.idKey(), message.id());
    attach(m_network->post(request, message.serialize()), exchange);
}

void McpHttpTransport::startListening()
{
    if (m_listening || m_closing)
        return;
    m_listening = true;
    openStream();
}

void McpHttpTransport::openStream()
{
    auto ex = std::make_shared<Exchange>();
    ex->isPost = false;
    ex->standalone = true;
    QNetworkRequest request = makeRequest();
    request.setRawHeader("Accept", "text/event-stream");
    attach(m_network->get(request), ex);
}

void McpHttpTransport::attach(QNetworkReply *reply, std::shared_ptr<Exchange> exchange)
{
    m_replies.insert(reply, exchange);
    // Back-pressure: the socket is read only as fast as we consume, so a huge reply is refused
    // after the cap instead of being buffered whole by the network stack first.
    reply->setReadBufferSize(1 << 20);
    connect(reply, &QNetworkReply::readyRead, this, [this, reply, exchange] { onReadyRead(reply, exchange); });
    connect(reply, &QNetworkReply::finished, this, [this, reply, exchange] { onFinished(reply, exchange); });
}

void McpHttpTransport::onReadyRead(QNetworkReply *reply, const std::shared_ptr<Exchange> &ex)
{
    if (ex->failed)
        return;
    if (!ex->headersSeen) {
        ex->headersSeen = true;
        ex->status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QByteArray type = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray().toLower();
        ex->sse = ex->status >= 200 && ex->status < 300 && type.startsWith("text/event-stream");
        const QByteArray session = reply->rawHeader("Mcp-Session-Id");
        if (!session.isEmpty() && ex->status >= 200 && ex->status < 300)
            m_sessionId = QString::fromUtf8(session);
        const qint64 length = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if (!ex->sse && length > m_config.maxMessageBytes) {
            // Announced too large: refused before a byte of it is kept.
            fail(ex, makeError(ErrorCode::Tool, QStringLiteral("the server sent a reply of more than %1 bytes (%2 announced); it was refused")
                                                    .arg(m_config.maxMessageBytes).arg(length)));
            reply->abort();
            return;
        }
    }
    if (ex->status < 200 || ex->status >= 300) {
        // An error page: keep enough of it to quote, drop the rest.
        const QByteArray bytes = reply->readAll();
        if (ex->body.size() < 4096)
            ex->body.append(bytes.left(4096 - ex->body.size()));
        return;
    }
    if (ex->sse) {
        QList<SseEvent> events;
        // A megabyte at a time, checking the cap in between: an endless event is dropped
        // once it passes the cap, never held whole.
        while (reply->bytesAvailable() > 0) {
            ex->parser.feed(reply->read(1 << 20), events);
            if (ex->parser.pendingBytes() > m_config.maxMessageBytes)
                break;
        }
        for (const SseEvent &e : std::as_const(events)) {
            ex->gotEvent = true;
            if (!e.id.isEmpty())
                ex->lastEventId = e.id;
            if (e.retryMs >= 0)
                ex->retryMs = e.retryMs;
            // Priming events carry an id and no data; only `message` events carry JSON-RPC.
            if (e.event == QLatin1String("message") && !e.data.trimmed().isEmpty())
                deliver(e.data.toUtf8(), ex);
        }
        if (ex->parser.pendingBytes() > m_config.maxMessageBytes) {
            fail(ex, makeError(ErrorCode::Tool, QStringLiteral("the server sent an event of more than %1 bytes; it was dropped")
                                                    .arg(m_config.maxMessageBytes)));
            reply->abort();
        }
        return;
    }
    while (reply->bytesAvailable() > 0 && ex->body.size() <= m_config.maxMessageBytes)
        ex->body.append(reply->read(1 << 20));
    if (ex->body.size() > m_config.maxMessageBytes) {
        const qsizetype size = ex->body.size();
        ex->body = QByteArray();
        fail(ex, makeError(ErrorCode::Tool, QStringLiteral("the server sent a reply of more than %1 bytes (%2 so far); it was dropped")
                                                .arg(m_config.maxMessageBytes).arg(size)));
        reply->abort();
    }
}

void McpHttpTransport::deliver(const QByteArray &json, const std::shared_ptr<Exchange> &ex)
{
    auto message = McpMessage::parse(json);
    if (!message) {
        emit logLine(QStringLiteral("client"), QStringLiteral("skipped a reply that is not JSON-RPC (%1): %2")
                                                   .arg(message.errorMessage(), QString::fromUtf8(json.left(200))));
        return;
    }
    if (message->isResponse())
        ex->awaiting.remove(message->idKey());
    emit messageReceived(*message);
}

void McpHttpTransport::fail(const std::shared_ptr<Exchange> &ex, const Error &error)
{
    if (ex->failed)
        return;
    ex->failed = true;
    if (ex->awaiting.isEmpty()) {
        emit logLine(QStringLiteral("client"), error.message);
        return;
    }
    const auto awaiting = std::exchange(ex->awaiting, {});
    for (const QJsonValue &id : awaiting)
        emit sendFailed(id, error);
}

void McpHttpTransport::onFinished(QNetworkReply *reply, const std::shared_ptr<Exchange> &ex)
{
    m_replies.remove(reply);
    reply->deleteLater();
    if (m_closed)
        return;
    onReadyRead(reply, ex); // whatever arrived with the end
    if (ex->failed)
        return;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 0) {
        if (ex->sse && !ex->lastEventId.isEmpty()) {
            streamEnded(ex); // a dropped connection mid-stream is resumable like a clean end
            return;
        }
        if (ex->standalone) {
            streamEnded(ex);
            return;
        }
        fail(ex, makeError(ErrorCode::Tool, QStringLiteral("%1: %2").arg(m_config.url.toString(), reply->errorString())));
        return;
    }
    const QByteArray challenge = reply->rawHeader("WWW-Authenticate");
    if (ex->isPost && status == 401 && m_oauth && ex->authTries < 2) {
        const McpMessage message = ex->message;
        const int tries = ex->authTries + 1;
        const int stepUps = ex->stepUps;
        m_oauth->authorize(401, challenge, [this, ex, message, tries, stepUps](const Status &s) {
            if (s.ok())
                post(message, tries, stepUps);
            else
                fail(ex, s.error());
        });
        return;
    }
    if (ex->isPost && status == 403 && m_oauth && ex->stepUps < 2
        && McpOAuthFlow::parseChallenge(challenge).value(QStringLiteral("error")) == QLatin1String("insufficient_scope")) {
        const McpMessage message = ex->message;
        const int tries = ex->authTries;
        const int stepUps = ex->stepUps + 1;
        m_oauth->authorize(403, challenge, [this, ex, message, tries, stepUps](const Status &s) {
            if (s.ok())
                post(message, tries, stepUps);
            else
                fail(ex, s.error());
        });
        return;
    }
    if (ex->isPost && status == 404 && !m_sessionId.isEmpty()
        && ex->message.method() != QLatin1String("initialize")) {
        // The server ended our session: the client initializes again and resends.
        m_sessionId.clear();
        ex->failed = true;
        emit sessionExpired(ex->message);
        return;
    }
    if (status < 200 || status >= 300) {
        if (ex->standalone) {
            emit logLine(QStringLiteral("client"),
                         status == 405 ? QStringLiteral("the server offers no stream for messages it starts (GET answered 405)")
                                       : QStringLiteral("the server refused the message stream (HTTP %1)").arg(status));
            return;
        }
        QString text = QStringLiteral("the server answered HTTP %1").arg(status);
        if (status == 401)
            text += m_oauth ? QStringLiteral("; authorization failed") : QStringLiteral("; it needs authorization");
        const QString body = QString::fromUtf8(ex->body).simplified();
        if (!body.isEmpty())
            text += QStringLiteral(": ") + body.left(300);
        fail(ex, makeError(ErrorCode::Tool, text));
        return;
    }
    if (ex->sse) {
        streamEnded(ex);
        return;
    }
    if (!ex->body.trimmed().isEmpty())
        deliver(ex->body, ex);
    if (!ex->awaiting.isEmpty())
        fail(ex, makeError(ErrorCode::Tool, QStringLiteral("the server answered HTTP %1 without a response to the request").arg(status)));
}

void McpHttpTransport::streamEnded(const std::shared_ptr<Exchange> &ex)
{
    QList<SseEvent> rest;
    ex->parser.finish(rest);
    for (const SseEvent &e : std::as_const(rest)) {
        if (!e.id.isEmpty())
            ex->lastEventId = e.id;
        if (e.event == QLatin1String("message") && !e.data.trimmed().isEmpty())
            deliver(e.data.toUtf8(), ex);
    }
    if (m_closing || m_closed)
        return;
    if (ex->awaiting.isEmpty() && !ex->standalone)
        return;
    const int reconnects = ex->gotEvent ? 0 : ex->reconnects + 1;
    if (reconnects > m_config.maxReconnects) {
        fail(ex, makeError(ErrorCode::Tool, QStringLiteral("the server's stream kept closing without events; gave up after %1 attempts")
                                                .arg(m_config.maxReconnects)));
        return;
    }
    if (!ex->standalone && ex->lastEventId.isEmpty()) {
        fail(ex, makeError(ErrorCode::Tool, QStringLiteral("the server closed the stream before answering, with no event id to resume from")));
        return;
    }
    // The server's `retry` decides the wait (SEP-1699); ours is only the default.
    const int delay = ex->retryMs >= 0 ? ex->retryMs : m_config.defaultRetryMs;
    auto next = std::make_shared<Exchange>();
    next->isPost = false;
    next->standalone = ex->standalone;
    next->awaiting = ex->awaiting;
    next->reconnects = reconnects;
    next->lastEventId = ex->lastEventId;
    next->retryMs = ex->retryMs;
    emit logLine(QStringLiteral("client"), QStringLiteral("stream ended; reconnecting in %1 ms%2")
                                               .arg(delay)
                                               .arg(ex->lastEventId.isEmpty() ? QString() : QStringLiteral(" from event ") + ex->lastEventId));
    QTimer::singleShot(delay, this, [this, next] {
        if (m_closing || m_closed)
            return;
        QNetworkRequest request = makeRequest();
        request.setRawHeader("Accept", "text/event-stream");
        if (!next->lastEventId.isEmpty())
            request.setRawHeader("Last-Event-ID", next->lastEventId.toUtf8());
        attach(m_network->get(request), next);
    });
}

void McpHttpTransport::close()
{
    if (m_closing || m_closed)
        return;
    m_closing = true;
    const auto replies = m_replies.keys();
    m_replies.clear();
    for (QNetworkReply *reply : replies) {
        reply->disconnect(this);
        reply->abort();
        reply->deleteLater();
    }
    if (m_sessionId.isEmpty()) {
        m_closed = true;
        QTimer::singleShot(0, this, [this] { emit closed(Error{}); });
        return;
    }
    // Tell the server the session is over; a server that refuses (405) is fine too.
    QNetworkRequest request = makeRequest();
    request.setTransferTimeout(3000);
    QNetworkReply *reply = m_network->deleteResource(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        m_closed = true;
        m_sessionId.clear();
        emit closed(Error{});
    });
}

} // namespace Spool
