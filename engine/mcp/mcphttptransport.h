#pragma once

#include "mcp/mcptransport.h"

#include <QHash>
#include <QMap>
#include <QPointer>
#include <QSet>
#include <QUrl>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;

namespace Spool {

class McpOAuthFlow;

struct McpHttpConfig
{
    QUrl url;
    QMap<QString, QString> headers; // sent with every request (an API key header, ...)
    qsizetype maxMessageBytes = 16 * 1024 * 1024;
    int defaultRetryMs = 1000;      // SSE reconnection delay when the server sets none
    int maxReconnects = 5;          // per stream, without an event in between
};

// The Streamable HTTP transport (2025-03-26 and later): one endpoint; every message is a POST
// that accepts JSON or an SSE stream back; the session id the server hands out on initialize
// is sent back on every request, and so is MCP-Protocol-Version once negotiated. A stream that
// ends before its answer is resumed with a GET carrying Last-Event-ID, after the server's
// `retry` delay. After initialization a GET stream carries messages the server starts
// (a 405 means the server offers none). close() DELETEs the session. A 401 or a 403
// insufficient_scope goes to the OAuth flow when one is set, then the request is sent again.
class McpHttpTransport : public McpTransport
{
    Q_OBJECT
public:
    McpHttpTransport(McpHttpConfig config, QNetworkAccessManager *network, QObject *parent = nullptr);
    ~McpHttpTransport() override;

    void setOAuthFlow(McpOAuthFlow *flow);
    void open() override;
    void send(const McpMessage &message) override;
    void close() override;
    void setProtocolVersion(const QString &version) override { m_protocolVersion = version; }
    void startListening() override;
    QString describe() const override { return m_config.url.toString(); }

    QString sessionId() const { return m_sessionId; }

private:
    struct Exchange;
    void post(const McpMessage &message, int authTries, int stepUps);
    void openStream();
    void attach(QNetworkReply *reply, std::shared_ptr<Exchange> exchange);
    void onReadyRead(QNetworkReply *reply, const std::shared_ptr<Exchange> &exchange);
    void onFinished(QNetworkReply *reply, const std::shared_ptr<Exchange> &exchange);
    void deliver(const QByteArray &json, const std::shared_ptr<Exchange> &exchange);
    void streamEnded(const std::shared_ptr<Exchange> &exchange);
    void fail(const std::shared_ptr<Exchange> &exchange, const Error &error);
    QNetworkRequest makeRequest() const;

    McpHttpConfig m_config;
    QNetworkAccessManager *m_network;
    QPointer<McpOAuthFlow> m_oauth;
    QString m_sessionId;
    QString m_protocolVersion;
    QHash<QNetworkReply *, std::shared_ptr<Exchange>> m_replies;
    bool m_closing = false;
    bool m_closed = false;
    bool m_listening = false;
};

} // namespace Spool
