#include "fakeproviderserver.h"

#include "anthropicrequestvalidator.h"
#include "openairequestvalidator.h"

#include <QFile>
#include <QJsonDocument>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace Spool::Test {

namespace {

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 529: return "Overloaded";
    default: return "Status";
    }
}

QByteArray sseItem(const QJsonObject &item)
{
    if (item.contains(QStringLiteral("raw")))
        return item.value(QStringLiteral("raw")).toString().toUtf8();
    QByteArray out;
    if (item.contains(QStringLiteral("event")))
        out += "event: " + item.value(QStringLiteral("event")).toString().toUtf8() + '\n';
    const QJsonValue data = item.value(QStringLiteral("data"));
    const QByteArray text = data.isObject() ? QJsonDocument(data.toObject()).toJson(QJsonDocument::Compact)
            : data.isArray() ? QJsonDocument(data.toArray()).toJson(QJsonDocument::Compact)
                             : data.toString().toUtf8();
    for (const QByteArray &line : text.split('\n'))
        out += "data: " + line + '\n';
    return out + '\n';
}

// The API's answer to a request it refuses, or nothing for a request it takes (and for paths
// that are not chat requests).
std::optional<QJsonObject> rejectionFor(const RecordedRequest &request, QString *why)
{
    if (request.method != "POST")
        return std::nullopt;
    const QString path = request.path.section(QLatin1Char('?'), 0, 0);
    if (path.endsWith(QLatin1String("/chat/completions"))) {
        if (auto r = OpenAiRequestValidator::validate(request.body)) {
            *why = r->message;
            return OpenAiRequestValidator::errorBody(*r);
        }
    } else if (path.endsWith(QLatin1String("/messages"))) {
        if (auto r = AnthropicRequestValidator::validate(request.body)) {
            *why = r->message;
            return AnthropicRequestValidator::errorBody(*r);
        }
    }
    return std::nullopt;
}

} // namespace

QJsonObject RecordedRequest::json() const
{
    return QJsonDocument::fromJson(body).object();
}

FakeProviderServer::FakeProviderServer(QObject *parent) : QObject(parent)
{
    m_server = new QTcpServer(this);
    connect(m_server, &QTcpServer::newConnection, this, &FakeProviderServer::onNewConnection);
}

FakeProviderServer::~FakeProviderServer() = default;

bool FakeProviderServer::listen()
{
    return m_server->listen(QHostAddress::LocalHost, 0);
}

quint16 FakeProviderServer::port() const
{
    return m_server->serverPort();
}

QString FakeProviderServer::baseUrl(const QString &suffix) const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(port()) + suffix;
}

QString FakeProviderServer::fixturePath(const QString &relative)
{
    return QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/providers/") + relative;
}

bool FakeProviderServer::loadScenario(const QString &relativePath)
{
    QFile f(fixturePath(relativePath));
    if (!f.open(QIODevice::ReadOnly)) {
        qWarning("cannot read scenario %s", qPrintable(f.fileName()));
        return false;
    }
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
    if (!doc.isObject()) {
        qWarning("scenario %s: %s", qPrintable(f.fileName()), qPrintable(error.errorString()));
        return false;
    }
    setScenario(doc.object());
    return !m_responses.isEmpty();
}

void FakeProviderServer::setScenario(const QJsonObject &scenario)
{
    setResponses(scenario.value(QStringLiteral("responses")).toArray());
}

void FakeProviderServer::setResponses(const QJsonArray &responses)
{
    m_responses = responses;
    m_responder = nullptr;
    m_requests.clear();
    m_rejections.clear();
}

void FakeProviderServer::setResponder(Responder responder)
{
    m_responder = std::move(responder);
    m_requests.clear();
    m_rejections.clear();
}

int FakeProviderServer::openConnections() const
{
    int n = 0;
    for (QTcpSocket *s : m_server->findChildren<QTcpSocket *>())
        n += s->state() == QAbstractSocket::ConnectedState ? 1 : 0;
    return n;
}

void FakeProviderServer::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        socket->setParent(m_server);
        // As real API servers do: without it Nagle's algorithm holds each small SSE chunk
        // until the client's delayed ACK, some 40 ms later.
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            m_buffers.remove(socket);
            socket->deleteLater();
        });
    }
}

void FakeProviderServer::onReadyRead(QTcpSocket *socket)
{
    QByteArray &buffer = m_buffers[socket];
    buffer += socket->readAll();
    while (true) {
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
        RecordedRequest request;
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        request.method = requestLine.value(0);
        request.path = QString::fromUtf8(requestLine.value(1));
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon > 0)
                request.headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
        }
        const qsizetype length = request.headers.value("content-length").toLongLong();
        if (buffer.size() < headerEnd + 4 + length)
            return; // the body is still coming
        request.body = buffer.mid(headerEnd + 4, length);
        buffer.remove(0, headerEnd + 4 + length);
        m_requests.append(request);
        const int index = int(m_requests.size()) - 1;
        emit requestReceived(index);
        QString why;
        if (const auto refused = rejectionFor(request, &why)) {
            m_rejections.append(QString::fromLatin1(request.method) + QLatin1Char(' ') + request.path
                                + QStringLiteral(": ") + why);
            qWarning("fake provider server refused request %d: %s", index, qPrintable(why));
            respond(socket, QJsonObject{{QStringLiteral("status"), 400},
                                        {QStringLiteral("body"), *refused}});
            continue;
        }
        if (m_responder) {
            respond(socket, m_responder(request, index));
            continue;
        }
        const QJsonObject response = m_responses.isEmpty()
                ? QJsonObject{{QStringLiteral("status"), 500},
                              {QStringLiteral("body"), QStringLiteral("no scenario")}}
                : m_responses.at(qMin(index, int(m_responses.size()) - 1)).toObject();
        respond(socket, response);
    }
}

void FakeProviderServer::write(QTcpSocket *socket, const QByteArray &bytes)
{
    m_sent += bytes;
    socket->write(bytes);
}

void FakeProviderServer::respond(QTcpSocket *socket, const QJsonObject &response)
{
    const int status = response.value(QStringLiteral("status")).toInt(200);
    QHash<QByteArray, QByteArray> headers;
    const QJsonObject h = response.value(QStringLiteral("headers")).toObject();
    for (auto it = h.begin(); it != h.end(); ++it)
        headers.insert(it.key().toLower().toUtf8(), it.value().toString().toUtf8());

    QList<QPair<int, QByteArray>> items; // (delay before, bytes)
    bool chunked = true;
    if (response.contains(QStringLiteral("sse"))) {
        if (!headers.contains("content-type"))
            headers.insert("content-type", "text/event-stream");
        for (const QJsonValue &v : response.value(QStringLiteral("sse")).toArray())
            items.append({v.toObject().value(QStringLiteral("delay_ms")).toInt(), sseItem(v.toObject())});
    } else if (response.contains(QStringLiteral("chunks"))) {
        if (!headers.contains("content-type"))
            headers.insert("content-type", "text/event-stream");
        for (const QJsonValue &v : response.value(QStringLiteral("chunks")).toArray()) {
            if (v.isObject())
                items.append({v.toObject().value(QStringLiteral("delay_ms")).toInt(),
                              v.toObject().value(QStringLiteral("text")).toString().toUtf8()});
            else
                items.append({0, v.toString().toUtf8()});
        }
    } else {
        chunked = false;
        const QJsonValue body = response.value(QStringLiteral("body"));
        QByteArray bytes = body.isObject() ? QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact)
                                           : body.toString().toUtf8();
        if (!headers.contains("content-type"))
            headers.insert("content-type", body.isObject() ? "application/json" : "text/plain");
        items.append({0, bytes});
    }

    QByteArray head = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    for (auto it = headers.cbegin(); it != headers.cend(); ++it)
        head += it.key() + ": " + it.value() + "\r\n";
    if (chunked)
        head += "transfer-encoding: chunked\r\n";
    else
        head += "content-length: " + QByteArray::number(items.value(0).second.size()) + "\r\n";
    head += "\r\n";
    items.prepend({response.value(QStringLiteral("delay_ms")).toInt(), head});
    sendItems(socket, items, chunked, response.value(QStringLiteral("then")).toString());
}

void FakeProviderServer::sendItems(QPointer<QTcpSocket> socket, QList<QPair<int, QByteArray>> items,
                                   bool chunked, const QString &then)
{
    if (!socket || socket->state() != QAbstractSocket::ConnectedState)
        return;
    while (!items.isEmpty()) {
        const auto [delay, bytes] = items.first();
        if (delay > 0) {
            items.first().first = 0;
            QTimer::singleShot(delay, this, [this, socket, items, chunked, then] {
                sendItems(socket, items, chunked, then);
            });
            return;
        }
        items.removeFirst();
        const bool isHead = bytes.startsWith("HTTP/1.1 ");
        if (!chunked || isHead)
            write(socket, bytes);
        else if (!bytes.isEmpty())
            write(socket, QByteArray::number(bytes.size(), 16) + "\r\n" + bytes + "\r\n");
        socket->flush();
    }
    if (then == QLatin1String("stall"))
        return;
    if (then == QLatin1String("disconnect")) {
        socket->disconnectFromHost();
        return;
    }
    if (chunked)
        write(socket, "0\r\n\r\n");
    socket->flush();
}

} // namespace Spool::Test
