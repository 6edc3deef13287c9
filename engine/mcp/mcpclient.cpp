#include "mcp/mcpclient.h"

#include "core/logging.h"
#include "mcp/mcpmessage.h"
#include "mcp/mcptoolcall.h"
#include "mcp/mcptransport.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>
#include <QUrl>

namespace Spool {

struct McpClient::Pending
{
    QString method;
    QJsonValue id;
    McpMessage message;
    QPointer<QObject> context;
    std::function<void(Result<QJsonObject>)> done;
    QTimer *timer = nullptr;
    QElapsedTimer elapsed;
    int timeoutMs = 0;
    QString progressToken;
};

namespace {
const QString toolsListMethod = QStringLiteral("tools/list");
}

McpClient::McpClient(McpTransport *transport, McpClientOptions options, QObject *parent)
    : QObject(parent), m_transport(transport), m_options(std::move(options))
{
    m_transport->setParent(this);
    connect(m_transport, &McpTransport::opened, this, [this] { initialize(false); });
    connect(m_transport, &McpTransport::messageReceived, this, &McpClient::onMessage);
    connect(m_transport, &McpTransport::sendFailed, this, &McpClient::onSendFailed);
    connect(m_transport, &McpTransport::sessionExpired, this, &McpClient::onSessionExpired);
    connect(m_transport, &McpTransport::logLine, this, &McpClient::log);
    connect(m_transport, &McpTransport::closed, this, &McpClient::onTransportClosed);
}

McpClient::~McpClient()
{
    for (const auto &p : std::as_const(m_pending))
        delete p->timer;
}

QStringList McpClient::supportedProtocolVersions()
{
    return {QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18"), QStringLiteral("2025-03-26")};
}

void McpClient::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void McpClient::log(const QString &source, const QString &text)
{
    m_log.append(source, text);
    qCDebug(lcMcp).noquote() << m_serverName << source << text;
    emit serverLogAppended(source, text);
}

void McpClient::start()
{
    if (m_state != State::Idle)
        return;
    setState(State::Connecting);
    log(QStringLiteral("client"), QStringLiteral("connecting: %1").arg(m_transport->describe()));
    m_transport->open();
}

void McpClient::initialize(bool again)
{
    QJsonObject capabilities{{QStringLiteral("roots"), QJsonObject{{QStringLiteral("listChanged"), false}}}};
    if (m_elicitation)
        capabilities.insert(QStringLiteral("elicitation"), QJsonObject{});
    QJsonObject clientInfo{{QStringLiteral("name"), m_options.clientName},
                           {QStringLiteral("version"), m_options.clientVersion}};
    if (!m_options.clientTitle.isEmpty())
        clientInfo.insert(QStringLiteral("title"), m_options.clientTitle);
    const QJsonObject params{{QStringLiteral("protocolVersion"), m_options.protocolVersion},
                             {QStringLiteral("capabilities"), capabilities},
                             {QStringLiteral("clientInfo"), clientInfo}};
    sendRequestInternal(QStringLiteral("initialize"), params, m_options.initializeTimeoutMs, this,
                        [this, again](Result<QJsonObject> r) {
                            if (!r) {
                                fail(makeError(r.error().code, QStringLiteral("initialize failed: %1").arg(r.errorMessage())));
                                return;
                            }
                            onInitialized(*r, again);
                        });
}

void McpClient::onInitialized(const QJsonObject &result, bool again)
{
    const QString version = result.value(QLatin1String("protocolVersion")).toString();
    if (!supportedProtocolVersions().contains(version)) {
        fail(makeError(ErrorCode::Tool,
                       QStringLiteral("the server speaks MCP protocol version \"%1\"; Spool speaks %2")
                           .arg(version, supportedProtocolVersions().join(QStringLiteral(", ")))));
        return;
    }
    m_protocolVersion = version;
    m_serverInfo = result.value(QLatin1String("serverInfo")).toObject();
    m_serverCapabilities = result.value(QLatin1String("capabilities")).toObject();
    m_instructions = result.value(QLatin1String("instructions")).toString();
    m_transport->setProtocolVersion(version);
    m_transport->send(McpMessage::notification(QStringLiteral("notifications/initialized")));
    m_transport->startListening();
    log(QStringLiteral("client"), QStringLiteral("initialized: %1 %2, protocol %3")
                                      .arg(m_serverInfo.value(QLatin1String("name")).toString(),
                                           m_serverInfo.value(QLatin1String("version")).toString(), version));
    if (again) {
        m_reinitializing = false;
        const auto resend = std::exchange(m_resendAfterInit, {});
        for (const McpMessage &m : resend)
            m_transport->send(m);
        return;
    }
    if (!m_options.logLevel.isEmpty() && m_serverCapabilities.contains(QLatin1String("logging")))
        setLogLevel(m_options.logLevel);
    if (m_serverCapabilities.contains(QLatin1String("tools"))) {
        refreshTools();
        return;
    }
    m_toolsListedOnce = true;
    setState(State::Ready);
    emit ready();
}

void McpClient::fail(const Error &error)
{
    if (m_state == State::Failed || m_state == State::Closed || m_state == State::Closing)
        return; // a stop in progress is not a failure
    m_lastError = error;
    log(QStringLiteral("client"), error.message);
    const bool wasReady = m_state == State::Ready;
    setState(State::Failed);
    const auto keys = m_pending.keys();
    for (const QString &key : keys)
        finishPending(key, error);
    if (!wasReady)
        emit failed(error);
    m_transport->close();
}

void McpClient::stop()
{
    if (m_state == State::Closing || m_state == State::Closed)
        return;
    // Closing first: cancelling is then not followed by a liveness ping, the close is the end.
    setState(State::Closing);
    const auto calls = m_callsByToken.values();
    for (const QPointer<McpToolCall> &call : calls)
        if (call && !call->isFinished())
            cancelCall(call, QStringLiteral("the client is stopping"));
    const auto keys = m_pending.keys();
    for (const QString &key : keys)
        finishPending(key, makeError(ErrorCode::Cancelled, QStringLiteral("the client is stopping")));
    m_transport->close();
}

void McpClient::onTransportClosed(const Error &error)
{
    const auto keys = m_pending.keys();
    const Error failure = error.isError() ? error : makeError(ErrorCode::Cancelled, QStringLiteral("the connection was closed"));
    for (const QString &key : keys)
        finishPending(key, failure);
    const State before = m_state;
    if (error.isError()) {
        m_lastError = error;
        log(QStringLiteral("client"), error.message);
    }
    setState(error.isError() && before != State::Closing ? State::Failed : State::Closed);
    if (before == State::Connecting && error.isError())
        emit failed(error);
    emit closed(error);
}

QJsonValue McpClient::sendRequestInternal(const QString &method, const QJsonObject &params, int timeoutMs,
                                          QObject *context, std::function<void(Result<QJsonObject>)> done,
                                          const QString &progressToken)
{
    const QJsonValue id = double(m_nextId++);
    auto p = std::make_shared<Pending>();
    p->method = method;
    p->id = id;
    p->message = McpMessage::request(id, method, params);
    p->context = context;
    p->done = std::move(done);
    p->timeoutMs = timeoutMs;
    p->progressToken = progressToken;
    p->elapsed.start();
    const QString key = McpMessage::idKey(id);
    if (timeoutMs > 0) {
        p->timer = new QTimer(this);
        p->timer->setSingleShot(true);
        connect(p->timer, &QTimer::timeout, this, [this, key] { onTimeout(key); });
        p->timer->start(timeoutMs);
    }
    m_pending.insert(key, p);
    m_transport->send(p->message);
    return id;
}

void McpClient::sendRequest(const QString &method, const QJsonObject &params, int timeoutMs, QObject *context,
                            std::function<void(Result<QJsonObject>)> done)
{
    if (m_state != State::Ready) {
        QMetaObject::invokeMethod(context, [done = std::move(done)] {
            done(makeError(ErrorCode::Tool, QStringLiteral("the server is not ready")));
        }, Qt::QueuedConnection);
        return;
    }
    sendRequestInternal(method, params, timeoutMs < 0 ? m_options.requestTimeoutMs : timeoutMs, context, std::move(done));
}

void McpClient::finishPending(const QString &key, Result<QJsonObject> result)
{
    const auto p = m_pending.take(key);
    if (!p)
        return;
    if (p->timer) {
        p->timer->stop();
        p->timer->deleteLater();
        p->timer = nullptr;
    }
    if (!p->progressToken.isEmpty())
        m_callsByToken.remove(p->progressToken);
    if (p->context)
        p->done(std::move(result));
}

void McpClient::onTimeout(const QString &key)
{
    const auto p = m_pending.value(key);
    if (!p)
        return;
    const QString what = QStringLiteral("%1 timed out after %2 s").arg(p->method).arg(double(p->elapsed.elapsed()) / 1000.0, 0, 'f', 1);
    log(QStringLiteral("client"), what);
    if (p->method != QLatin1String("initialize"))
        sendCancelled(p->id, QStringLiteral("timed out"));
    finishPending(key, makeError(ErrorCode::Tool, what));
    if (p->method != QLatin1String("ping"))
        checkAlive();
}

void McpClient::sendCancelled(const QJsonValue &id, const QString &reason)
{
    m_cancelledIds.insert(McpMessage::idKey(id));
    m_transport->send(McpMessage::notification(QStringLiteral("notifications/cancelled"),
                                               {{QStringLiteral("requestId"), id},
                                                {QStringLiteral("reason"), reason}}));
}

void McpClient::checkAlive()
{
    // A cancelled server must still answer a ping; one that cannot is stuck, and a stdio
    // server's process group is ended so that it stops burning CPU or holding files.
    if (m_checkingAlive || m_state != State::Ready || !m_transport->canTerminate())
        return;
    m_checkingAlive = true;
    sendRequestInternal(QStringLiteral("ping"), {}, m_options.cancelGraceMs, this, [this](Result<QJsonObject> r) {
        m_checkingAlive = false;
        if (r || m_state != State::Ready)
            return;
        log(QStringLiteral("client"), QStringLiteral("the server did not answer a ping within %1 ms after a cancellation; ending it")
                                          .arg(m_options.cancelGraceMs));
        m_transport->terminate();
    });
}

void McpClient::cancelCall(McpToolCall *call, const QString &reason)
{
    if (!call || call->isFinished())
        return;
    const QString key = McpMessage::idKey(call->requestId());
    if (m_pending.contains(key)) {
        log(QStringLiteral("client"), QStringLiteral("cancelling %1: %2").arg(call->toolName(), reason));
        sendCancelled(call->requestId(), reason);
        finishPending(key, makeError(ErrorCode::Cancelled, QStringLiteral("%1 was cancelled: %2").arg(call->toolName(), reason)));
        checkAlive();
    }
    call->finish(makeError(ErrorCode::Cancelled, QStringLiteral("%1 was cancelled: %2").arg(call->toolName(), reason)));
}

McpToolCall *McpClient::callTool(const QString &name, const QJsonObject &arguments, int timeoutMs)
{
    const QString token = QStringLiteral("spool-%1").arg(m_nextToken++);
    auto *call = new McpToolCall(this, name, token);
    if (m_state != State::Ready) {
        const Error error = makeError(ErrorCode::Tool, QStringLiteral("the server is not ready (%1)")
                                                            .arg(m_lastError.message.isEmpty() ? QStringLiteral("not started") : m_lastError.message));
        QTimer::singleShot(0, call, [call, error] { call->finish(error); });
        return call;
    }
    const QJsonObject params{{QStringLiteral("name"), name},
                             {QStringLiteral("arguments"), arguments},
                             {QStringLiteral("_meta"), QJsonObject{{QStringLiteral("progressToken"), token}}}};
    QPointer<McpToolCall> guard(call);
    m_callsByToken.insert(token, guard);
    call->m_requestId = sendRequestInternal(
        QStringLiteral("tools/call"), params, timeoutMs < 0 ? m_options.toolTimeoutMs : timeoutMs, call,
        [guard](Result<QJsonObject> r) {
            if (!guard)
                return;
            if (!r)
                guard->finish(r.error());
            else
                guard->finish(McpToolResult::fromJson(*r));
        },
        token);
    return call;
}

void McpClient::ping(QObject *context, std::function<void(Status)> done)
{
    sendRequest(QStringLiteral("ping"), {}, m_options.requestTimeoutMs, context, [done](Result<QJsonObject> r) {
        done(r ? Status{} : Status(r.error()));
    });
}

void McpClient::setLogLevel(const QString &level)
{
    sendRequestInternal(QStringLiteral("logging/setLevel"), {{QStringLiteral("level"), level}}, m_options.requestTimeoutMs,
                        this, [this, level](Result<QJsonObject> r) {
                            log(QStringLiteral("client"), r ? QStringLiteral("log level set to %1").arg(level)
                                                            : QStringLiteral("logging/setLevel failed: %1").arg(r.errorMessage()));
                        });
}

void McpClient::refreshTools()
{
    if (m_toolsFetching) {
        // A change announced mid-listing: this listing may already be stale, so list again.
        m_toolsStale = true;
        return;
    }
    m_toolsFetching = true;
    m_toolsStale = false;
    fetchToolsPage(QString(), std::make_shared<QList<McpToolInfo>>(), std::make_shared<QSet<QString>>(), 0);
}

void McpClient::fetchToolsPage(const QString &cursor, std::shared_ptr<QList<McpToolInfo>> acc,
                               std::shared_ptr<QSet<QString>> cursors, int pages)
{
    QJsonObject params;
    if (!cursor.isEmpty())
        params.insert(QStringLiteral("cursor"), cursor);
    sendRequestInternal(toolsListMethod, params, m_options.requestTimeoutMs, this,
                        [this, acc, cursors, pages](Result<QJsonObject> r) {
        if (!r) {
            m_toolsFetching = false;
            log(QStringLiteral("client"), QStringLiteral("tools/list failed: %1").arg(r.errorMessage()));
            if (!m_toolsListedOnce) {
                m_lastError = r.error();
                m_toolsListedOnce = true;
                setState(State::Ready);
                emit ready();
            }
            return;
        }
        for (const QJsonValue &v : r->value(QLatin1String("tools")).toArray()) {
            McpToolInfo tool;
            QString whyNot;
            if (McpToolInfo::fromJson(v.toObject(), &tool, &whyNot))
                acc->append(tool);
            else
                log(QStringLiteral("client"), QStringLiteral("skipped a tool: %1").arg(whyNot));
        }
        const QString next = r->value(QLatin1String("nextCursor")).toString();
        if (!next.isEmpty() && !m_toolsStale) {
            if (cursors->contains(next) || pages + 1 >= m_options.maxToolPages || acc->size() >= m_options.maxTools) {
                log(QStringLiteral("client"), QStringLiteral("stopped listing tools after %1 pages and %2 tools (%3)")
                                                  .arg(pages + 1).arg(acc->size())
                                                  .arg(cursors->contains(next) ? QStringLiteral("the server repeated a cursor")
                                                                               : QStringLiteral("the limit")));
            } else {
                cursors->insert(next);
                fetchToolsPage(next, acc, cursors, pages + 1);
                return;
            }
        }
        m_toolsFetching = false;
        if (m_toolsStale) {
            refreshTools();
            return;
        }
        m_tools = *acc;
        log(QStringLiteral("client"), QStringLiteral("%1 tools listed").arg(m_tools.size()));
        toolsListed();
    });
}

void McpClient::toolsListed()
{
    emit toolsChanged();
    if (!m_toolsListedOnce && m_state == State::Connecting) {
        m_toolsListedOnce = true;
        setState(State::Ready);
        emit ready();
    }
}

void McpClient::onMessage(const McpMessage &message)
{
    switch (message.kind()) {
    case McpMessage::Kind::Result:
    case McpMessage::Kind::Error:
        onResponse(message);
        break;
    case McpMessage::Kind::Request:
        onServerRequest(message);
        break;
    case McpMessage::Kind::Notification:
        onNotification(message);
        break;
    }
}

void McpClient::onResponse(const McpMessage &message)
{
    const QString key = message.idKey();
    if (!m_pending.contains(key)) {
        if (m_cancelledIds.remove(key))
            log(QStringLiteral("client"), QStringLiteral("ignored a late answer to cancelled request %1").arg(key));
        else
            log(QStringLiteral("client"), QStringLiteral("ignored an answer to unknown request %1").arg(key));
        return;
    }
    if (message.kind() == McpMessage::Kind::Error) {
        QString text = QStringLiteral("the server answered error %1: %2").arg(message.errorCode()).arg(message.errorMessage());
        finishPending(key, makeError(ErrorCode::Tool, text));
        return;
    }
    finishPending(key, message.resultObject());
}

void McpClient::reply(const McpMessage &message)
{
    m_transport->send(message);
}

void McpClient::onServerRequest(const McpMessage &message)
{
    const QString method = message.method();
    if (method == QLatin1String("ping")) {
        reply(McpMessage::result(message.id(), {}));
        return;
    }
    if (method == QLatin1String("roots/list")) {
        QJsonArray roots;
        for (const QString &root : std::as_const(m_options.roots)) {
            const QUrl url(root);
            roots.append(QJsonObject{{QStringLiteral("uri"), root},
                                     {QStringLiteral("name"), url.fileName().isEmpty() ? root : url.fileName()}});
        }
        reply(McpMessage::result(message.id(), {{QStringLiteral("roots"), roots}}));
        return;
    }
    if (method == QLatin1String("elicitation/create") && m_elicitation) {
        McpElicitation request;
        request.serverName = m_serverName;
        const QJsonObject params = message.params();
        request.message = params.value(QLatin1String("message")).toString();
        request.mode = params.value(QLatin1String("mode")).toString(QStringLiteral("form"));
        request.requestedSchema = params.value(QLatin1String("requestedSchema")).toObject();
        request.url = params.value(QLatin1String("url")).toString();
        request.elicitationId = params.value(QLatin1String("elicitationId")).toString();
        const QJsonValue id = message.id();
        const QString key = message.idKey();
        log(QStringLiteral("client"), QStringLiteral("the server asks the user: %1").arg(request.message));
        QPointer<McpClient> self(this);
        m_elicitation->elicit(request, [self, id, key](const McpElicitation &answer) {
            if (!self || self->m_state != State::Ready)
                return;
            if (self->m_cancelledByServer.remove(key))
                return; // the server withdrew the question
            QJsonObject result{{QStringLiteral("action"), McpElicitation::actionName(answer.action)}};
            McpElicitation recorded = answer;
            if (answer.action == McpElicitation::Action::Accept && answer.mode == QLatin1String("form")) {
                // Fields the user left alone take the schema's defaults (SEP-1034).
                recorded.content = McpElicitation::withDefaults(answer.requestedSchema, answer.content);
                result.insert(QStringLiteral("content"), recorded.content);
            }
            self->log(QStringLiteral("client"), QStringLiteral("the user answered: %1").arg(McpElicitation::actionName(answer.action)));
            emit self->elicitationAnswered(recorded);
            self->reply(McpMessage::result(id, result));
        });
        return;
    }
    // Sampling is not offered (no `sampling` capability is declared); a server that asks anyway
    // gets the standard "method not found", which SDKs report as unsupported.
    log(QStringLiteral("client"), QStringLiteral("declined the server's %1 request: not supported").arg(method));
    reply(McpMessage::error(message.id(), McpMessage::MethodNotFound,
                            QStringLiteral("Spool does not support %1").arg(method)));
}

void McpClient::onNotification(const McpMessage &message)
{
    const QString method = message.method();
    const QJsonObject params = message.params();
    if (method == QLatin1String("notifications/progress")) {
        const QJsonValue tokenValue = params.value(QLatin1String("progressToken"));
        const QString token = tokenValue.isString() ? tokenValue.toString() : QString::number(tokenValue.toDouble());
        const QPointer<McpToolCall> call = m_callsByToken.value(token);
        if (!call)
            return;
        // Progress shows the server is working: the call's timeout starts again, up to the
        // overall limit.
        const auto p = m_pending.value(McpMessage::idKey(call->requestId()));
        if (p && p->timer && p->elapsed.elapsed() < m_options.maxToolTimeoutMs)
            p->timer->start(int(qMin<qint64>(p->timeoutMs, m_options.maxToolTimeoutMs - p->elapsed.elapsed())));
        emit call->progress(params.value(QLatin1String("progress")).toDouble(),
                            params.contains(QLatin1String("total")) ? params.value(QLatin1String("total")).toDouble() : -1.0,
                            params.value(QLatin1String("message")).toString());
        return;
    }
    if (method == QLatin1String("notifications/message")) {
        const QJsonValue data = params.value(QLatin1String("data"));
        const QString text = data.isString() ? data.toString()
                                             : QString::fromUtf8(QJsonDocument(data.isObject() ? QJsonDocument(data.toObject())
                                                                                                : QJsonDocument(data.toArray())).toJson(QJsonDocument::Compact));
        const QString logger = params.value(QLatin1String("logger")).toString();
        log(QStringLiteral("server"), QStringLiteral("[%1]%2 %3")
                                          .arg(params.value(QLatin1String("level")).toString(),
                                               logger.isEmpty() ? QString() : QStringLiteral(" ") + logger, text));
        return;
    }
    if (method == QLatin1String("notifications/tools/list_changed")) {
        log(QStringLiteral("client"), QStringLiteral("the server's tools changed"));
        if (m_state == State::Ready || m_toolsFetching)
            refreshTools();
        return;
    }
    if (method == QLatin1String("notifications/cancelled")) {
        m_cancelledByServer.insert(McpMessage::idKey(params.value(QLatin1String("requestId"))));
        return;
    }
    qCDebug(lcMcp) << "unhandled notification" << method;
}

void McpClient::onSendFailed(const QJsonValue &id, const Error &error)
{
    if (id.isUndefined() || id.isNull()) {
        // A message that could not be read and names no request: any answer may be lost.
        const auto keys = m_pending.keys();
        for (const QString &key : keys)
            finishPending(key, error);
        return;
    }
    const QString key = McpMessage::idKey(id);
    const auto p = m_pending.value(key);
    if (p && p->method == QLatin1String("initialize")) {
        fail(makeError(error.code, QStringLiteral("initialize failed: %1").arg(error.message)));
        return;
    }
    finishPending(key, error);
}

void McpClient::onSessionExpired(const McpMessage &unsent)
{
    log(QStringLiteral("client"), QStringLiteral("the server ended the session; initializing again"));
    m_resendAfterInit.append(unsent);
    if (m_reinitializing)
        return;
    m_reinitializing = true;
    initialize(true);
}

} // namespace Spool
