#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPair>
#include <QTcpSocket>

namespace Spool::Test {

// One HTTP answer as a test reads it, complete or still arriving.
struct HttpReply
{
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers; // names in lower case
    QByteArray body;      // de-chunked
    bool headComplete = false;
    bool complete = false;  // the whole body arrived (Content-Length or the last chunk)
    bool chunked = false;
    int chunks = 0;         // chunks seen so far

    QByteArray header(const QByteArray &name) const;
    QJsonObject json() const;
    // `data:` payloads of a server-sent-event body, parsed ([DONE] as {"done": true}).
    QList<QJsonObject> events() const;
    QList<QJsonObject> lines() const; // NDJSON
};

// A raw HTTP/1.1 client for tests: writes exactly the bytes it is given (any Host, any
// header, half a request) and reads answers as they arrive, so tests can check what a
// library client would hide: the status of a refused request, streaming, a connection the
// server closes. Everything runs on the test's event loop.
class HttpTestClient : public QObject
{
    Q_OBJECT
public:
    explicit HttpTestClient(quint16 port, const QHostAddress &address = QHostAddress::LocalHost,
                            QObject *parent = nullptr);

    bool connectToServer(int timeoutMs = 5000);
    void send(const QByteArray &bytes);
    // A whole request; Host defaults to 127.0.0.1:<port>, Content-Type to JSON with a body.
    static QByteArray rawRequest(const QByteArray &method, const QByteArray &path,
                                 const QByteArray &token, const QByteArray &body = {},
                              const QList<QPair<QByteArray, QByteArray>> &headers = {},
                              const QByteArray &host = {});
    QByteArray request(const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
                       const QList<QPair<QByteArray, QByteArray>> &headers = {}) const;

    // The answer being read (the next one starts when it is taken).
    const HttpReply &reply() const { return m_reply; }
    HttpReply takeReply();
    bool waitForHead(int timeoutMs = 10000);
    bool waitForReply(int timeoutMs = 10000);
    bool waitForBody(const QByteArray &contains, int timeoutMs = 10000);
    bool waitForClosed(int timeoutMs = 10000);
    bool isClosed() const { return m_closed; }

    void setToken(const QByteArray &token) { m_token = token; }
    QTcpSocket *socket() { return &m_socket; }
    quint16 port() const { return m_port; }

    // Sends and waits for the whole answer.
    HttpReply exchange(const QByteArray &bytes, int timeoutMs = 10000);

signals:
    void received();

private:
    void onReadyRead();
    void parse();

    QTcpSocket m_socket;
    QHostAddress m_address;
    quint16 m_port;
    QByteArray m_token;
    QByteArray m_buffer;
    HttpReply m_reply;
    qint64 m_contentLength = -1;
    int m_headsPending = 0; // HEAD requests sent whose answers have not begun
    qint64 m_chunkLeft = -1; // bytes left in the current chunk, -1: reading a size line
    bool m_closed = false;
};

} // namespace Spool::Test
