#pragma once

#include "api/apierror.h"
#include "api/apirequest.h"
#include "api/apisettings.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTimer>

class QTcpSocket;

namespace Spool {

class ApiExchange;

// One client connection of the local API, beside the HTTP library's own handling of it: the
// library parses requests; this object enforces what it does not (ApiSettings):
//  - the size of a request, counted from the bytes as they arrive, before the library buffers
//    them: headers beyond maxHeaderBytes get 431, a body beyond maxBodyBytes 413;
//  - time: a request must arrive whole within headerTimeoutMs of its first byte (or of the
//    connection), else 408 (slowloris); a kept-alive connection idle for idleTimeoutMs closes;
//  - order: requests are answered one after another, also when a client sends the next one
//    while a stream is still going.
// It is a child of its socket, so it ends with the connection.
class ApiConnection : public QObject
{
    Q_OBJECT
public:
    // `parser` is the HTTP library's server object, whose reading stops when we refuse.
    // `overflow`: the connection came in beyond the cap; its request is answered 503.
    ApiConnection(QTcpSocket *socket, QObject *parser, const ApiSettings &limits, bool overflow);
    ~ApiConnection() override;

    static ApiConnection *of(QTcpSocket *socket);

    QTcpSocket *socket() const { return m_socket; }
    bool isOverflow() const { return m_overflow; }
    // Connected, and not being closed by us.
    bool isOpen() const;
    const ApiSettings &limits() const { return m_limits; }

    // The library parsed a whole request: it is answered after the ones before it.
    void enqueue(ApiRequest request);
    // Answers with an error outside of any exchange (the request is not whole yet, or is
    // refused as it stands) and closes the connection.
    void refuse(const ApiError &error, const QString &reason);
    // Stops reading requests, lets what is written reach the client, then closes; what the
    // client still sends meanwhile is read and dropped, so it sees our answer.
    void closeGracefully();
    // Closes at once (the client stopped reading what we write).
    void drop(const QString &reason);

    // For ApiExchange: the answer is complete.
    void exchangeFinished(ApiExchange *exchange, bool keepAlive);

signals:
    void exchangeReady(Spool::ApiExchange *exchange);
    void closed();

private:
    void onReadyRead();
    void onDisconnected();
    void onBytesWritten();
    void startNext();
    void shutdownWrite();

    QTcpSocket *m_socket;
    QPointer<QObject> m_parser;
    ApiSettings m_limits;
    bool m_overflow;

    QTimer m_requestTimer; // the request now arriving must be whole by then
    QTimer m_idleTimer;    // a kept-alive connection with nothing to do
    QTimer m_lingerTimer;  // closing: how long the client may keep sending
    bool m_inRequest = false;
    bool m_headerDone = false;
    qint64 m_headerBytes = 0;
    qint64 m_bodyBytes = 0;
    QByteArray m_tail; // the last bytes seen, for a header end split across reads

    QList<ApiRequest> m_queue;
    QPointer<ApiExchange> m_current;
    bool m_closing = false;
    bool m_writeShutdown = false;
};

} // namespace Spool
