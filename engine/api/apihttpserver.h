#pragma once

#include "api/apisettings.h"
#include "core/result.h"

#include <QAbstractHttpServer>
#include <QHostAddress>
#include <QList>

class QTcpServer;

namespace Spool {

class ApiConnection;
class ApiExchange;

// The HTTP side of the local API on QtHttpServer: QtHttpServer accepts the connections and
// parses the requests; this class listens on loopback only (127.0.0.1 and ::1, one port),
// caps the connections, puts an ApiConnection beside every socket for the limits the library
// lacks, and hands each whole request on as an ApiExchange (exchangeReady).
class ApiHttpServer : public QAbstractHttpServer
{
    Q_OBJECT
public:
    explicit ApiHttpServer(const ApiSettings &settings, QObject *parent = nullptr);
    ~ApiHttpServer() override;

    // Listens on 127.0.0.1 and, where the system has IPv6, ::1, on `port` (0: one free port
    // for both). Never on another address.
    Status listenOnLoopback(quint16 port);
    quint16 port() const { return m_port; }
    QList<QHostAddress> addresses() const;

    int connectionCount() const { return m_connections; }
    // Connections turned away at once because even the overflow was full.
    qint64 connectionsRejected() const { return m_rejected; }

    // For the TCP servers: a connection came in. False: it was closed at once.
    bool admit(QTcpSocket *socket);

signals:
    void exchangeReady(Spool::ApiExchange *exchange);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    ApiSettings m_settings;
    quint16 m_port = 0;
    int m_connections = 0;
    qint64 m_rejected = 0;
};

} // namespace Spool
