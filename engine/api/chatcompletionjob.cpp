#include "api/chatcompletionjob.h"

#include "api/apicontext.h"
#include "api/apiexchange.h"
#include "api/conversationindex.h"
#include "api/runeventrouter.h"
#include "client/engineclient.h"
#include "core/logging.h"

#include <QJsonDocument>

namespace Spool {

struct ChatCompletionJob::Started
{
    Result<RunInfo> run = makeError(ErrorCode::Internal, QStringLiteral("not started"));
    QString agent;
    bool continued = false;
    bool unknownModel = false;
};

ChatCompletionJob::ChatCompletionJob(ApiContext &context, ApiExchange *exchange,
                                     ChatCompletionRequest request)
    : QObject(exchange), m_context(context), m_exchange(exchange), m_request(std::move(request)),
      m_following(context, this)
{
    m_sessionKey = QString::fromUtf8(exchange->request().header("x-spool-session")).trimmed();
    connect(exchange, &ApiExchange::clientGone, this, &ChatCompletionJob::onClientGone);
}

ChatCompletionJob::~ChatCompletionJob()
{
    m_following.stopFollowing();
    m_following.endStreaming();
    // However the answer ended (the server stopping, the connection dropped), a run nobody
    // waits for any more does not go on alone.
    if (!m_ended)
        m_following.cancelRun(m_run, QStringLiteral("connection closed"));
}

void ChatCompletionJob::start()
{
    const ChatCompletionRequest request = m_request;
    const QString key = m_sessionKey;
    const QString defaultAgent = m_context.defaultAgent;
    std::optional<ConversationIndex::Entry> known;
    if (key.isEmpty() && !request.earlier.isEmpty()) {
        m_fingerprint = ConversationIndex::fingerprint(request.model, request.earlier);
        known = m_context.conversations.take(m_fingerprint);
    }
    QPointer<ChatCompletionJob> self(this);
    EngineClient *client = &m_context.client;
    RunEventRouter *events = &m_context.events; // the call's context: alive when it answers
    m_context.events.beginStart();
    // All on the engine thread, in one go: which agent, which session, the run.
    m_context.client.call(
            &m_context.events,
            [request, key, defaultAgent, known](Engine &e) -> Started {
                Started s;
                s.agent = request.model;
                auto agent = e.agents().get(s.agent);
                if (!agent && s.agent == QLatin1String("spool")) {
                    s.agent = defaultAgent.isEmpty() ? Agent::defaultName() : defaultAgent;
                    agent = e.agents().get(s.agent);
                }
                if (!agent) {
                    s.unknownModel = true;
                    s.run = agent.error();
                    return s;
                }
                RunRequest r;
                r.agent = s.agent;
                r.text = request.input;
                r.attachments = request.attachments;
                r.source = QStringLiteral("api");
                r.createSession = true;
                if (!key.isEmpty()) {
                    // The client names the session: it holds the conversation, and only a new
                    // one starts from the messages the client sent before.
                    auto session = e.sessions().resolve(SessionSelector{{}, key}, true, s.agent);
                    if (!session) {
                        s.run = session.error();
                        return s;
                    }
                    r.session.id = session->session.id;
                    if (session->created)
                        r.priorTurns = request.earlier;
                } else {
                    bool continues = false;
                    if (known) {
                        RunFilter f;
                        f.sessionId = known->sessionId;
                        f.limit = 1;
                        auto latest = e.runs(f);
                        continues = latest && !latest->isEmpty()
                                && latest->constFirst().id == known->runId;
                    }
                    if (continues) {
                        r.session.id = known->sessionId;
                        s.continued = true;
                    } else {
                        r.priorTurns = request.earlier;
                    }
                }
                s.run = e.startRun(r);
                return s;
            },
            [self, client, events](const Started &s) {
                if (self) {
                    self->onStarted(s);
                    return;
                }
                // The client left while the run was starting: nobody waits for it.
                events->endStart(s.run ? s.run->id : QString(), nullptr);
                if (s.run) {
                    const QString id = s.run->id;
                    client->post([id](Engine &e) {
                        (void)e.cancelRun(id, QStringLiteral("api: client disconnected"));
                    });
                }
            });
}

void ChatCompletionJob::onStarted(const Started &started)
{
    if (!started.run) {
        m_context.events.endStart({}, nullptr);
        m_ended = true;
        ApiError error = ApiError::fromEngine(started.run.error());
        if (started.unknownModel) {
            error = ApiError::make(404, QStringLiteral("model_not_found"),
                                   QStringLiteral("There is no agent named \"%1\" (GET /v1/models lists "
                                                  "them; \"spool\" is the default agent).")
                                           .arg(m_request.model),
                                   QStringLiteral("model"));
        }
        if (m_exchange)
            m_exchange->sendError(error);
        return;
    }
    m_run = *started.run;
    m_model = started.agent;
    m_continued = started.continued;
    ++m_context.counters.runsStarted;
    qCDebug(lcApi, "chat completion: run %s in session %s%s", qPrintable(m_run.id),
            qPrintable(m_run.sessionId), m_continued ? " (continued)" : "");
    if (!m_exchange || !m_exchange->isOpen()) {
        m_context.events.endStart(m_run.id, nullptr);
        m_following.cancelRun(m_run, QStringLiteral("client disconnected"));
        return;
    }
    m_exchange->addHeader("X-Spool-Run-Id", m_run.id.toLatin1());
    m_exchange->addHeader("X-Spool-Session-Id", m_run.sessionId.toLatin1());
    if (!m_request.ignored.isEmpty())
        m_exchange->addHeader("X-Spool-Ignored", m_request.ignored.join(QStringLiteral(", ")).toLatin1());
    if (m_request.stream) {
        m_following.beginStreaming();
        m_exchange->beginStream(200, "text/event-stream");
        m_exchange->writeChunk(OpenAiChat::event(OpenAiChat::chunk(
                m_run.id, m_run.createdAt / 1000, m_model,
                {{QStringLiteral("role"), QStringLiteral("assistant")}, {QStringLiteral("content"), QString()}},
                {}, m_request.includeUsage)));
    }
    m_following.follow(m_run.id); // what the run said so far, then the rest live
    if (m_run.isTerminal() && !m_ended)
        finish(m_run);
}

void ChatCompletionJob::textDelta(const QString &text)
{
    if (m_ended || text.isEmpty())
        return;
    QString piece = text;
    if (m_turnEnded && !m_text.isEmpty())
        piece.prepend(QStringLiteral("\n\n")); // the agent's next turn, after its tool calls
    m_turnEnded = false;
    m_text += piece;
    if (m_request.stream && m_exchange) {
        m_exchange->writeChunk(OpenAiChat::event(OpenAiChat::chunk(
                m_run.id, m_run.createdAt / 1000, m_model, {{QStringLiteral("content"), piece}}, {},
                m_request.includeUsage)));
    }
}

void ChatCompletionJob::tapeAppended(const TapeEvent &event)
{
    if (event.kind == TapeKind::ProviderResponse)
        m_turnEnded = true;
}

void ChatCompletionJob::approvalRequested(const PendingToolApproval &approval)
{
    if (m_ended || !m_request.stream || !m_exchange)
        return;
    // An SSE comment: clients skip it, a person reading the stream learns why it pauses.
    m_exchange->writeChunk(QStringLiteral(": waiting for approval %1 of tool %2; decide in the Spool "
                                          "window or with: spool approvals decide %1 allow|deny\n\n")
                                   .arg(approval.id, approval.tool)
                                   .toUtf8());
}

void ChatCompletionJob::runUpdated(const RunInfo &run)
{
    m_run = run;
    if (run.isTerminal() && !m_ended)
        finish(run);
}

void ChatCompletionJob::finish(const RunInfo &run)
{
    m_ended = true;
    m_following.stopFollowing();
    m_following.endStreaming();
    if (!m_exchange || !m_exchange->isOpen())
        return;
    const QJsonObject usage = OpenAiChat::usage(run.promptTokens, run.completionTokens);
    if (run.state == RunState::Succeeded) {
        if (m_sessionKey.isEmpty()) {
            QList<ChatMessage> conversation = m_request.earlier;
            conversation.append(ChatMessage::user(m_request.input));
            conversation.append(ChatMessage::assistant(m_text));
            m_context.conversations.remember(ConversationIndex::fingerprint(m_request.model, conversation),
                                             {run.sessionId, run.id});
        }
        if (m_request.stream) {
            const qint64 created = run.createdAt / 1000;
            QByteArray tail = OpenAiChat::event(
                    OpenAiChat::chunk(run.id, created, m_model, {}, QStringLiteral("stop"), m_request.includeUsage));
            if (m_request.includeUsage)
                tail += OpenAiChat::event(OpenAiChat::usageChunk(run.id, created, m_model, usage));
            tail += "data: [DONE]\n\n";
            m_exchange->writeChunk(tail);
            m_exchange->endStream();
        } else {
            m_exchange->sendJson(200, OpenAiChat::completion(run.id, run.createdAt / 1000, m_model, m_text, usage));
        }
        return;
    }
    ApiError error;
    if (run.state == RunState::Cancelled) {
        error = ApiError::make(409, QStringLiteral("run_cancelled"),
                               run.detail.isEmpty() ? QStringLiteral("The run was cancelled.") : run.detail);
    } else if (run.reason == QLatin1String("provider_error")) {
        error = ApiError::make(502, QStringLiteral("provider_error"), run.detail);
    } else {
        error = ApiError::make(500, run.reason.isEmpty() ? QStringLiteral("run_failed") : run.reason,
                               run.detail.isEmpty() ? QStringLiteral("The run failed.") : run.detail);
    }
    if (m_request.stream) {
        // The status line went out long ago: the error travels as an event, as OpenAI's does.
        m_exchange->writeChunk(OpenAiChat::event(error.toJson()));
        m_exchange->endStream();
    } else {
        // The engine already retried what could be retried; the SDK must not run it again.
        m_exchange->addHeader("X-Should-Retry", "false");
        m_exchange->sendError(error);
    }
}

void ChatCompletionJob::onClientGone(const QString &why)
{
    if (m_ended)
        return;
    ++m_context.counters.clientDisconnects;
    qCInfo(lcApi, "chat completion client gone (%s): cancelling run %s", qPrintable(why),
           qPrintable(m_run.id));
    m_following.cancelRun(m_run, why);
    m_ended = true;
    m_following.stopFollowing();
    m_following.endStreaming();
}

} // namespace Spool
