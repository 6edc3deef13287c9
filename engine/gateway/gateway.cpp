#include "gateway/gateway.h"

#include "agents/agentregistry.h"
#include "approvals/approvaldesk.h"
#include "attachments/attachmentstore.h"
#include "attachments/sessionexchange.h"
#include "attachments/sessionfork.h"
#include "core/datapaths.h"
#include "core/logging.h"
#include "core/ulid.h"
#include "gateway/gatewaymcpsecrets.h"
#include "gateway/gatewayrunhost.h"
#include "gateway/rundispatcher.h"
#include "journal/journalstore.h"
#include "journal/journalwatcher.h"
#include "memory/memoryretaintool.h"
#include "memory/memorysearchtool.h"
#include "memory/memoryservice.h"
#include "mcp/mcpserverregistry.h"
#include "policy/policyservice.h"
#include "providers/provideradmin.h"
#include "providers/providerregistry.h"
#include "runs/contextbuilder.h"
#include "runs/instancetracker.h"
#include "runs/policydesk.h"
#include "runs/runadoption.h"
#include "runs/runinspector.h"
#include "runs/runrecovery.h"
#include "runs/runstore.h"
#include "runs/sessionservice.h"
#include "sessions/sessiondesk.h"
#include "sessions/sessionstore.h"
#include "tools/builtin/clocktool.h"
#include "tools/builtin/echotool.h"
#include "tools/builtintools.h"
#include "tools/toolregistry.h"

#include <QDateTime>
#include <QDir>
#include <QTimer>

#include <functional>

namespace Spool {

namespace {

// For bookkeeping writes whose failure must not stop the caller: the log says what failed.
void warnIfFailed(const Status &status, const char *what)
{
    if (!status)
        qCWarning(lcGateway) << what << status.errorMessage();
}

Error notOpen()
{
    return makeError(ErrorCode::Internal, QStringLiteral("the engine is not open"));
}

} // namespace

Gateway::Gateway(const RuntimeConfig &config, QObject *parent)
    : Engine(parent), m_config(config), m_journal(std::make_unique<JournalStore>())
{
}

Gateway::~Gateway()
{
    shutdown();
}

QString Gateway::instanceId() const
{
    return m_instances ? m_instances->self().id : QString();
}

Status Gateway::open()
{
    if (m_open)
        return {};
    m_startedAt = QDateTime::currentMSecsSinceEpoch();
    if (Status s = DataPaths::ensurePrivateDir(m_config.dataDir); !s)
        return s;
    Redactor redactor;
    redactor.addKeys(m_config.redactKeys);
    m_journal->setRedactor(redactor);
    m_journal->setDurability(m_config.journalFullSync ? JournalStore::Durability::Full
                                                      : JournalStore::Durability::Normal);
    if (Status s = m_journal->open(m_config.journalPath(),
                                   QStringLiteral("spool-journal-") + Ulid::generate());
        !s)
        return s;

    // Every area is created on this thread: the engine's.
    m_sessions = std::make_unique<SessionDesk>(
            *m_journal, SessionBinding{m_config.principal, m_config.deviceId});
    m_agents = std::make_unique<AgentRegistry>(*m_journal);
    m_runs = std::make_unique<RunStore>(*m_journal);
    m_instances = std::make_unique<InstanceTracker>(*m_journal);
    m_contextBuilder = std::make_unique<ContextBuilder>(*m_journal);
    m_inspector = std::make_unique<RunInspector>(*m_journal, *m_runs, *m_contextBuilder,
                                                 *m_sessions);
    m_attachments = std::make_unique<AttachmentStore>(*m_journal);
    m_fork = std::make_unique<SessionFork>(*m_journal, m_sessions->store());
    m_exchange = std::make_unique<SessionExchange>(*m_journal);
    m_sessionService = std::make_unique<SessionService>(
            SessionService::Areas{*m_sessions, *m_agents, *m_runs, *m_instances, *m_fork,
                                  *m_exchange},
            SessionService::Binding{m_config.principal, m_config.deviceId,
                                    toolOptions().workspaceRoot});
    connect(m_sessionService.get(), &SessionService::changed, this, &Engine::sessionsChanged);
    m_providers = std::make_unique<ProviderAdmin>(m_config.configDir,
                                                  m_config.deterministicChunkDelayMs);
    connect(m_providers.get(), &ProviderAdmin::providersChanged, this, &Engine::providersChanged);
    connect(m_providers.get(), &ProviderAdmin::keyStorageFallback, this,
            &Engine::keyStorageFallback);
    m_tools = std::make_unique<ToolRegistry>();
    m_policy = std::make_unique<PolicyService>(m_config.configDir);
    m_approvals = std::make_unique<ApprovalDesk>(*m_journal, *m_policy, m_sessions->store(), *m_tools);
    connect(m_approvals.get(), &ApprovalDesk::approvalRequested, this, &Engine::approvalRequested);
    connect(m_approvals.get(), &ApprovalDesk::approvalResolved, this, &Engine::approvalResolved);
    m_policyDesk = std::make_unique<PolicyDesk>(
            PolicyDesk::Areas{*m_policy, *m_approvals, *m_tools, *m_sessions, *m_agents},
            m_config.principal);
    m_recovery = std::make_unique<RunRecovery>(*m_journal, *m_runs, m_approvals->store(),
                                               *m_instances);
    m_adoption = std::make_unique<RunAdoption>(*m_journal, *m_runs, m_approvals->store(),
                                               *m_contextBuilder, *m_instances);
    m_host = std::make_unique<GatewayRunHost>(*this);

    m_journal->setDiskFullObserver([this](const Error &e) { setDiskFull(e); });
    // On a full disk, or one that fails writes, the journal still reads: these start-up writes
    // wait for the disk (the heartbeat registers this process then; the next start recovers
    // stale runs), so commands that only read keep working, and each write says what to do.
    const auto fatal = [](const Error &e) {
        return e.isError() && e.code != ErrorCode::DiskFull && e.code != ErrorCode::Storage;
    };
    if (Status s = m_instances->registerSelf(m_config.frontEnd); fatal(s.error()))
        return s;
    if (Status s = m_agents->ensureDefault(); fatal(s.error()))
        return s;
    Result<QList<RunInfo>> recovered = m_recovery->recover(m_config.staleAfterMs);
    if (!recovered && fatal(recovered.error()))
        return recovered.error();
    if (!recovered)
        recovered = QList<RunInfo>{};

    m_providers->sync(true); // keys are read on first use, on this thread
    for (auto &tool : std::initializer_list<Tool *>{new EchoTool, new ClockTool}) {
        if (Status s = m_tools->add(std::unique_ptr<Tool>(tool)); !s)
            qCWarning(lcTools) << s.errorMessage();
    }
    if (Status s = registerBuiltinTools(*m_tools, toolOptions()); !s)
        qCWarning(lcTools) << s.errorMessage();
    m_memory = std::make_unique<MemoryService>(*m_journal, m_providers->registry());
    connect(m_memory.get(), &MemoryService::itemsChanged, this, &Engine::memoryChanged);
    connect(m_memory.get(), &MemoryService::statusChanged, this, &Engine::memoryStatusChanged);
    m_memory->setSettings(m_config.memory);
    for (auto &tool : std::initializer_list<Tool *>{new MemorySearchTool(*m_memory),
                                                     new MemoryRetainTool(*m_memory)}) {
        if (Status s = m_tools->add(std::unique_ptr<Tool>(tool)); !s)
            qCWarning(lcTools) << s.errorMessage();
    }
    m_policy->loadUserPolicies();
    m_approvals->syncGrants(true);

    // The window keeps the configured folders in step: a re-import reads only what changed.
    if (m_config.frontEnd == QLatin1String("gui") && !m_config.memory.folders.isEmpty()) {
        QTimer::singleShot(0, this, [this] {
            if (!m_memory)
                return;
            m_memory->import(m_config.memory.folders, this, {}, [](const MemoryImportReport &r) {
                for (const MemoryImportReport::FileError &e : r.errors)
                    qCInfo(lcMemory).noquote() << "not imported:" << e.path << e.message;
            });
        });
    }

    // The user's MCP servers: read from mcp.json now, started on demand.
    m_mcpSecrets = std::make_unique<GatewayMcpSecrets>(m_providers->keyStore());
    McpRegistryOptions mcpOptions;
    mcpOptions.configDir = m_config.configDir;
    mcpOptions.extraPath = m_config.mcpPath;
    mcpOptions.redirectPort = m_config.mcpRedirectPort;
    mcpOptions.startupWaitMs = m_config.mcpStartupWaitMs;
    m_mcp = std::make_unique<McpServerRegistry>(mcpOptions, *m_tools, *m_mcpSecrets);
    connect(m_mcp.get(), &McpServerRegistry::statusChanged, this, &Engine::mcpServersChanged);
    connect(m_mcp.get(), &McpServerRegistry::logAppended, this, &Engine::mcpServerLogAppended);
    connect(m_mcp.get(), &McpServerRegistry::questionAsked, this, &Engine::mcpQuestionAsked);
    connect(m_mcp.get(), &McpServerRegistry::questionAnswered, this, &Gateway::recordQuestion);
    connect(m_mcp.get(), &McpServerRegistry::authorizationRequested, this, &Engine::mcpSignInRequested);

    m_dispatch = std::make_unique<RunDispatcher>(RunDispatcher::Areas{
            m_config, *m_journal, *m_sessions, *m_agents, *m_runs, *m_instances, *m_recovery,
            *m_adoption, *m_attachments, *m_approvals, *m_providers, *m_tools, *m_mcp, *m_host,
            m_counters});
    connect(m_dispatch.get(), &RunDispatcher::runUpdated, this, &Engine::runUpdated);
    connect(m_dispatch.get(), &RunDispatcher::tapeAppended, this, &Engine::tapeAppended);
    connect(m_dispatch.get(), &RunDispatcher::approvalRequested, this, &Engine::approvalRequested);
    connect(m_dispatch.get(), &RunDispatcher::approvalResolved, this, &Engine::approvalResolved);

    m_watcher = std::make_unique<JournalWatcher>(*m_journal);
    connect(m_watcher.get(), &JournalWatcher::heartbeat, this, &Gateway::heartbeat);
    connect(m_watcher.get(), &JournalWatcher::changedElsewhere, this,
            &Gateway::onJournalChangedElsewhere);
    m_watcher->start(m_config.heartbeatMs, m_config.pollMs);
    m_open = true;
    for (const RunInfo &r : *recovered)
        emit runUpdated(r);
    if (m_config.adoptWaitingRuns)
        QTimer::singleShot(0, m_dispatch.get(), &RunDispatcher::adoptOrphans);
    return {};
}

void Gateway::shutdown()
{
    if (!m_open)
        return;
    m_dispatch->releaseAll();
    m_mcp->stopAll();
    m_memory.reset(); // before the journal it reads
    m_watcher->stop();
    warnIfFailed(m_instances->markStopped(), "cannot mark this instance stopped:");
    m_open = false;
    m_journal->close();
}

// --- the areas front ends use directly ------------------------------------------------------

Sessions &Gateway::sessions()
{
    return *m_sessionService;
}

Agents &Gateway::agents()
{
    return *m_agents;
}

Providers &Gateway::providers()
{
    return *m_providers;
}

ProviderRegistry &Gateway::providerRegistry()
{
    return m_providers->registry();
}

Memories &Gateway::memories()
{
    return *m_memory;
}

McpServers &Gateway::mcp()
{
    return *m_mcp;
}

RunInspection &Gateway::inspection()
{
    return *m_inspector;
}

Policies &Gateway::policies()
{
    return *m_policyDesk;
}

// --- runs -----------------------------------------------------------------------------------

Result<RunInfo> Gateway::startRun(const RunRequest &request)
{
    if (!m_open)
        return notOpen();
    return m_dispatch->start(request);
}

Result<RunInfo> Gateway::retryRun(const QString &idOrPrefix)
{
    if (!m_open)
        return notOpen();
    return m_dispatch->retry(idOrPrefix);
}

Result<RunInfo> Gateway::adoptRun(const QString &idOrPrefix)
{
    if (!m_open)
        return notOpen();
    return m_dispatch->adopt(idOrPrefix);
}

Result<RunInfo> Gateway::cancelRun(const QString &idOrPrefix, const QString &by)
{
    if (!m_open)
        return notOpen();
    return m_dispatch->cancel(idOrPrefix, by);
}

Result<RunInfo> Gateway::runTool(const QString &tool, const QJsonObject &arguments,
                                 const SessionSelector &session, const QString &source)
{
    if (!m_open)
        return notOpen();
    return m_dispatch->runTool(tool, arguments, session, source);
}

Result<RunInfo> Gateway::run(const QString &idOrPrefix) const
{
    return m_runs->find(idOrPrefix);
}

Result<QList<RunInfo>> Gateway::runs(const RunFilter &filter) const
{
    return m_runs->list(filter);
}

QStringList Gateway::activeRunIds() const
{
    return m_dispatch ? m_dispatch->activeRunIds() : QStringList();
}

// --- tools and settings ---------------------------------------------------------------------

ToolOptions Gateway::toolOptions() const
{
    ToolOptions options = defaultToolOptions(m_config.dataDir);
    if (!m_config.workspaceRoot.isEmpty())
        options.workspaceRoot = m_config.workspaceRoot;
    options.shell.allowUnsandboxed = m_config.allowUnsandboxedCommands;
    options.shell.allowNetwork = m_config.allowCommandNetwork;
    options.http.allowPrivateAddresses = m_config.allowPrivateAddresses;
    return options;
}

QList<ToolSpec> Gateway::toolSpecs() const
{
    return m_tools->specs();
}

Status Gateway::setToolSettings(bool allowUnsandboxed, bool allowCommandNetwork,
                                bool allowPrivateAddresses)
{
    m_config.allowUnsandboxedCommands = allowUnsandboxed;
    m_config.allowCommandNetwork = allowCommandNetwork;
    m_config.allowPrivateAddresses = allowPrivateAddresses;
    // Applied even when the file cannot be written: the user chose it for this session.
    const Status applied = registerBuiltinTools(*m_tools, toolOptions());
    const Status saved = m_config.saveToolSettings();
    return applied ? saved : applied;
}

Status Gateway::setApprovalTimeout(qint64 ms)
{
    m_config.approvalTimeoutMs = qMax<qint64>(1000, ms);
    return m_config.saveApprovalTimeout();
}

Status Gateway::setDeterministicChunkDelay(int ms)
{
    m_config.deterministicChunkDelayMs = qBound(0, ms, 10000);
    m_providers->setDeterministicChunkDelay(m_config.deterministicChunkDelayMs);
    return m_config.saveDeterministicChunkDelay();
}

// --- approvals ------------------------------------------------------------------------------

Result<QList<PendingToolApproval>> Gateway::approvals(const ApprovalFilter &filter) const
{
    return m_approvals->list(filter);
}

Result<PendingToolApproval> Gateway::findApproval(const QString &idOrPrefix) const
{
    return m_approvals->find(idOrPrefix);
}

Result<PendingToolApproval> Gateway::decideApproval(const QString &idOrPrefix, bool allow,
                                                    ApprovalScope scope, const QString &by)
{
    auto decided = m_approvals->decide(idOrPrefix, allow, scope, by);
    if (decided)
        m_dispatch->applyDecision(*decided);
    return decided;
}

// --- memory ---------------------------------------------------------------------------------

MemorySettings Gateway::memorySettings() const
{
    return m_config.memory;
}

Status Gateway::setMemorySettings(const MemorySettings &settings)
{
    if (!m_memory)
        return notOpen();
    if (!settings.embeddingProvider.isEmpty())
        m_providers->sync(); // a provider added from a terminal can embed
    auto checked = m_memory->checkSettings(settings);
    if (!checked)
        return checked.error();
    m_config.memory = *checked;
    // Applied even when the file cannot be written: the user chose it for this session.
    m_memory->setSettings(*checked);
    return m_config.saveMemorySettings();
}

// --- attachments ----------------------------------------------------------------------------

Result<Attachment> Gateway::attachment(const QString &sha256) const
{
    return m_attachments->get(sha256);
}

// --- status and timers ----------------------------------------------------------------------

GatewayStatus Gateway::status(bool checkJournal) const
{
    GatewayStatus st;
    st.instanceId = instanceId();
    st.frontEnd = m_config.frontEnd;
    st.startedAt = m_startedAt;
    st.counters = m_counters;
    st.activeRunsHere = m_dispatch ? m_dispatch->activeCount() : 0;
    if (!m_open)
        return st;
    if (auto byState = m_runs->countByState())
        st.runsByState = *byState;
    if (auto byStatus = m_approvals->countByStatus())
        st.approvalsByStatus = *byStatus;
    if (auto live = m_sessions->store().countLive())
        st.sessions = *live;
    if (auto h = m_journal->health(checkJournal))
        st.journal = *h;
    st.providers = m_providers->registry().names();
    for (const ToolSpec &t : m_tools->specs())
        st.tools.append(t.name);
    st.policyEngine = m_policy->engineName();
    st.policyFolder = m_policy->folder();
    st.policyCount = m_policy->policyCount();
    st.policyProblems = m_policy->problems();
    if (auto grants = m_approvals->activeGrantCount())
        st.activeGrants = *grants;
    return st;
}

void Gateway::setDiskFull(const Error &error)
{
    const bool full = error.code == ErrorCode::DiskFull;
    if (full == m_diskFull.isError())
        return;
    m_diskFull = full ? error : Error{};
    if (full)
        qCWarning(lcJournal).noquote() << error.message;
    else
        qCInfo(lcJournal) << "the journal's disk has room again";
    emit diskFullChanged(m_diskFull);
}

void Gateway::heartbeat(qint64 now)
{
    const Status beat = m_instances->heartbeat(now);
    if (beat.error().code != ErrorCode::DiskFull) // said once, by setDiskFull()
        warnIfFailed(beat, "cannot write the heartbeat:");
    if (beat && m_diskFull.isError() && m_journal->hasRoom())
        setDiskFull({}); // a write went through and new pages fit: there is room again
    warnIfFailed(m_dispatch->heartbeat(now), "cannot write run heartbeats:");
    // A killed owner writes nothing: its runs are found by looking.
    if (m_config.adoptWaitingRuns)
        m_dispatch->adoptOrphans();
}

void Gateway::onJournalChangedElsewhere()
{
    m_approvals->syncGrants();
    m_dispatch->syncWithJournal();
    if (m_config.adoptWaitingRuns)
        m_dispatch->adoptOrphans(); // released by a process that exited, or decided for one
    emit journalChanged();
}

// --- MCP servers ----------------------------------------------------------------------------

QString Gateway::mcpConfigPath() const
{
    return m_mcp ? m_mcp->configPath() : QDir(m_config.configDir).filePath(McpServerRegistry::configFileName());
}

void Gateway::recordQuestion(const McpUserQuestion &question)
{
    if (!question.runId.isEmpty() && m_dispatch->isActive(question.runId)) {
        QJsonObject payload = question.toJson();
        payload.remove(QStringLiteral("id"));
        payload.remove(QStringLiteral("run_id"));
        payload.insert(QStringLiteral("question_id"), question.id);
        payload.insert(QStringLiteral("answered_at"), QDateTime::currentMSecsSinceEpoch());
        if (!m_host->record(question.runId, TapeKind::McpElicitation, payload))
            qCWarning(lcGateway) << "cannot record the MCP question" << question.id;
    }
    emit mcpQuestionAnswered(question);
}

} // namespace Spool
