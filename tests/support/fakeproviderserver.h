#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>

#include <functional>

class QTcpServer;
class QTcpSocket;

namespace Spool::Test {

// A request the fake server received, as it came over the wire.
struct RecordedRequest
{
    QByteArray method;
    QString path; // with the query
    QHash<QByteArray, QByteArray> headers; // names lower-cased
    QByteArray body;

    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
    QJsonObject json() const;
};

// A real HTTP/1.1 server on 127.0.0.1 that plays scripted provider replies, for both APIs
// (tests/fixtures/providers/<api>/<scenario>.json). A scenario is
//   {"responses": [RESPONSE, ...]}
// and request n gets response n (the last one repeats). A RESPONSE is
//   {"status": 200, "headers": {"retry-after": "1"}, "delay_ms": 0,
//    "body": "text" or {json}                      -- sent whole, with Content-Length, or
//    "sse": [{"event": "name", "data": {json} or "text", "delay_ms": 0} or {"raw": "bytes"}],
//    "chunks": ["raw bytes", ...],                 -- each entry one HTTP chunk
//    "then": "finish" | "disconnect" | "stall"}
// "disconnect" closes the connection without ending the chunked body (a broken stream),
// "stall" keeps it open and silent. Every request is recorded, so tests can check what Spool
// sent. Lives on the thread that created it.
//
// Like the real services, it first validates every chat request body: POST .../chat/completions
// as OpenAI does (OpenAiRequestValidator), POST .../messages as Anthropic does
// (AnthropicRequestValidator). A request that breaks a rule gets the API's own HTTP 400 error
// body instead of the scripted reply, and is listed in rejections().
class FakeProviderServer : public QObject
{
    Q_OBJECT
public:
    explicit FakeProviderServer(QObject *parent = nullptr);
    ~FakeProviderServer() override;

    bool listen();
    quint16 port() const;
    QString baseUrl(const QString &suffix = QString()) const;

    static QString fixturePath(const QString &relative);
    bool loadScenario(const QString &relativePath); // under tests/fixtures/providers/
    void setScenario(const QJsonObject &scenario);
    void setResponses(const QJsonArray &responses);
    // Replies computed from each request instead of a script: a model that answers what it is
    // sent (calls a tool it was offered, sees its result). `index` counts from 0.
    using Responder = std::function<QJsonObject(const RecordedRequest &request, int index)>;
    void setResponder(Responder responder);

    QList<RecordedRequest> requests() const { return m_requests; }
    // "METHOD path: why" for every request refused by validation, oldest first.
    QStringList rejections() const { return m_rejections; }
    int requestCount() const { return int(m_requests.size()); }
    int openConnections() const;
    // Every byte the server sent, for tests that look for secrets in the traffic.
    QByteArray sentBytes() const { return m_sent; }

signals:
    void requestReceived(int index);

private:
    struct Connection;
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void respond(QTcpSocket *socket, const QJsonObject &response);
    void sendItems(QPointer<QTcpSocket> socket, QList<QPair<int, QByteArray>> items, bool chunked,
                   const QString &then);
    void write(QTcpSocket *socket, const QByteArray &bytes);

    QTcpServer *m_server = nullptr;
    QJsonArray m_responses;
    Responder m_responder;
    QList<RecordedRequest> m_requests;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QByteArray m_sent;
    QStringList m_rejections;
};

} // namespace Spool::Test
