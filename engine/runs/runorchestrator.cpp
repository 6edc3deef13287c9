#include "runs/runorchestrator.h"

#include "core/logging.h"
#include "core/runtimeconfig.h"
#include "policy/policyengine.h"
#include "providers/attachmentkind.h"
#include "providers/contextwindow.h"
#include "providers/modelprovider.h"
#include "providers/providerregistry.h"
#include "runs/contextbuilder.h"
#include "runs/runhost.h"
#include "tools/builtin/shellexectool.h"
#include "tools/toolregistry.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <utility>

namespace Spool {

namespace {

qint64 now()
{
    return QDateTime::currentMSecsSinceEpoch();
}

} // namespace

RunOrchestrator::RunOrchestrator(RunHost &host, const RunInfo &run, const SessionInfo &session,
                                 const Agent &agent, const ChatMessage &input, QObject *parent)
    : QObject(parent), m_host(host), m_run(run), m_session(session), m_agent(agent),
      m_input(input)
{
    m_wallClock.setSingleShot(true);
    m_approvalTimer.setSingleShot(true);
    connect(&m_wallClock, &QTimer::timeout, this, [this] {
        stopWork(QStringLiteral("wall clock budget exhausted"));
        fail(RunReason::BudgetExhausted,
             QStringLiteral("The run took longer than its wall-clock budget of %1 s.")
                     .arg(m_host.config().wallClockMs / 1000),
             {{QStringLiteral("budget"), QStringLiteral("wall_clock")},
              {QStringLiteral("limit_ms"), m_host.config().wallClockMs}});
    });
    connect(&m_approvalTimer, &QTimer::timeout, this, &RunOrchestrator::onApprovalTimeout);
    m_checkpoint.setSingleShot(true);
    connect(&m_checkpoint, &QTimer::timeout, this, &RunOrchestrator::checkpointPartial);
}

RunOrchestrator::~RunOrchestrator() = default;

void RunOrchestrator::start()
{
    if (m_finished)
        return;
    if (Status s = m_host.transition(m_run.id, RunState::Running, QStringLiteral("started"), {});
        !s) {
        fail(QStringLiteral("journal_error"), s.errorMessage());
        return;
    }
    m_wallClock.start(int(qMin<qint64>(m_host.config().wallClockMs, INT_MAX)));
    m_ownedFor.start();
    // The user's MCP servers may still be starting: their tools belong in the first request.
    m_host.whenToolsReady(this, [this] { recallMemory(); });
}

void RunOrchestrator::recallMemory()
{
    if (m_finished)
        return;
    // Memory first: what it gives counts against the model's context window. The query is the
    // input and the last turn, so "and the other one?" still finds what the turn was about.
    MemoryQuery query;
    query.text = m_input.text;
    if (auto last = m_host.contextBuilder().lastTurnText(m_session.id, m_session.contextFloor,
                                                         m_run.ordinal);
        last && !last->isEmpty())
        query.text += QLatin1Char('\n') + last->left(2000);
    query.sessionId = m_session.id;
    query.agent = m_agent.name;
    m_host.recallMemory(query, this, [this](const MemoryRecall &recall) { buildContext(recall); });
}

void RunOrchestrator::resume(const ResumePoint &point)
{
    if (m_finished)
        return;
    m_run = point.run;
    m_messages = point.messages;
    m_current = point.current;
    m_queue = point.queue;
    m_turns = point.turns;
    m_toolCalls = point.toolCalls;
    m_wallClockBefore = point.wallClockUsedMs;
    m_ownedFor.start();
    // The budget counts the time the run was carried on, not the time it waited unowned.
    m_wallClock.start(int(qBound(qint64(0), m_host.config().wallClockMs - m_wallClockBefore,
                                 qint64(INT_MAX))));
    m_waitingApproval = point.approval.id;
    // The waiting call, the calls after it and the next turn may need the user's MCP servers,
    // which nothing has started in this process: what is decided is carried out once they are
    // ready (or failed), as a new run waits before its first request.
    m_awaitingTools = true;
    m_host.whenToolsReady(this, [this] {
        m_awaitingTools = false;
        if (m_finished)
            return;
        if (auto decided = std::exchange(m_decidedMeanwhile, std::nullopt))
            carryOut(*decided);
    });
    if (!point.approval.isPending()) {
        applyApprovalDecision(point.approval); // decided while nobody carried the run
        return;
    }
    // The approval keeps the expiry it was given when it was asked, across processes.
    m_approvalTimer.start(int(qBound<qint64>(0, point.approval.expiresAt - now(), qint64(INT_MAX))));
}

void RunOrchestrator::detach()
{
    m_finished = true;
    m_wallClock.stop();
    m_approvalTimer.stop();
    m_checkpoint.stop();
}

qint64 RunOrchestrator::wallClockUsedMs() const
{
    return m_wallClockBefore + (m_ownedFor.isValid() ? m_ownedFor.elapsed() : 0);
}

int RunOrchestrator::historyBudget(int window, int systemTokens, int toolTokens, int inputTokens,
                                   int cap, QJsonObject *budget)
{
    // Room for the reply: a quarter of a small window, at most 4,096 tokens of a large one.
    const int reserve = qMin(4096, window / 4);
    const int available = window - reserve - systemTokens - toolTokens - inputTokens;
    const int history = qBound(0, available, qMax(0, cap));
    if (budget) {
        *budget = QJsonObject{{QStringLiteral("window"), window},
                              {QStringLiteral("reply_reserve"), reserve},
                              {QStringLiteral("system"), systemTokens},
                              {QStringLiteral("tools"), toolTokens},
                              {QStringLiteral("input"), inputTokens},
                              {QStringLiteral("history_budget"), history}};
    }
    return history;
}

QList<ToolDefinition> RunOrchestrator::offeredTools() const
{
    QList<ToolDefinition> tools;
    for (const ToolSpec &spec : m_host.tools().specs()) {
        if (offered(spec))
            tools.append(ToolDefinition{spec.name, spec.description, spec.parameters});
    }
    return tools;
}

void RunOrchestrator::buildContext(const MemoryRecall &recall)
{
    if (m_finished)
        return;
    m_memory = recall;
    const RuntimeConfig &config = m_host.config();
    int window = config.contextWindowTokens;
    if (window <= 0) {
        auto provider = m_host.providers().get(m_run.provider);
        window = provider ? (*provider)->contextWindow(m_run.model) : ContextWindow::kUnknown;
    }
    QJsonArray toolsJson;
    for (const ToolDefinition &t : offeredTools())
        toolsJson.append(t.toJson());
    const int toolTokens = toolsJson.isEmpty()
            ? 0
            : estimateTokens(QString::fromUtf8(QJsonDocument(toolsJson).toJson(QJsonDocument::Compact)));
    const int systemTokens = estimateTokens(m_agent.systemPrompt) + m_memory.tokens;
    int inputTokens = m_input.estimatedTokens(); // its attachments included
    // Earlier turns a caller handed over (the local API) go to the model with the input.
    for (const ChatMessage &m : std::as_const(m_priorTurns))
        inputTokens += m.estimatedTokens();
    QJsonObject budget;
    const int history = historyBudget(window, systemTokens, toolTokens, inputTokens,
                                      config.contextTokenBudget, &budget);

    auto context = m_host.contextBuilder().build(m_session.id, m_session.contextFloor,
                                                 m_run.ordinal, history, config.toolOutputModelCap);
    if (!context) {
        fail(QStringLiteral("context_unavailable"), context.errorMessage());
        return;
    }
    budget.insert(QStringLiteral("memory"), m_memory.tokens);
    budget.insert(QStringLiteral("total"),
                  systemTokens + toolTokens + inputTokens + context->tokenEstimate);
    QJsonObject payload = context->toJson();
    payload.insert(QStringLiteral("memory_hits"), m_memory.hitsJson());
    payload.insert(QStringLiteral("memory_mode"), m_memory.mode);
    if (!m_memory.note.isEmpty())
        payload.insert(QStringLiteral("memory_note"), m_memory.note);
    payload.insert(QStringLiteral("memory_tokens"), m_memory.tokens);
    payload.insert(QStringLiteral("budget"), budget);
    if (!m_priorTurns.isEmpty())
        payload.insert(QStringLiteral("prior_turns"), int(m_priorTurns.size()));
    if (!record(TapeKind::Context, payload))
        return;
    m_messages = context->messages;
    m_messages.append(m_priorTurns);
    // Earlier images go again only to a model that reads them; another is told what they were.
    auto provider = m_host.providers().get(m_run.provider);
    if (provider && !(*provider)->acceptsImages(m_run.model)) {
        for (ChatMessage &m : m_messages) {
            QStringList left;
            for (qsizetype i = m.attachments.size() - 1; i >= 0; --i) {
                if (isImageAttachment(m.attachments.at(i))) {
                    left.prepend(m.attachments.at(i).name);
                    m.attachments.removeAt(i);
                }
            }
            if (!left.isEmpty())
                m.text += QStringLiteral("\n\n[Image(s) not sent, this model does not take images: %1]")
                                  .arg(left.join(QStringLiteral(", ")));
        }
    }
    m_messages.append(m_input);
    nextTurn();
}

void RunOrchestrator::nextTurn()
{
    if (m_finished)
        return;
    const RuntimeConfig &config = m_host.config();
    if (m_turns >= config.maxTurns) {
        fail(RunReason::BudgetExhausted,
             QStringLiteral("The run reached its limit of %1 model turns.").arg(config.maxTurns),
             {{QStringLiteral("budget"), QStringLiteral("turns")},
              {QStringLiteral("limit"), config.maxTurns}});
        return;
    }
    auto provider = m_host.providers().get(m_run.provider);
    if (!provider) {
        fail(QStringLiteral("provider_unavailable"), provider.errorMessage());
        return;
    }
    ++m_turns;

    ProviderRequest request;
    request.provider = m_run.provider;
    request.model = m_run.model;
    request.system = m_agent.systemPrompt;
    if (!m_memory.block.isEmpty())
        request.system += (request.system.isEmpty() ? QString() : QStringLiteral("\n\n")) + m_memory.block;
    request.messages = m_messages;
    request.tools = offeredTools();
    // What is actually sent: remote providers rename tools for the wire (WireRequest).
    QJsonObject snapshot = (*provider)->requestSnapshot(request);
    snapshot.insert(QStringLiteral("turn"), m_turns);
    if (!record(TapeKind::ProviderRequest, snapshot))
        return;

    m_streamed.clear();
    m_checkpointed = 0;
    m_checkpoint.stop();
    m_call = (*provider)->send(request, this);
    connect(m_call, &ProviderCall::textDelta, this, &RunOrchestrator::onTextDelta);
    connect(m_call, &ProviderCall::retrying, this, &RunOrchestrator::onProviderRetrying);
    connect(m_call, &ProviderCall::finished, this, &RunOrchestrator::onProviderFinished);
    connect(m_call, &ProviderCall::failed, this, &RunOrchestrator::onProviderFailed);
}

void RunOrchestrator::onTextDelta(const QString &text)
{
    if (m_finished)
        return;
    m_host.streamText(m_run.id, text);
    m_streamed += text;
    if (!m_checkpoint.isActive())
        m_checkpoint.start(qMax(1, m_host.config().partialCheckpointMs));
}

void RunOrchestrator::checkpointPartial()
{
    if (m_finished || m_checkpointed >= m_streamed.size())
        return;
    // Deferred: it survives Spool being killed, which is what it is for.
    if (record(TapeKind::ProviderPartial, {{QStringLiteral("turn"), m_turns},
                                           {QStringLiteral("offset"), m_checkpointed},
                                           {QStringLiteral("text"), m_streamed.mid(m_checkpointed)}}))
        m_checkpointed = m_streamed.size();
}

void RunOrchestrator::keepPartial(const QString &why)
{
    m_checkpoint.stop();
    if (m_streamed.isEmpty())
        return;
    const QString text = std::exchange(m_streamed, QString());
    m_checkpointed = 0;
    record(TapeKind::AssistantMessage, {{QStringLiteral("text"), text},
                                        {QStringLiteral("partial"), true},
                                        {QStringLiteral("reason"), why}});
}

void RunOrchestrator::onProviderRetrying(const ProviderError &error)
{
    if (m_finished)
        return;
    m_host.countProviderCall(true);
    record(TapeKind::ProviderError, error.toJson());
}

void RunOrchestrator::onProviderFinished(const ProviderResponse &response)
{
    if (m_finished)
        return;
    if (m_call)
        m_call->deleteLater();
    m_call = nullptr;
    m_checkpoint.stop();
    m_streamed.clear(); // the response has it all
    m_checkpointed = 0;
    m_host.countProviderCall(false);
    m_host.addUsage(m_run.id, response.usage);
    if (!record(TapeKind::ProviderResponse, response.toJson()))
        return;
    m_messages.append(ChatMessage::assistant(response.text, response.toolCalls));
    if (response.toolCalls.isEmpty()) {
        if (!record(TapeKind::AssistantMessage, {{QStringLiteral("text"), response.text}}))
        return;
        finish(RunState::Succeeded, RunReason::Completed, {});
        return;
    }
    m_queue = response.toolCalls;
    processNextCall();
}

void RunOrchestrator::onProviderFailed(const ProviderError &error)
{
    if (m_finished)
        return;
    if (m_call)
        m_call->deleteLater();
    m_call = nullptr;
    m_host.countProviderCall(true);
    if (!record(TapeKind::ProviderError, error.toJson()))
        return;
    keepPartial(QStringLiteral("provider_error"));
    const QString description = providerErrorClassDescription(error.errorClass);
    fail(QStringLiteral("provider_error"),
         error.message.isEmpty() || error.message == description
                 ? description
                 : description + QLatin1Char(' ') + error.message,
         {{QStringLiteral("error_class"), providerErrorClassName(error.errorClass)}});
}

void RunOrchestrator::processNextCall()
{
    if (m_finished)
        return;
    if (m_queue.isEmpty()) {
        nextTurn();
        return;
    }
    const RuntimeConfig &config = m_host.config();
    if (m_toolCalls >= config.maxToolCalls) {
        fail(RunReason::BudgetExhausted,
             QStringLiteral("The run reached its limit of %1 tool calls.").arg(config.maxToolCalls),
             {{QStringLiteral("budget"), QStringLiteral("tool_calls")},
              {QStringLiteral("limit"), config.maxToolCalls}});
        return;
    }
    m_current = m_queue.takeFirst();
    ++m_toolCalls;
    m_host.countToolCall();
    QJsonObject callPayload{{QStringLiteral("call_id"), m_current.id},
                            {QStringLiteral("tool"), m_current.name},
                            {QStringLiteral("arguments"), m_current.arguments}};
    // An MCP tool's call says which server it goes to and in which protocol version.
    if (const Tool *called = m_host.tools().tool(m_current.name); called && !called->spec().server.isEmpty()) {
        const ToolSpec spec = called->spec();
        callPayload.insert(QStringLiteral("server"), spec.server);
        callPayload.insert(QStringLiteral("server_tool"), spec.serverTool);
        callPayload.insert(QStringLiteral("protocol_version"), spec.protocolVersion);
    }
    if (!m_current.argumentsError.isEmpty()) {
        callPayload.insert(QStringLiteral("raw_arguments"), m_current.rawArguments);
        callPayload.insert(QStringLiteral("arguments_error"), m_current.argumentsError);
    }
    if (!m_current.nameError.isEmpty())
        callPayload.insert(QStringLiteral("name_error"), m_current.nameError);
    if (!record(TapeKind::ToolCall, callPayload))
        return;

    // A name the request did not offer: the provider's message lists the names the model
    // knows the tools by.
    if (!m_current.nameError.isEmpty()) {
        finishCall(ToolResult::failure(m_current.nameError));
        return;
    }

    // Malformed calls never reach policy: the model is told what was wrong and may retry.
    Tool *tool = m_host.tools().tool(m_current.name);
    if (!tool || !offered(tool->spec())) {
        QStringList available;
        for (const ToolSpec &spec : m_host.tools().specs()) {
            if (offered(spec))
                available.append(spec.name);
        }
        finishCall(ToolResult::failure(QStringLiteral("There is no tool named \"%1\". Available "
                                                      "tools: %2.")
                                               .arg(m_current.name.left(100),
                                                    available.join(QStringLiteral(", ")))));
        return;
    }
    if (!m_current.argumentsError.isEmpty()) {
        finishCall(ToolResult::failure(QStringLiteral("The call was not run: ")
                                       + m_current.argumentsError + QLatin1Char('.')));
        return;
    }
    if (Status valid = m_host.tools().validateArguments(m_current.name, m_current.arguments);
        !valid) {
        finishCall(ToolResult::failure(QStringLiteral("The call was not run: ")
                                       + valid.errorMessage() + QLatin1Char('.')));
        return;
    }

    // The preview may need a moment (shell.exec learns once whether its sandbox works): the
    // decision waits for it on the event loop, never blocking the engine thread.
    tool->whenPreviewReady(this, [this] { decideCall(); });
}

void RunOrchestrator::decideCall()
{
    if (m_finished || m_stopping)
        return;
    // Looked up again: the settings may have replaced the tool meanwhile.
    Tool *tool = m_host.tools().tool(m_current.name);
    if (!tool) {
        finishCall(ToolResult::failure(QStringLiteral("The tool \"%1\" went away before the call "
                                                      "could run.")
                                               .arg(m_current.name)));
        return;
    }
    const ToolSpec spec = tool->spec();
    PolicyDecision decision = withApprovalMode(
            m_host.decidePolicy(policyRequest(spec, m_current.arguments, m_session, m_agent)),
            m_agent);
    // A command that would run without a sandbox (allowed in the settings where bubblewrap
    // cannot work) always asks, whatever the policy or earlier grants say.
    m_preview = tool->approvalPreview(invocation());
    m_unsandboxed = m_preview.value(QStringLiteral("sandbox")).toString() == QLatin1String("none");
    const bool wouldBeRefused = m_preview.value(QStringLiteral("kind")).toString() == QLatin1String("error");
    if (m_unsandboxed && decision.effect == PolicyEffect::Allow) {
        decision.effect = PolicyEffect::Ask;
        decision.determining.append(QStringLiteral("spool.unsandboxed"));
        decision.explanation = QStringLiteral("This command would run without a sandbox, so Spool "
                                              "asks before every such command.");
    }
    // The decision that lets a tool act on the world is durable before it acts.
    const bool runsNow = decision.effect == PolicyEffect::Allow && !wouldBeRefused;
    if (!record(TapeKind::PolicyDecision, decision.toJson(m_current.id),
                runsNow ? JournalStore::Commit::Durable : JournalStore::Commit::Deferred))
        return;

    // A call the tool would refuse anyway (a path out of the workspace, an edit that does not
    // match) is not put to the user: it fails now, with the tool's reason.
    if (wouldBeRefused && decision.effect != PolicyEffect::Deny) {
        finishCall(ToolResult::failure(QStringLiteral("The call was not run: ")
                                       + m_preview.value(QStringLiteral("error")).toString()));
        return;
    }
    switch (decision.effect) {
    case PolicyEffect::Deny:
        finishCall(ToolResult::failure(QStringLiteral("The call was denied by policy: ")
                                       + decision.explanation));
        return;
    case PolicyEffect::Allow:
        execute();
        return;
    case PolicyEffect::Ask:
        askForApproval(spec, decision.explanation);
        return;
    }
}

ToolInvocation RunOrchestrator::invocation() const
{
    ToolInvocation invocation;
    invocation.callId = m_current.id;
    invocation.runId = m_run.id;
    invocation.sessionId = m_session.id;
    invocation.agent = m_agent.name;
    invocation.workspace = m_session.workspace;
    invocation.arguments = m_current.arguments;
    return invocation;
}

PolicyRequest RunOrchestrator::policyRequest(const ToolSpec &spec, const QJsonObject &arguments,
                                             const SessionInfo &session, const Agent &agent)
{
    PolicyRequest request;
    request.principal = session.principal;
    request.tool = spec.name;
    request.arguments = spec.name == QLatin1String("shell.exec")
            ? ShellExecTool::policyArguments(arguments)
            : arguments;
    request.capabilities = spec.capabilities;
    request.risk = toolRiskName(spec.risk);
    request.toolRequiresApproval = spec.requiresApproval;
    request.sessionId = session.id;
    request.agent = agent.name;
    request.workspace = session.workspace;
    request.server = spec.server;
    request.serverTool = spec.serverTool;
    request.annotations = spec.annotations;
    return request;
}

bool RunOrchestrator::offered(const ToolSpec &spec) const
{
    return m_agent.allowsTool(spec.name) && spec.availableTo(m_agent.name);
}

PolicyDecision RunOrchestrator::withApprovalMode(PolicyDecision decision, const Agent &agent)
{
    if (decision.effect == PolicyEffect::Allow && agent.approvalMode == Agent::ApprovalMode::Ask) {
        decision.effect = PolicyEffect::Ask;
        decision.explanation = QStringLiteral("The agent %1 asks before every tool call.")
                                       .arg(agent.name);
    }
    return decision;
}

void RunOrchestrator::askForApproval(const ToolSpec &spec, const QString &explanation)
{
    // An "allow for this session" given earlier answers without asking again (never for a
    // command that would run unsandboxed: each of those asks).
    if (const auto grant = m_unsandboxed ? std::nullopt : m_host.sessionGrant(m_session.id, spec.name)) {
        if (!record(TapeKind::ApprovalDecision,
                      {{QStringLiteral("approval_id"), grant->id},
                       {QStringLiteral("call_id"), m_current.id},
                       {QStringLiteral("decision"), QStringLiteral("allow")},
                       {QStringLiteral("scope"), QStringLiteral("session")},
                       {QStringLiteral("decided_by"), grant->decidedBy},
                       {QStringLiteral("via"), QStringLiteral("session_grant")}},
                    JournalStore::Commit::Durable))
            return;
        execute();
        return;
    }
    PendingToolApproval draft;
    draft.runId = m_run.id;
    draft.sessionId = m_session.id;
    draft.callId = m_current.id;
    draft.tool = spec.name;
    draft.arguments = m_current.arguments;
    draft.risk = toolRiskName(spec.risk);
    draft.explanation = explanation;
    draft.preview = m_preview;
    draft.createdAt = now();
    draft.expiresAt = draft.createdAt + m_host.config().approvalTimeoutMs;
    auto approval = m_host.openApproval(draft);
    if (!approval) {
        fail(QStringLiteral("journal_error"), approval.errorMessage());
        return;
    }
    m_waitingApproval = approval->id;
    if (!record(TapeKind::ApprovalRequest,
                  {{QStringLiteral("approval_id"), approval->id},
                   {QStringLiteral("call_id"), m_current.id},
                   {QStringLiteral("tool"), spec.name},
                   {QStringLiteral("arguments"), approval->arguments},
                   {QStringLiteral("risk"), approval->risk},
                   {QStringLiteral("explanation"), explanation},
                   {QStringLiteral("preview"), approval->preview},
                   {QStringLiteral("expires_at"), approval->expiresAt}},
                  JournalStore::Commit::Durable))
        return;
    m_approvalTimer.start(int(qBound<qint64>(0, approval->expiresAt - now(), qint64(INT_MAX))));
}

void RunOrchestrator::onApprovalTimeout()
{
    if (m_waitingApproval.isEmpty() || m_finished)
        return;
    auto closed = m_host.closeApproval(m_waitingApproval, ApprovalStatus::Timeout,
                                       QStringLiteral("system:timeout"),
                                       QStringLiteral("no answer before the approval expired"));
    if (closed) {
        applyApprovalDecision(*closed);
        return;
    }
    // Someone answered just before the timeout: that answer stands.
    if (auto current = m_host.approval(m_waitingApproval); current && !current->isPending())
        applyApprovalDecision(*current);
}

void RunOrchestrator::applyApprovalDecision(const PendingToolApproval &approval)
{
    if (m_finished || approval.id != m_waitingApproval || approval.isPending())
        return;
    auto applied = m_host.markApprovalApplied(approval.id);
    if (!applied || !*applied)
        return; // already carried out
    m_waitingApproval.clear();
    m_approvalTimer.stop();
    m_host.countApproval(approval.status);
    QJsonObject decision{{QStringLiteral("approval_id"), approval.id},
                         {QStringLiteral("call_id"), approval.callId},
                         {QStringLiteral("decision"), approvalStatusName(approval.status)},
                         {QStringLiteral("scope"), approval.scope ? QJsonValue(approvalScopeName(*approval.scope))
                                                                  : QJsonValue()},
                         {QStringLiteral("decided_by"), approval.decidedBy},
                         {QStringLiteral("reason"), approval.reason}};
    if (!approval.grantId.isEmpty())
        decision.insert(QStringLiteral("grant_id"), approval.grantId);
    if (!record(TapeKind::ApprovalDecision, decision,
                approval.status == ApprovalStatus::Allow ? JournalStore::Commit::Durable
                                                         : JournalStore::Commit::Deferred))
        return;
    if (m_awaitingTools) {
        m_decidedMeanwhile = approval; // an adopted run: its servers are still starting
        return;
    }
    carryOut(approval);
}

void RunOrchestrator::carryOut(const PendingToolApproval &approval)
{
    switch (approval.status) {
    case ApprovalStatus::Allow:
        execute();
        return;
    case ApprovalStatus::Deny:
        finishCall(ToolResult::failure(QStringLiteral("The user denied this call; it was not run.")));
        return;
    case ApprovalStatus::Timeout:
        finishCall(ToolResult::failure(
                QStringLiteral("No one answered the approval request within %1 s; the call was "
                               "not run.")
                        .arg(qMax<qint64>(0, approval.expiresAt - approval.createdAt) / 1000)));
        return;
    case ApprovalStatus::Cancelled:
    case ApprovalStatus::Pending:
        finishCall(ToolResult::failure(QStringLiteral("The approval was cancelled; the call was "
                                                      "not run.")));
        return;
    }
}

void RunOrchestrator::execute()
{
    Tool *tool = m_host.tools().tool(m_current.name);
    if (!tool) {
        finishCall(ToolResult::failure(QStringLiteral("The tool %1 is no longer available.")
                                               .arg(m_current.name)));
        return;
    }
    m_toolClock.start();
    m_job = tool->start(invocation(), this);
    connect(m_job, &ToolJob::finished, this, &RunOrchestrator::onToolFinished);
    connect(m_job, &ToolJob::progress, this,
            [this, callId = m_current.id](double progress, double total, const QString &message) {
                if (!m_finished)
                    m_host.toolProgress(m_run.id, callId, progress, total, message);
            });
}

void RunOrchestrator::onToolFinished(const ToolResult &result)
{
    if (m_finished)
        return;
    if (m_job)
        m_job->deleteLater();
    m_job = nullptr;
    ToolResult r = result;
    if (r.durationMs == 0)
        r.durationMs = m_toolClock.elapsed();
    finishCall(r);
}

void RunOrchestrator::finishCall(ToolResult result)
{
    const RuntimeConfig &config = m_host.config();
    const qint64 fullSize = result.output.size();
    QString tapeOutput = result.output;
    bool tapeTruncated = result.truncated;
    if (tapeOutput.size() > config.toolOutputTapeCap) {
        tapeOutput.truncate(config.toolOutputTapeCap);
        tapeTruncated = true;
    }
    QJsonObject outputPayload{{QStringLiteral("call_id"), m_current.id},
                              {QStringLiteral("tool"), m_current.name},
                              {QStringLiteral("ok"), result.ok},
                              {QStringLiteral("output"), tapeOutput},
                              {QStringLiteral("output_chars"), fullSize},
                              {QStringLiteral("truncated"), tapeTruncated},
                              {QStringLiteral("exit_code"), result.exitCode >= 0 ? QJsonValue(result.exitCode) : QJsonValue()},
                              {QStringLiteral("duration_ms"), result.durationMs},
                              {QStringLiteral("sandbox"), result.sandbox}};
    // What the tool adds (an MCP server's name, protocol, images, structured content) never
    // overwrites the fields above.
    for (auto it = result.details.begin(); it != result.details.end(); ++it) {
        if (!outputPayload.contains(it.key()))
            outputPayload.insert(it.key(), it.value());
    }
    const bool recorded = record(TapeKind::ToolOutput, outputPayload);
    if (!recorded)
        return;
    m_messages.append(ChatMessage::toolResult(m_current.id, m_current.name,
                                              ToolResult::forModel(result.output,
                                                                   config.toolOutputModelCap),
                                              result.ok));
    processNextCall();
}

bool RunOrchestrator::record(const QString &kind, const QJsonObject &payload,
                             JournalStore::Commit commit)
{
    const Result<TapeEvent> recorded = m_host.record(m_run.id, kind, payload, commit);
    if (recorded)
        return true;
    // A run whose steps cannot be written must not go on unrecorded. Its detail carries the
    // journal's own words: which folder, and what to do (a full disk, an I/O error).
    if (!m_stopping)
        fail(QStringLiteral("journal_error"),
             QStringLiteral("Spool could not write the %1 event to the journal. %2")
                     .arg(kind, recorded.errorMessage()));
    return false;
}

void RunOrchestrator::stopWork(const QString &why)
{
    m_stopping = true;
    if (m_call) {
        m_call->abort();
        m_call->deleteLater();
        m_call = nullptr;
        keepPartial(why);
    }
    if (m_job) {
        m_job->cancel();
        m_job->deleteLater();
        m_job = nullptr;
        QJsonObject stopped{{QStringLiteral("call_id"), m_current.id},
                            {QStringLiteral("tool"), m_current.name},
                            {QStringLiteral("ok"), false},
                            {QStringLiteral("output"), QString(QStringLiteral("stopped: ") + why)},
                            {QStringLiteral("truncated"), false},
                            {QStringLiteral("duration_ms"), m_toolClock.elapsed()},
                            {QStringLiteral("sandbox"), QStringLiteral("none")}};
        if (const Tool *called = m_host.tools().tool(m_current.name); called && !called->spec().server.isEmpty()) {
            // The server was told (notifications/cancelled) when the job was cancelled above.
            stopped.insert(QStringLiteral("server"), called->spec().server);
            stopped.insert(QStringLiteral("protocol_version"), called->spec().protocolVersion);
            stopped.insert(QStringLiteral("cancelled_on_server"), true);
        }
        record(TapeKind::ToolOutput, stopped);
    }
    if (!m_waitingApproval.isEmpty()) {
        const QString id = m_waitingApproval;
        m_waitingApproval.clear();
        m_approvalTimer.stop();
        auto closed = m_host.closeApproval(id, ApprovalStatus::Cancelled,
                                           QStringLiteral("system"), why);
        if (closed) {
            m_host.countApproval(ApprovalStatus::Cancelled);
            (void)m_host.markApprovalApplied(id);
            record(TapeKind::ApprovalDecision,
                          {{QStringLiteral("approval_id"), id},
                           {QStringLiteral("call_id"), closed->callId},
                           {QStringLiteral("decision"), QStringLiteral("cancelled")},
                           {QStringLiteral("scope"), QJsonValue()},
                           {QStringLiteral("decided_by"), closed->decidedBy},
                           {QStringLiteral("reason"), why}});
        }
    }
}

void RunOrchestrator::cancel(const QString &by)
{
    if (m_finished)
        return;
    const QString who = by.isEmpty() ? QStringLiteral("user") : by;
    stopWork(QStringLiteral("run cancelled by ") + who);
    finish(RunState::Cancelled, QStringLiteral("cancelled"),
           QStringLiteral("Cancelled by %1.").arg(who), {{QStringLiteral("by"), who}});
}

void RunOrchestrator::interrupt(const QString &detail)
{
    if (m_finished)
        return;
    stopWork(RunReason::Interrupted);
    finish(RunState::Failed, RunReason::Interrupted, detail);
}

void RunOrchestrator::fail(const QString &reason, const QString &detail, const QJsonObject &extra)
{
    if (m_finished)
        return;
    stopWork(reason);
    finish(RunState::Failed, reason, detail, extra);
}

void RunOrchestrator::finish(RunState state, const QString &reason, const QString &detail,
                             const QJsonObject &extra)
{
    if (m_finished)
        return;
    m_finished = true;
    m_wallClock.stop();
    m_approvalTimer.stop();
    m_checkpoint.stop();
    recordEnd(state, reason, detail, extra, 0);
}

void RunOrchestrator::recordEnd(RunState state, const QString &reason, const QString &detail,
                                const QJsonObject &extra, int attempt)
{
    Status s = m_host.transition(m_run.id, state, reason, detail, extra);
    if (!s && s.error().code == ErrorCode::IllegalTransition) {
        // A lifecycle bug must not leave the run hanging: refuse the change and fail the run.
        if (Status failed = m_host.transition(m_run.id, RunState::Failed,
                                              RunReason::IllegalTransition, s.errorMessage());
            !failed)
            qCWarning(lcRuns) << "cannot fail run" << m_run.id << failed.errorMessage();
    } else if (!s && (s.error().code == ErrorCode::Storage
                      || s.error().code == ErrorCode::DiskFull)) {
        // The disk refused the run's end (an I/O error, a full disk). Given up here, the run
        // would stay `running` in the journal for as long as this process lives, its owner
        // alive: keep it (its heartbeat too) and write its end as soon as the disk takes it.
        if (attempt == 0)
            qCWarning(lcRuns).noquote() << "cannot record the end of run" << m_run.id
                                        << "yet, trying again:" << s.errorMessage();
        const int delayMs = qMin(100 << qMin(attempt, 5), 2000);
        QTimer::singleShot(delayMs, this, [this, state, reason, detail, extra, attempt] {
            recordEnd(state, reason, detail, extra, attempt + 1);
        });
        return;
    } else if (!s) {
        qCWarning(lcRuns) << "cannot record the end of run" << m_run.id << s.errorMessage();
    }
    m_host.runFinished(m_run.id);
}

} // namespace Spool
