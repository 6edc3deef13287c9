#include "gateway/rundispatcher.h"

#include "agents/agentregistry.h"
#include "approvals/approvaldesk.h"
#include "attachments/attachmentintake.h"
#include "attachments/attachmentstore.h"
#include "core/attachmentlimits.h"
#include "core/logging.h"
#include "core/runtimeconfig.h"
#include "gateway/gatewaystatus.h"
#include "journal/journalstore.h"
#include "mcp/mcpserverregistry.h"
#include "providers/attachmentkind.h"
#include "providers/deterministicprovider.h"
#include "providers/provideradmin.h"
#include "providers/providerregistry.h"
#include "runs/contextbuilder.h"
#include "runs/instancetracker.h"
#include "runs/runadoption.h"
#include "runs/runorchestrator.h"
#include "runs/runrecovery.h"
#include "runs/runstore.h"
#include "sessions/sessiondesk.h"
#include "tools/toolregistry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <algorithm>

namespace Spool {

namespace {

QString preview(const QString &text)
{
    QString p = text.simplified();
    if (p.size() > 120)
        p = p.left(119) + QChar(0x2026);
    return p;
}

} // namespace

RunDispatcher::RunDispatcher(const Areas &areas, QObject *parent)
    : QObject(parent), m_areas(areas)
{
}

RunDispatcher::~RunDispatcher()
{
    qDeleteAll(m_active);
}

Result<RunInfo> RunDispatcher::start(const RunRequest &request, const QString &retryOf)
{
    if (request.text.trimmed().isEmpty() && request.attachments.isEmpty())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("the message is empty"));
    QJsonArray priorTurns;
    for (const ChatMessage &m : request.priorTurns) {
        // Tool turns would need the calls they answer; a caller's history is text only.
        if (m.role == ChatMessage::Role::Tool || !m.toolCalls.isEmpty() || !m.attachments.isEmpty())
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("earlier turns may only be system, user or assistant text"));
        priorTurns.append(QJsonObject{{QStringLiteral("role"), ChatMessage::roleName(m.role)},
                                      {QStringLiteral("text"), m.text}});
    }
    // Refused before anything is written: too large, or nothing a model can be sent.
    auto checked = AttachmentIntake::accept(request.attachments,
                                            AttachmentLimits::load(m_areas.config.settingsPath()));
    if (!checked)
        return checked.error();
    m_areas.providers.sync();
    m_areas.mcp.reload(); // a server added from a terminal is there for this run
    if (!request.agent.isEmpty()) {
        if (auto a = m_areas.agents.get(request.agent); !a)
            return a.error();
    }
    auto resolution = m_areas.sessions.resolve(request.session, request.createSession,
                                          request.agent.isEmpty() ? Agent::defaultName()
                                                                  : request.agent);
    if (!resolution)
        return resolution.error();
    const SessionInfo session = resolution->session;
    auto agent = m_areas.agents.get(request.agent.isEmpty() ? session.agent : request.agent);
    if (!agent)
        agent = m_areas.agents.get(Agent::defaultName());
    if (!agent)
        return agent.error();

    NewRun spec;
    spec.sessionId = session.id;
    spec.agent = agent->name;
    spec.provider = agent->provider;
    spec.model = session.model.isEmpty() ? agent->model : session.model;
    if (!request.provider.isEmpty() && request.provider != agent->provider) {
        auto provider = m_areas.providers.registry().get(request.provider);
        if (!provider)
            return provider.error();
        spec.provider = request.provider;
        spec.model = (*provider)->defaultModel();
    }
    const bool hasImage = std::any_of(checked->cbegin(), checked->cend(),
                                      [](const Attachment &a) { return isImageAttachment(a); });
    if (hasImage) {
        auto provider = m_areas.providers.registry().get(spec.provider);
        if (provider && !(*provider)->acceptsImages(spec.model))
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("model %1 of provider %2 does not take images (its "
                                            "\"images\" setting is off); send the message without "
                                            "them or choose a model that reads images")
                                     .arg(spec.model, spec.provider));
    }
    spec.inputPreview = preview(request.text);
    spec.ownerInstance = m_areas.instances.self().id;
    ChatMessage input = ChatMessage::user(request.text);
    input.attachments = *checked;
    QJsonArray attachments;
    for (const Attachment &a : std::as_const(*checked))
        attachments.append(a.toJson());
    spec.input = {{QStringLiteral("text"), request.text},
                  {QStringLiteral("attachments"), attachments},
                  {QStringLiteral("source"), request.source}};
    if (!priorTurns.isEmpty())
        spec.input.insert(QStringLiteral("prior_turns"), priorTurns);
    if (!retryOf.isEmpty())
        spec.input.insert(QStringLiteral("retry_of"), retryOf);
    // A conversation handed over whole is titled by its first message, as if typed here.
    QString titleText = request.text;
    for (const ChatMessage &m : request.priorTurns) {
        if (m.role == ChatMessage::Role::User && !m.text.trimmed().isEmpty()) {
            titleText = m.text;
            break;
        }
    }
    spec.retryOf = retryOf;
    // The run, its input, its attachments' contents and the session's bookkeeping in one
    // durable commit: a run is never accepted without the files its input names.
    Result<RunInfo> run = makeError(ErrorCode::Internal, QStringLiteral("not created"));
    if (Status s = m_areas.journal.transaction([&]() -> Status {
            run = m_areas.runs.create(spec);
            if (!run)
                return run.error();
            if (Status stored = m_areas.attachments.attach(run->id, *checked); !stored)
                return stored;
            m_areas.sessions.noteInput(session.id, titleText, run->createdAt);
            return Status();
        });
        !s)
        return s.error();
    m_areas.counters.runsStarted++;
    m_areas.counters.tapeEvents += retryOf.isEmpty() ? 2 : 3;
    if (!retryOf.isEmpty()) {
        emitRun(retryOf);
        if (auto retried = m_areas.journal.tape(retryOf, 1, -1, {TapeKind::RunRetried}); retried && !retried->isEmpty())
            emit tapeAppended(retried->constLast());
    }
    // Front ends learn of the run before any of its events, and get every event from seq 1.
    emit runUpdated(*run);
    if (auto written = m_areas.journal.tape(run->id)) {
        for (const TapeEvent &e : std::as_const(*written))
            emit tapeAppended(e);
    }

    auto *orchestrator = new RunOrchestrator(m_areas.host, *run, session, *agent, input, this);
    orchestrator->setPriorTurns(request.priorTurns);
    m_active.insert(run->id, orchestrator);
    // Return the accepted run first; the loop starts on the next pass of the event loop.
    QTimer::singleShot(0, orchestrator, &RunOrchestrator::start);
    return run;
}

Result<RunInfo> RunDispatcher::retry(const QString &idOrPrefix)
{
    auto old = m_areas.runs.find(idOrPrefix);
    if (!old)
        return old.error();
    if (!old->isTerminal())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("run %1 has not ended (%2): cancel it first")
                                 .arg(old->id, runStateName(old->state)));
    auto inputs = m_areas.journal.tape(old->id, 1, 1, {TapeKind::Input});
    if (!inputs)
        return inputs.error();
    if (inputs->isEmpty())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("run %1 has no input on its tape to retry").arg(old->id));
    // The same message: its text, its attachments (their contents from the journal) and the
    // earlier turns a caller handed over with it.
    const TapeEvent &inputEvent = inputs->constFirst();
    const QJsonObject input = inputEvent.payload;
    RunRequest request;
    request.attachments = ContextBuilder::inputMessage(inputEvent).attachments;
    if (Status loaded = m_areas.attachments.load(request.attachments); !loaded)
        return makeError(loaded.error().code,
                         QStringLiteral("cannot retry run %1: %2").arg(old->id, loaded.errorMessage()));
    const QJsonArray prior = input.value(QStringLiteral("prior_turns")).toArray();
    for (const QJsonValue &v : prior)
        request.priorTurns.append(ContextBuilder::priorTurn(v.toObject()));
    request.session.id = old->sessionId;
    request.agent = old->agent;
    request.provider = old->provider;
    request.text = input.value(QStringLiteral("text")).toString();
    request.source = QStringLiteral("retry");
    return start(request, old->id);
}

Result<RunInfo> RunDispatcher::adopt(const QString &idOrPrefix)
{
    auto found = m_areas.runs.find(idOrPrefix);
    if (!found)
        return found.error();
    if (m_active.contains(found->id))
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("run %1 is carried on by this process already").arg(found->id));
    auto outcome = m_areas.adoption.adopt(found->id, m_areas.config.staleAfterMs, m_areas.config.toolOutputModelCap);
    if (!outcome)
        return outcome.error();
    m_areas.counters.tapeEvents += outcome->written.size();
    for (const TapeEvent &e : std::as_const(outcome->written))
        emit tapeAppended(e);
    if (!outcome->point) {
        emit runUpdated(outcome->run);
        return outcome->run;
    }
    const ResumePoint &point = *outcome->point;
    auto session = m_areas.sessions.find(point.run.sessionId);
    auto agent = m_areas.agents.get(point.run.agent);
    if (!agent)
        agent = m_areas.agents.get(Agent::defaultName());
    // (A run's session cannot go while the run is active; the agent falls back to the default.)
    if (!session)
        return session.error();
    if (!agent)
        return agent.error();
    auto *orchestrator = new RunOrchestrator(m_areas.host, point.run, *session, *agent,
                                             ChatMessage::user(QString()), this);
    m_active.insert(point.run.id, orchestrator);
    emit runUpdated(point.run);
    if (point.approval.isPending())
        emit approvalRequested(point.approval); // this process is now the one that asks
    orchestrator->resume(point);
    return m_areas.runs.get(point.run.id);
}

void RunDispatcher::adoptOrphans()
{
    auto orphans = m_areas.adoption.orphans(m_areas.config.staleAfterMs);
    if (!orphans) {
        qCWarning(lcRuns) << "cannot look for runs to adopt:" << orphans.errorMessage();
        return;
    }
    for (const RunInfo &r : std::as_const(*orphans)) {
        auto adopted = adopt(r.id);
        // Another process may have been quicker: that is the point of the compare-and-set.
        if (!adopted && adopted.error().code != ErrorCode::Conflict)
            qCWarning(lcRuns) << "cannot adopt run" << r.id << adopted.errorMessage();
    }
}

Result<RunInfo> RunDispatcher::cancel(const QString &idOrPrefix, const QString &by)
{
    auto r = m_areas.runs.find(idOrPrefix);
    if (!r)
        return r;
    if (r->isTerminal())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("run %1 already ended (%2)").arg(r->id, runStateName(r->state)));
    if (RunOrchestrator *o = m_active.value(r->id)) {
        o->cancel(by);
        return m_areas.runs.get(r->id);
    }
    // Owned by another process: end it here if that process is gone (also when it waits for an
    // approval with nobody carrying it), else ask it to stop.
    auto recovered = m_areas.recovery.recoverRun(*r, m_areas.config.staleAfterMs, by.isEmpty() ? QStringLiteral("user") : by);
    if (!recovered)
        return recovered.error();
    if (*recovered)
        emitRun(r->id);
    else if (Status s = m_areas.runs.requestCancel(r->id, by); !s)
        return s.error();
    return m_areas.runs.get(r->id);
}

Result<RunInfo> RunDispatcher::runTool(const QString &tool, const QJsonObject &arguments,
                                 const SessionSelector &session, const QString &source)
{
    // An MCP server's tool is listed once its server has started, which the run waits for.
    if (!m_areas.tools.tool(tool) && !m_areas.mcp.mayProvide(tool))
        return makeError(ErrorCode::NotFound, QStringLiteral("there is no tool named %1").arg(tool));
    // The call goes through a run like any other, so policy, approvals, the sandbox and the
    // tape are exactly those an agent's call gets; the deterministic provider asks for it.
    RunRequest request;
    request.session = session;
    request.createSession = true;
    request.text = QStringLiteral("[[tool %1 %2]]")
                           .arg(tool, QString::fromUtf8(QJsonDocument(arguments).toJson(QJsonDocument::Compact)));
    request.source = source;
    request.provider = DeterministicProvider::kindName();
    return start(request);
}

void RunDispatcher::applyDecision(const PendingToolApproval &approval)
{
    if (RunOrchestrator *o = m_active.value(approval.runId))
        o->applyApprovalDecision(approval);
    else if (m_areas.config.adoptWaitingRuns)
        adoptOrphans(); // a decision for a run nobody carries on: carry it on here
}

void RunDispatcher::emitRun(const QString &runId)
{
    if (auto r = m_areas.runs.get(runId))
        emit runUpdated(*r);
}

void RunDispatcher::syncWithJournal()
{
    if (m_active.isEmpty())
        return;
    if (auto requests = m_areas.runs.cancelRequests(m_areas.instances.self().id)) {
        for (const RunInfo &r : *requests) {
            if (RunOrchestrator *o = m_active.value(r.id))
                o->cancel(r.cancelRequestedBy);
        }
    }
    const auto active = m_active.values();
    for (RunOrchestrator *o : active) {
        if (o->isFinished())
            continue;
        const QString waiting = o->waitingApprovalId();
        if (waiting.isEmpty())
            continue;
        if (auto a = m_areas.approvals.get(waiting); a && !a->isPending()) {
            emit approvalResolved(*a);
            o->applyApprovalDecision(*a);
        }
    }
}

Status RunDispatcher::heartbeat(qint64 now)
{
    if (m_active.isEmpty())
        return {};
    return m_areas.runs.heartbeat(m_areas.instances.self().id, now);
}

void RunDispatcher::releaseAll()
{
    const auto active = m_active.values();
    for (RunOrchestrator *o : active) {
        // A run that waits for an approval outlives this process: released, its approval
        // open, for the next Spool process on the journal to adopt.
        if (!o->isFinished() && !o->waitingApprovalId().isEmpty()) {
            const Status released = m_areas.adoption.release(o->runId(), o->waitingApprovalId(),
                                                             o->wallClockUsedMs());
            if (released) {
                o->detach();
                continue;
            }
            qCWarning(lcRuns) << "cannot release run" << o->runId() << released.errorMessage();
        }
        o->interrupt(QStringLiteral("Spool was closed while the run was going."));
    }
    qDeleteAll(m_active);
    m_active.clear();
}

void RunDispatcher::finished(const QString &runId)
{
    if (RunOrchestrator *o = m_active.take(runId))
        o->deleteLater();
}

} // namespace Spool
