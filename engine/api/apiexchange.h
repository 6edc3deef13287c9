#pragma once

#include "api/apierror.h"
#include "api/apirequest.h"

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>

namespace Spool {

class ApiConnection;

// One request and its answer: a whole JSON answer, or a stream (status and headers first, then
// the body piece by piece, in HTTP/1.1 chunks, as the run produces it). Says when the client
// went away before the answer was complete. A child of its connection.
class ApiExchange : public QObject
{
    Q_OBJECT
public:
    ApiExchange(ApiConnection *connection, ApiRequest request);
    ~ApiExchange() override;

    const ApiRequest &request() const { return m_request; }
    // The client is still there and the answer is not complete.
    bool isOpen() const;
    bool isStarted() const { return m_started; }
    bool isFinished() const { return m_finished; }

    // Headers for the answer; set before it starts.
    void addHeader(const QByteArray &name, const QByteArray &value);
    // Echoed as Access-Control-Allow-Origin (an allowed browser origin, never "*").
    void setAllowedOrigin(const QByteArray &origin) { m_allowedOrigin = origin; }

    void sendJson(int status, const QJsonValue &body);
    void sendError(const ApiError &error);
    void sendEmpty(int status);

    void beginStream(int status, const QByteArray &contentType);
    // False when the client is gone (or was dropped for not reading).
    bool writeChunk(const QByteArray &data);
    void endStream();

    // For ApiConnection: the connection ended before the answer did.
    void connectionLost(const QString &why);

    static QByteArray reasonPhrase(int status);
    // The status line and headers, as written for `status` (for answers outside an exchange).
    static QByteArray head(int status, const QList<QPair<QByteArray, QByteArray>> &headers);

signals:
    // The client disconnected (or was dropped) before the answer was complete.
    void clientGone(const QString &why);

private:
    void writeHead(int status, QList<QPair<QByteArray, QByteArray>> headers);
    void finish();

    QPointer<ApiConnection> m_connection;
    ApiRequest m_request;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    QByteArray m_allowedOrigin;
    bool m_keepAlive = true;
    bool m_started = false;
    bool m_finished = false;
    bool m_gone = false;
};

} // namespace Spool
