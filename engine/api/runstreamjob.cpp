#include "api/runstreamjob.h"

#include "api/apicontext.h"
#include "api/apierror.h"
#include "api/apiexchange.h"
#include "api/runeventrouter.h"
#include "client/engineclient.h"
#include "core/logging.h"
#include "core/ulid.h"

#include <QJsonDocument>

namespace Spool {

RunStreamJob::RunStreamJob(ApiContext &context, ApiExchange *exchange, const QString &session,
                           RunRequest request, bool stream)
    : QObject(exchange), m_context(context), m_exchange(exchange), m_session(session),
      m_request(std::move(request)), m_stream(stream), m_following(context, this)
{
    connect(exchange, &ApiExchange::clientGone, this, &RunStreamJob::onClientGone);
}

RunStreamJob::~RunStreamJob()
{
    m_following.stopFollowing();
    m_following.endStreaming();
    if (!m_ended)
        m_following.cancelRun(m_run, QStringLiteral("connection closed"));
}

void RunStreamJob::start()
{
    RunRequest request = m_request;
    request.source = QStringLiteral("api");
    request.createSession = true;
    const QString session = m_session;
    const QString defaultAgent = m_context.defaultAgent;
    QPointer<RunStreamJob> self(this);
    EngineClient *client = &m_context.client;
    RunEventRouter *events = &m_context.events;
    m_context.events.beginStart();
    m_context.client.call(
            events,
            [request, session, defaultAgent](Engine &e) mutable -> Result<RunInfo> {
                // An existing session by id or key; a free key makes a new session, as
                // `spool chat --session KEY` does; an unknown id is an error.
                if (auto found = e.sessions().find(session)) {
                    request.session.id = found->id;
                } else if (Ulid::isValid(session)) {
                    return found.error();
                } else {
                    request.session.key = session;
                    if (request.agent.isEmpty())
                        request.agent = defaultAgent;
                }
                return e.startRun(request);
            },
            [self, client, events](const Result<RunInfo> &run) {
                if (self) {
                    self->onStarted(run);
                    return;
                }
                events->endStart(run ? run->id : QString(), nullptr);
                if (run) {
                    const QString id = run->id;
                    client->post([id](Engine &e) {
                        (void)e.cancelRun(id, QStringLiteral("api: client disconnected"));
                    });
                }
            });
}

void RunStreamJob::onStarted(const Result<RunInfo> &run)
{
    if (!run) {
        m_context.events.endStart({}, nullptr);
        m_ended = true;
        if (m_exchange)
            m_exchange->sendError(ApiError::fromEngine(run.error()));
        return;
    }
    m_run = *run;
    ++m_context.counters.runsStarted;
    if (!m_stream) {
        m_ended = true; // nobody watches it: it runs to its end
        m_context.events.endStart(m_run.id, nullptr);
        if (m_exchange)
            m_exchange->sendJson(202, QJsonObject{{QStringLiteral("run"), m_run.toJson()}});
        return;
    }
    if (!m_exchange || !m_exchange->isOpen()) {
        m_context.events.endStart(m_run.id, nullptr);
        m_following.cancelRun(m_run, QStringLiteral("client disconnected"));
        return;
    }
    m_exchange->addHeader("X-Spool-Run-Id", m_run.id.toLatin1());
    m_exchange->addHeader("X-Spool-Session-Id", m_run.sessionId.toLatin1());
    m_exchange->beginStream(200, "application/x-ndjson");
    m_following.beginStreaming();
    line({{QStringLiteral("type"), QStringLiteral("run")}, {QStringLiteral("run"), m_run.toJson()}});
    m_following.follow(m_run.id);
    if (m_run.isTerminal() && !m_ended)
        finish(m_run);
}

void RunStreamJob::line(const QJsonObject &object)
{
    if (m_exchange)
        m_exchange->writeChunk(QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n');
}

void RunStreamJob::tapeAppended(const TapeEvent &event)
{
    if (m_ended)
        return;
    if (event.kind == TapeKind::AssistantMessage)
        m_finalText = event.payload.value(QStringLiteral("text")).toString();
    line({{QStringLiteral("type"), QStringLiteral("event")}, {QStringLiteral("event"), event.toJson()}});
}

void RunStreamJob::textDelta(const QString &text)
{
    if (!m_ended)
        line({{QStringLiteral("type"), QStringLiteral("delta")}, {QStringLiteral("text"), text}});
}

void RunStreamJob::approvalRequested(const PendingToolApproval &approval)
{
    if (!m_ended)
        line({{QStringLiteral("type"), QStringLiteral("approval")},
              {QStringLiteral("approval"), approval.toJson()}});
}

void RunStreamJob::runUpdated(const RunInfo &run)
{
    m_run = run;
    if (run.isTerminal() && !m_ended)
        finish(run);
}

void RunStreamJob::finish(const RunInfo &run)
{
    m_ended = true;
    m_following.stopFollowing();
    m_following.endStreaming();
    line({{QStringLiteral("type"), QStringLiteral("result")},
          {QStringLiteral("run"), run.toJson()},
          {QStringLiteral("text"), m_finalText}});
    if (m_exchange)
        m_exchange->endStream();
}

void RunStreamJob::onClientGone(const QString &why)
{
    if (m_ended)
        return;
    ++m_context.counters.clientDisconnects;
    qCInfo(lcApi, "run stream client gone (%s): cancelling run %s", qPrintable(why),
           qPrintable(m_run.id));
    m_following.cancelRun(m_run, why);
    m_ended = true;
    m_following.stopFollowing();
    m_following.endStreaming();
}

} // namespace Spool
