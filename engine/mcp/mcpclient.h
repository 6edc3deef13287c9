#pragma once

#include "core/result.h"
#include "mcp/mcpelicitation.h"
#include "mcp/mcpmessage.h"
#include "mcp/mcpserverlog.h"
#include "mcp/mcptoolinfo.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QStringList>

#include <functional>
#include <memory>

namespace Spool {

class McpToolCall;
class McpTransport;

struct McpClientOptions
{
    QString clientName = QStringLiteral("spool");
    QString clientTitle = QStringLiteral("Spool");
    QString clientVersion = QStringLiteral("0.1.0");
    QString protocolVersion = QStringLiteral("2025-11-25"); // what initialize asks for
    int initializeTimeoutMs = 30000;
    int requestTimeoutMs = 60000;   // tools/list, ping, ...
    int toolTimeoutMs = 300000;     // tools/call, reset by progress up to maxToolTimeoutMs
    int maxToolTimeoutMs = 3600000;
    // After a cancellation the server must still answer a ping within this time, or a stdio
    // server's process group is ended (it is stuck, not just busy with the cancelled call).
    int cancelGraceMs = 5000;
    QString logLevel;               // logging/setLevel after initialize when set ("info", ...)
    QStringList roots;              // file:// URIs answered to roots/list
    int maxToolPages = 1000;
    int maxTools = 10000;
};

// A Model Context Protocol client for one server, on any transport, entirely on its thread's
// event loop. start() initializes (2025-11-25, accepting 2025-06-18 and 2025-03-26 answers),
// then lists the tools, following cursors; a tools/list_changed notification, even one that
// arrives while a listing is under way, leads to a fresh listing, so the list never ends
// stale. callTool() returns a handle with progress and cancellation. Requests the server makes
// (ping, roots/list, elicitation/create) are answered; sampling is declined with
// "method not found" since Spool does not offer it.
class McpClient : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, Connecting, Ready, Closing, Closed, Failed };
    Q_ENUM(State)

    // Takes ownership of the transport.
    McpClient(McpTransport *transport, McpClientOptions options = {}, QObject *parent = nullptr);
    ~McpClient() override;

    void setServerName(const QString &name) { m_serverName = name; }
    QString serverName() const { return m_serverName; }
    // Not owned; must outlive the client or be reset to nullptr. Set before start().
    void setElicitationHandler(McpElicitationHandler *handler) { m_elicitation = handler; }

    void start();
    // Cancels what is in flight, then closes the transport; closed() follows.
    void stop();

    State state() const { return m_state; }
    McpTransport *transport() const { return m_transport; }
    QString protocolVersion() const { return m_protocolVersion; }
    QJsonObject serverInfo() const { return m_serverInfo; }
    QJsonObject serverCapabilities() const { return m_serverCapabilities; }
    QString instructions() const { return m_instructions; }
    QList<McpToolInfo> tools() const { return m_tools; }
    const McpServerLog &serverLog() const { return m_log; }
    Error lastError() const { return m_lastError; }

    McpToolCall *callTool(const QString &name, const QJsonObject &arguments, int timeoutMs = -1);
    void ping(QObject *context, std::function<void(Status)> done);
    void setLogLevel(const QString &level);
    void refreshTools();

    // Any request, for what this class does not wrap yet (resources, prompts). `done` runs on
    // `context`'s thread, and not at all once `context` is gone.
    void sendRequest(const QString &method, const QJsonObject &params, int timeoutMs, QObject *context,
                     std::function<void(Result<QJsonObject>)> done);

    static QStringList supportedProtocolVersions();

signals:
    void stateChanged(Spool::McpClient::State state);
    // Initialized and tools listed: the server is usable.
    void ready();
    void failed(const Spool::Error &error);
    void toolsChanged();
    void serverLogAppended(const QString &source, const QString &text);
    void elicitationAnswered(const Spool::McpElicitation &exchange);
    // The connection ended: error.isError() when it was not asked for (crash, lost session).
    void closed(const Spool::Error &error);

private:
    friend class McpToolCall;
    struct Pending;
    QJsonValue sendRequestInternal(const QString &method, const QJsonObject &params, int timeoutMs,
                                   QObject *context, std::function<void(Result<QJsonObject>)> done,
                                   const QString &progressToken = {});
    void setState(State state);
    void initialize(bool again);
    void onInitialized(const QJsonObject &result, bool again);
    void fail(const Error &error);
    void onMessage(const McpMessage &message);
    void onResponse(const McpMessage &message);
    void onServerRequest(const McpMessage &message);
    void onNotification(const McpMessage &message);
    void onSendFailed(const QJsonValue &id, const Error &error);
    void onSessionExpired(const McpMessage &unsent);
    void onTransportClosed(const Error &error);
    void finishPending(const QString &key, Result<QJsonObject> result);
    void onTimeout(const QString &key);
    void cancelCall(McpToolCall *call, const QString &reason);
    void sendCancelled(const QJsonValue &id, const QString &reason);
    void checkAlive();
    void fetchToolsPage(const QString &cursor, std::shared_ptr<QList<McpToolInfo>> acc,
                        std::shared_ptr<QSet<QString>> cursors, int pages);
    void toolsListed();
    void reply(const McpMessage &message);
    void log(const QString &source, const QString &text);

    McpTransport *m_transport;
    McpClientOptions m_options;
    QString m_serverName;
    McpElicitationHandler *m_elicitation = nullptr;
    State m_state = State::Idle;
    QString m_protocolVersion;
    QJsonObject m_serverInfo;
    QJsonObject m_serverCapabilities;
    QString m_instructions;
    QList<McpToolInfo> m_tools;
    McpServerLog m_log;
    Error m_lastError;
    qint64 m_nextId = 1;
    qint64 m_nextToken = 1;
    QHash<QString, std::shared_ptr<Pending>> m_pending;
    QHash<QString, QPointer<McpToolCall>> m_callsByToken;
    QSet<QString> m_cancelledIds;
    QSet<QString> m_cancelledByServer;
    QList<McpMessage> m_resendAfterInit;
    bool m_reinitializing = false;
    bool m_toolsFetching = false;
    bool m_toolsStale = false;
    bool m_toolsListedOnce = false;
    bool m_checkingAlive = false;
};

} // namespace Spool
