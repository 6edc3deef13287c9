#include "gateway/gateway.h"

#include "agents/agentregistry.h"
#include "approvals/grantstore.h"
#include "core/datapaths.h"
#include "core/logging.h"
#include "core/ulid.h"
#include "providers/deterministicprovider.h"
#include "providers/providerfactory.h"
#include "providers/providerregistry.h"
#include "runs/contextbuilder.h"
#include "runs/instancetracker.h"
#include "runs/runorchestrator.h"
#include "runs/runrecovery.h"
#include "runs/runstatemachine.h"
#include "tools/builtin/clocktool.h"
#include "tools/builtin/echotool.h"
#include "tools/builtintools.h"
#include "tools/toolregistry.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QSqlQuery>
#include <QTimer>

namespace Spool {

namespace {

qint64 now()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// For bookkeeping writes whose failure must not stop the caller: the log says what failed.
void warnIfFailed(const Status &status, const char *what)
{
    if (!status)
        qCWarning(lcGateway) << what << status.errorMessage();
}

// Written once into a new policy folder, so a user who finds it knows what it is for.
const char kPolicyFolderReadme[] =
        "Spool's policy folder.\n"
        "\n"
        "Every *.cedar file here is loaded, in name order, next to Spool's built-in policies when\n"
        "Spool starts. A forbid here always wins; a permit without @ask lets a tool run without\n"
        "asking; a permit with @ask(\"why\") makes it ask. A file with an error stops every tool\n"
        "call until it is fixed, so a mistyped forbid never silently disappears.\n"
        "\n"
        "  spool policy check      checks the files here (file:line:column: message)\n"
        "  spool policy list       shows the policies Spool has loaded\n"
        "  spool policy explain --tool NAME --args JSON   says which policies decide a call\n"
        "\n"
        "Each tool call is the Cedar request principal User::\"<you>\", action\n"
        "Action::\"tool.execute\", resource Tool::\"<tool name>\", and a context with arguments,\n"
        "capabilities, risk, requiresApproval, session, agent and workspace. For shell.exec the\n"
        "arguments also hold argv0, is_compound and runs_other_commands; allow a command with\n"
        "\n"
        "  permit (principal, action, resource == Tool::\"shell.exec\")\n"
        "  when { context.arguments.argv0 == \"ls\" && !context.arguments.is_compound &&\n"
        "         !context.arguments.runs_other_commands };\n";

QString preview(const QString &text)
{
    QString p = text.simplified();
    if (p.size() > 120)
        p = p.left(119) + QChar(0x2026);
    return p;
}

} // namespace

Gateway::Gateway(const RuntimeConfig &config, QObject *parent)
    : QObject(parent), m_config(config)
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
    m_startedAt = now();
    if (Status s = DataPaths::ensurePrivateDir(m_config.dataDir); !s)
        return s;
    Redactor redactor;
    redactor.addKeys(m_config.redactKeys);
    m_journal.setRedactor(redactor);
    m_journal.setDurability(m_config.journalFullSync ? JournalStore::Durability::Full
                                                     : JournalStore::Durability::Normal);
    if (Status s = m_journal.open(m_config.journalPath(),
                                  QStringLiteral("spool-journal-") + Ulid::generate());
        !s)
        return s;

    m_sessions = std::make_unique<SessionStore>(m_journal);
    m_resolver = std::make_unique<SessionResolver>(*m_sessions);
    m_runs = std::make_unique<RunStore>(m_journal);
    m_approvals = std::make_unique<ApprovalStore>(m_journal);
    m_agents = std::make_unique<AgentRegistry>(m_journal);
    m_instances = std::make_unique<InstanceTracker>(m_journal);
    m_recovery = std::make_unique<RunRecovery>(m_journal, *m_runs, *m_approvals, *m_instances);
    m_contextBuilder = std::make_unique<ContextBuilder>(m_journal);
    m_providers = std::make_unique<ProviderRegistry>();
    m_tools = std::make_unique<ToolRegistry>();
    m_grants = std::make_unique<GrantStore>(m_journal);
    m_policy = std::make_unique<CedarPolicyEngine>();

    if (Status s = m_instances->registerSelf(m_config.frontEnd); !s)
        return s;
    if (Status s = m_agents->ensureDefault(); !s)
        return s;
    auto recovered = m_recovery->recover(m_config.staleAfterMs);
    if (!recovered)
        return recovered.error();

    m_providers->add(std::make_unique<DeterministicProvider>(
            DeterministicProvider::Options{m_config.deterministicChunkDelayMs}));
    // The configured providers; their keys are read on first use, on this thread.
    m_providerFactory = std::make_unique<ProviderFactory>(m_config.configDir);
    connect(&m_providerFactory->keyStore(), &KeyStore::fallbackActivated, this,
            &Gateway::keyStorageFallback);
    syncProviders(true);
    for (auto &tool : std::initializer_list<Tool *>{new EchoTool, new ClockTool}) {
        if (Status s = m_tools->add(std::unique_ptr<Tool>(tool)); !s)
            qCWarning(lcTools) << s.errorMessage();
    }
    if (Status s = registerBuiltinTools(*m_tools, toolOptions()); !s)
        qCWarning(lcTools) << s.errorMessage();
    loadUserPolicies();
    m_policyDataVersion = m_journal.dataVersion();
    syncGrants(true);

    // Timers belong to the thread that runs open(): the engine thread.
    m_heartbeatTimer = new QTimer(this);
    connect(m_heartbeatTimer, &QTimer::timeout, this, &Gateway::heartbeat);
    m_heartbeatTimer->start(m_config.heartbeatMs);
    m_pollTimer = new QTimer(this);
    connect(m_pollTimer, &QTimer::timeout, this, &Gateway::poll);
    m_pollTimer->start(m_config.pollMs);
    m_dataVersion = m_journal.dataVersion();
    m_open = true;
    for (const RunInfo &r : *recovered)
        emit runUpdated(r);
    return {};
}

void Gateway::shutdown()
{
    if (!m_open)
        return;
    const auto active = m_active.values();
    for (RunOrchestrator *o : active)
        o->interrupt(QStringLiteral("Spool was closed while the run was going."));
    qDeleteAll(m_active);
    m_active.clear();
    if (m_heartbeatTimer)
        m_heartbeatTimer->stop();
    if (m_pollTimer)
        m_pollTimer->stop();
    warnIfFailed(m_instances->markStopped(), "cannot mark this instance stopped:");
    m_open = false;
    m_journal.close();
}

SessionBinding Gateway::binding() const
{
    return SessionBinding{m_config.principal, m_config.deviceId};
}

// --- sessions -------------------------------------------------------------------------------

Result<SessionResolution> Gateway::resolveSession(const SessionSelector &selector, bool create,
                                                  const QString &agent)
{
    const QString agentName = agent.isEmpty() ? AgentRegistry::defaultAgentName() : agent;
    if (auto a = m_agents->get(agentName); !a)
        return a.error();
    auto r = m_resolver->resolve(selector, binding(), create, agentName);
    if (r && r->created)
        emit sessionsChanged();
    return r;
}

Result<SessionInfo> Gateway::findSession(const QString &idOrKey) const
{
    auto s = m_sessions->find(idOrKey);
    if (!s)
        return s;
    if (s->principal != m_config.principal) {
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("session %1 belongs to principal \"%2\"")
                                 .arg(s->id, s->principal));
    }
    return s;
}

Result<SessionInfo> Gateway::session(const QString &idOrKey) const
{
    return findSession(idOrKey);
}

Result<QList<SessionInfo>> Gateway::sessions(const SessionFilter &filter) const
{
    SessionFilter f = filter;
    f.principal = m_config.principal;
    return m_sessions->list(f);
}

Result<SessionInfo> Gateway::renameSession(const QString &idOrKey, const QString &title)
{
    auto s = findSession(idOrKey);
    if (!s)
        return s;
    auto r = m_sessions->rename(s->id, title);
    if (r)
        emit sessionsChanged();
    return r;
}

Result<SessionInfo> Gateway::archiveSession(const QString &idOrKey)
{
    auto s = findSession(idOrKey);
    if (!s)
        return s;
    auto r = m_sessions->archive(s->id);
    if (r)
        emit sessionsChanged();
    return r;
}

Result<SessionInfo> Gateway::restoreSession(const QString &idOrKey)
{
    auto s = m_sessions->find(idOrKey);
    if (!s)
        return s;
    auto r = m_sessions->restore(s->id);
    if (r)
        emit sessionsChanged();
    return r;
}

Status Gateway::deleteSession(const QString &idOrKey)
{
    auto s = findSession(idOrKey);
    if (!s)
        return s.error();
    for (RunOrchestrator *o : std::as_const(m_active)) {
        auto r = m_runs->get(o->runId());
        if (r && r->sessionId == s->id)
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("session %1 has a run in progress; cancel it first")
                                     .arg(s->id));
    }
    auto active = m_runs->list(RunFilter{s->id, true, {}, 1, true});
    if (active && !active->isEmpty())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("session %1 has a run in progress in another process; "
                                        "cancel it first")
                                 .arg(s->id));
    Status st = m_sessions->remove(s->id);
    if (st)
        emit sessionsChanged();
    return st;
}

Result<SessionInfo> Gateway::resetSession(const QString &idOrKey)
{
    auto s = findSession(idOrKey);
    if (!s)
        return s;
    auto r = m_sessions->reset(s->id);
    if (r)
        emit sessionsChanged();
    return r;
}

Result<SessionInfo> Gateway::setSessionModel(const QString &idOrKey, const QString &model)
{
    auto s = findSession(idOrKey);
    if (!s)
        return s;
    auto r = m_sessions->setModel(s->id, model.trimmed());
    if (r)
        emit sessionsChanged();
    return r;
}

Result<TokenUsage> Gateway::sessionUsage(const QString &sessionId) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COALESCE(SUM(prompt_tokens), 0), "
                                           "COALESCE(SUM(completion_tokens), 0) FROM runs "
                                           "WHERE session_id = ?"),
                            {sessionId});
    if (!q)
        return q.error();
    TokenUsage usage;
    if (q->next()) {
        usage.prompt = q->value(0).toLongLong();
        usage.completion = q->value(1).toLongLong();
    }
    return usage;
}

// --- agents ---------------------------------------------------------------------------------

Result<QList<Agent>> Gateway::agents() const
{
    return m_agents->list();
}

Result<Agent> Gateway::agent(const QString &name) const
{
    return m_agents->get(name);
}

Status Gateway::saveAgent(const Agent &agent)
{
    return m_agents->save(agent);
}

Status Gateway::removeAgent(const QString &name)
{
    return m_agents->remove(name);
}

// --- providers ------------------------------------------------------------------------------

namespace {

const QString kDeterministic = QStringLiteral("deterministic");

} // namespace

void Gateway::syncProviders(bool force)
{
    const QFileInfo file(m_providerFactory->settings().path());
    const QDateTime stamp = file.exists() ? file.lastModified() : QDateTime();
    if (!force && stamp == m_providersStamp)
        return;
    m_providersStamp = stamp;
    QStringList warnings;
    QSet<QString> configured;
    for (const ProviderConfig &config : m_providerFactory->settings().load(&warnings)) {
        auto provider = m_providerFactory->create(config);
        if (!provider) {
            warnings.append(provider.errorMessage());
            continue;
        }
        configured.insert(config.name);
        m_providers->add(std::move(*provider));
    }
    for (const QString &gone : std::as_const(m_configuredProviders)) {
        if (!configured.contains(gone))
            m_providers->remove(gone);
    }
    m_configuredProviders = configured;
    for (const QString &w : std::as_const(warnings))
        qCWarning(lcProviders).noquote() << w;
}

ProviderListing Gateway::providerListing() const
{
    ProviderListing listing;
    ProviderListing::Entry builtIn;
    builtIn.builtIn = true;
    builtIn.config.name = kDeterministic;
    builtIn.config.defaultModel = QStringLiteral("echo-1");
    builtIn.keyStorage = QStringLiteral("none");
    listing.providers.append(builtIn);

    const KeyStore &keys = m_providerFactory->keyStore();
    listing.keysInFile = keys.usingFallbackFile();
    listing.keyFileReason = keys.fallbackReason();
    listing.keyFilePath = keys.fallbackFilePath();
    for (const ProviderConfig &config : m_providerFactory->settings().load(&listing.warnings)) {
        ProviderListing::Entry e;
        e.config = config;
        if (config.keyRef.isEmpty())
            e.keyStorage = QStringLiteral("none");
        else if (KeyStore::isEnvironmentRef(config.keyRef))
            e.keyStorage = QStringLiteral("environment");
        else if (keys.inFallbackFile(config.keyRef))
            e.keyStorage = QStringLiteral("file");
        else if (keys.usingFallbackFile())
            e.keyStorage = QStringLiteral("missing");
        else
            e.keyStorage = QStringLiteral("keychain");
        if (e.keyStorage == QLatin1String("file"))
            listing.keysInFile = true;
        listing.providers.append(e);
    }
    return listing;
}

void Gateway::addProvider(ProviderConfig config, const std::optional<QString> &apiKey,
                          std::function<void(const Status &)> done)
{
    if (config.name == kDeterministic) {
        QTimer::singleShot(0, this, [done] {
            done(makeError(ErrorCode::Conflict,
                           QStringLiteral("\"deterministic\" is the built-in provider's name.")));
        });
        return;
    }
    const bool storeKey = apiKey && !apiKey->isEmpty();
    if (storeKey && (config.keyRef.isEmpty() || KeyStore::isEnvironmentRef(config.keyRef)))
        config.keyRef = ProviderConfig::defaultKeyRef(config.name);
    // A key the new configuration no longer refers to is removed once it is saved.
    QString staleRef;
    if (auto previous = m_providerFactory->settings().find(config.name);
        previous && !previous->keyRef.isEmpty() && !KeyStore::isEnvironmentRef(previous->keyRef)
        && previous->keyRef != config.keyRef)
        staleRef = previous->keyRef;
    const QString name = config.name;
    m_providerFactory->addProvider(
            config, storeKey ? apiKey : std::nullopt, m_providers.get(), this,
            [this, name, staleRef, done](const Status &status) {
                if (status) {
                    m_configuredProviders.insert(name);
                    syncProviders();
                    emit providersChanged();
                    if (!staleRef.isEmpty())
                        m_providerFactory->keyStore().remove(staleRef, this, [](const Status &s) {
                            if (!s)
                                qCWarning(lcProviders).noquote() << s.errorMessage();
                        });
                }
                done(status);
            });
}

void Gateway::removeProvider(const QString &name, std::function<void(const Status &)> done)
{
    if (name == kDeterministic) {
        QTimer::singleShot(0, this, [done] {
            done(makeError(ErrorCode::Conflict,
                           QStringLiteral("The built-in deterministic provider cannot be removed.")));
        });
        return;
    }
    m_providerFactory->removeProvider(name, m_providers.get(), this,
                                      [this, name, done](const Status &status) {
                                          m_configuredProviders.remove(name);
                                          syncProviders();
                                          emit providersChanged();
                                          done(status);
                                      });
}

void Gateway::testProvider(const QString &name, std::function<void(const ConnectionTest &)> done)
{
    if (name == kDeterministic) {
        QTimer::singleShot(0, this, [done] {
            ConnectionTest t;
            t.provider = kDeterministic;
            t.ok = true;
            t.checked = QStringLiteral("built-in");
            t.models = {QStringLiteral("echo-1")};
            done(t);
        });
        return;
    }
    m_providerFactory->testConnection(name, this, std::move(done));
}

void Gateway::testProvider(const ProviderConfig &config, const std::optional<QString> &apiKey,
                           std::function<void(const ConnectionTest &)> done)
{
    if (!apiKey || apiKey->isEmpty()) {
        m_providerFactory->testConnection(config, this, std::move(done));
        return;
    }
    auto created = m_providerFactory->create(config);
    if (!created) {
        // The factory says why in the connection test's own words.
        m_providerFactory->testConnection(config, this, std::move(done));
        return;
    }
    // The provider lives as long as the callback that reports on it.
    std::shared_ptr<RemoteProvider> provider(std::move(*created));
    provider->useKey(*apiKey);
    provider->testConnection(this, [provider, done](const ConnectionTest &t) { done(t); });
}

void Gateway::providerModels(const QString &name,
                             std::function<void(const Result<QStringList> &)> done)
{
    if (name == kDeterministic) {
        QTimer::singleShot(0, this, [done] { done(QStringList{QStringLiteral("echo-1")}); });
        return;
    }
    if (auto found = m_providerFactory->settings().find(name); !found) {
        const Error error = found.error();
        QTimer::singleShot(0, this, [done, error] { done(error); });
        return;
    }
    m_providerFactory->listModels(
            name, this, [done](const QStringList &models, const std::optional<ProviderError> &error) {
                if (error) {
                    done(makeError(ErrorCode::Provider,
                                   providerErrorClassDescription(error->errorClass)
                                           + QLatin1Char(' ') + error->message));
                    return;
                }
                done(models);
            });
}

// --- runs -----------------------------------------------------------------------------------

Result<RunInfo> Gateway::startRun(const RunRequest &request)
{
    if (!m_open)
        return makeError(ErrorCode::Internal, QStringLiteral("the engine is not open"));
    if (request.text.trimmed().isEmpty() && request.attachments.isEmpty())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("the message is empty"));
    syncProviders();
    if (!request.agent.isEmpty()) {
        if (auto a = m_agents->get(request.agent); !a)
            return a.error();
    }
    auto resolution = m_resolver->resolve(
            request.session, binding(), request.createSession,
            request.agent.isEmpty() ? AgentRegistry::defaultAgentName() : request.agent);
    if (!resolution)
        return resolution.error();
    const SessionInfo session = resolution->session;
    auto agent = m_agents->get(request.agent.isEmpty() ? session.agent : request.agent);
    if (!agent)
        agent = m_agents->get(AgentRegistry::defaultAgentName());
    if (!agent)
        return agent.error();

    NewRun spec;
    spec.sessionId = session.id;
    spec.agent = agent->name;
    spec.provider = agent->provider;
    spec.model = session.model.isEmpty() ? agent->model : session.model;
    if (!request.provider.isEmpty() && request.provider != agent->provider) {
        auto provider = m_providers->get(request.provider);
        if (!provider)
            return provider.error();
        spec.provider = request.provider;
        spec.model = (*provider)->defaultModel();
    }
    spec.inputPreview = preview(request.text);
    spec.ownerInstance = m_instances->self().id;
    auto run = m_runs->create(spec);
    if (!run)
        return run.error();
    m_counters.runsStarted++;
    m_counters.tapeEvents++;
    // Front ends learn of the run before any of its events, and get every event from seq 1.
    emit runUpdated(*run);
    if (auto accepted = m_journal.tapeEvent(run->id, 1))
        emit tapeAppended(*accepted);

    ChatMessage input = ChatMessage::user(request.text);
    QJsonArray attachments;
    for (Attachment a : request.attachments) {
        a.bytes = a.data.size();
        a.sha256 = QString::fromLatin1(
                QCryptographicHash::hash(a.data, QCryptographicHash::Sha256).toHex());
        attachments.append(a.toJson());
        input.attachments.append(a);
    }
    if (!record(run->id, TapeKind::Input,
                {{QStringLiteral("text"), request.text},
                 {QStringLiteral("attachments"), attachments},
                 {QStringLiteral("source"), request.source}})) {
        warnIfFailed(transition(run->id, RunState::Failed, QStringLiteral("journal_error"),
                                QStringLiteral("The input could not be written to the journal.")),
                     "cannot fail run:");
        return m_runs->get(run->id);
    }
    warnIfFailed(m_sessions->setAutoTitle(session.id, SessionStore::titleFromText(request.text)),
                 "cannot set the session title:");
    warnIfFailed(m_sessions->touch(session.id, run->createdAt), "cannot update the session:");

    auto *orchestrator = new RunOrchestrator(*this, *run, session, *agent, input, this);
    m_active.insert(run->id, orchestrator);
    // Return the accepted run first; the loop starts on the next pass of the event loop.
    QTimer::singleShot(0, orchestrator, &RunOrchestrator::start);
    emit sessionsChanged();
    return run;
}

Result<RunInfo> Gateway::cancelRun(const QString &idOrPrefix, const QString &by)
{
    auto r = m_runs->find(idOrPrefix);
    if (!r)
        return r;
    if (r->isTerminal())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("run %1 already ended (%2)").arg(r->id, runStateName(r->state)));
    if (RunOrchestrator *o = m_active.value(r->id)) {
        o->cancel(by);
        return m_runs->get(r->id);
    }
    // Owned by another process: recover it if that process is gone, else ask it to stop.
    auto recovered = m_recovery->recoverRun(*r, m_config.staleAfterMs);
    if (!recovered)
        return recovered.error();
    if (*recovered) {
        emitRun(r->id);
        return m_runs->get(r->id);
    }
    if (Status s = m_runs->requestCancel(r->id, by); !s)
        return s.error();
    return m_runs->get(r->id);
}

Result<RunInfo> Gateway::run(const QString &idOrPrefix) const
{
    return m_runs->find(idOrPrefix);
}

Result<QList<RunInfo>> Gateway::runs(const RunFilter &filter) const
{
    return m_runs->list(filter);
}

Result<QList<TapeEvent>> Gateway::tape(const QString &runId, qint64 fromSeq, int limit) const
{
    return m_journal.tape(runId, fromSeq, limit);
}

Result<QList<TapeRow>> Gateway::tapeRows(const QString &runId, qint64 afterSeq, int limit,
                                         const TapeFilter &filter) const
{
    return m_journal.tapeRows(runId, afterSeq, limit, filter);
}

Result<TapeEvent> Gateway::tapeEvent(const QString &runId, qint64 seq) const
{
    return m_journal.tapeEvent(runId, seq);
}

Result<qint64> Gateway::tapeLength(const QString &runId) const
{
    return m_journal.tapeLength(runId);
}

Result<qint64> Gateway::exportTape(const QString &runId, const QString &path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    qint64 written = 0;
    qint64 next = 1;
    while (true) {
        auto page = m_journal.tape(runId, next, 2000);
        if (!page)
            return page.error();
        for (const TapeEvent &e : *page) {
            file.write(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact));
            file.write("\n");
            next = e.seq + 1;
            ++written;
        }
        if (page->size() < 2000)
            break;
    }
    if (!file.commit())
        return makeError(ErrorCode::Storage,
                         QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return written;
}

Result<QList<TimelineSpan>> Gateway::timeline(const QString &runId) const
{
    // Only the fields the spans need, so a long run is not parsed whole.
    QStringList marks;
    QVariantList binds{runId};
    for (const QString &k : RunTimelineBuilder::relevantKinds()) {
        marks.append(QStringLiteral("?"));
        binds.append(k);
    }
    auto q = m_journal.exec(
            QStringLiteral("SELECT seq, kind, created_at, json_object("
                           "'call_id', json_extract(payload, '$.call_id'), "
                           "'tool', json_extract(payload, '$.tool'), "
                           "'approval_id', json_extract(payload, '$.approval_id'), "
                           "'usage', json_extract(payload, '$.usage'), "
                           "'decision', json_extract(payload, '$.decision'), "
                           "'decided_by', json_extract(payload, '$.decided_by'), "
                           "'ok', json_extract(payload, '$.ok'), "
                           "'exit_code', json_extract(payload, '$.exit_code'), "
                           "'state', json_extract(payload, '$.state'), "
                           "'error_class', json_extract(payload, '$.error_class'), "
                           "'retry_delay_ms', json_extract(payload, '$.retry_delay_ms'), "
                           "'provider', json_extract(payload, '$.provider'), "
                           "'model', json_extract(payload, '$.model')) "
                           "FROM orchestrator_tape WHERE run_id = ? AND kind IN (%1) ORDER BY seq")
                    .arg(marks.join(QLatin1Char(','))),
            binds);
    if (!q)
        return q.error();
    RunTimelineBuilder builder;
    TapeEvent e;
    e.runId = runId;
    while (q->next()) {
        e.seq = q->value(0).toLongLong();
        e.kind = q->value(1).toString();
        e.createdAt = q->value(2).toLongLong();
        e.payload = QJsonDocument::fromJson(q->value(3).toString().toUtf8()).object();
        // json_object keeps booleans as 0/1 and nested objects as text: normalise both.
        if (e.payload.value(QStringLiteral("ok")).isDouble())
            e.payload.insert(QStringLiteral("ok"), e.payload.value(QStringLiteral("ok")).toInt() != 0);
        if (e.payload.value(QStringLiteral("usage")).isString())
            e.payload.insert(QStringLiteral("usage"),
                             QJsonDocument::fromJson(e.payload.value(QStringLiteral("usage")).toString().toUtf8()).object());
        builder.add(e);
    }
    return builder.spans();
}

Result<SessionTranscript> Gateway::transcript(const QString &sessionId, int beforeOrdinal,
                                              int maxRuns, int maxEventsPerRun) const
{
    SessionTranscript t;
    auto runs = m_journal.exec(QStringLiteral("SELECT id FROM runs WHERE session_id = ? AND "
                                              "ordinal < ? ORDER BY ordinal DESC LIMIT ?"),
                               {sessionId, beforeOrdinal, maxRuns + 1});
    if (!runs)
        return runs.error();
    QStringList ids;
    while (runs->next())
        ids.append(runs->value(0).toString());
    if (ids.size() > maxRuns) {
        t.hasEarlier = true;
        ids.removeLast();
    }
    static const QStringList kinds{TapeKind::Input, TapeKind::ProviderResponse,
                                   TapeKind::AssistantMessage, TapeKind::ToolCall,
                                   TapeKind::PolicyDecision, TapeKind::ApprovalRequest,
                                   TapeKind::ApprovalDecision, TapeKind::ToolOutput,
                                   TapeKind::ProviderError, TapeKind::RunStatus};
    QStringList marks;
    for (int i = 0; i < kinds.size(); ++i)
        marks.append(QStringLiteral("?"));
    const QString kindList = marks.join(QLatin1Char(','));
    for (auto it = ids.crbegin(); it != ids.crend(); ++it) {
        auto run = m_runs->get(*it);
        if (!run)
            return run.error();
        t.runs.append(*run);
        // The newest steps, read backwards and bounded: a run of 100,000 events costs what a
        // transcript can show, not the whole tape.
        QVariantList binds{*it};
        for (const QString &k : kinds)
            binds.append(k);
        binds.append(maxEventsPerRun);
        auto newest = m_journal.exec(QStringLiteral("SELECT seq FROM orchestrator_tape WHERE run_id = ? "
                                                    "AND kind IN (%1) ORDER BY seq DESC LIMIT 1 OFFSET ?")
                                             .arg(kindList),
                                     binds);
        if (!newest)
            return newest.error();
        qint64 fromSeq = 1;
        if (newest->next()) {
            // More than maxEventsPerRun steps: keep the input, then the newest ones.
            fromSeq = newest->value(0).toLongLong() + 1;
            auto input = m_journal.tape(*it, 1, 4, {TapeKind::Input});
            if (!input)
                return input.error();
            t.events.append(*input);
            QVariantList countBinds{*it, fromSeq};
            for (const QString &k : kinds)
                countBinds.append(k);
            auto skipped = m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM orchestrator_tape WHERE "
                                                         "run_id = ? AND seq < ? AND kind IN (%1) "
                                                         "AND kind <> 'input'")
                                                  .arg(kindList),
                                          countBinds);
            if (skipped && skipped->next())
                t.omitted.insert(*it, skipped->value(0).toLongLong());
        }
        auto events = m_journal.tape(*it, fromSeq, -1, kinds);
        if (!events)
            return events.error();
        t.events.append(*events);
    }
    return t;
}

QStringList Gateway::activeRunIds() const
{
    return m_active.keys();
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
    if (scope == ApprovalScope::Always && !allow) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("\"always\" applies to allowing only; to deny a call for "
                                        "good, write a forbid policy in %1")
                                 .arg(policyFolder()));
    }
    auto found = m_approvals->find(idOrPrefix);
    if (!found)
        return found;
    const QString who = by.isEmpty() ? QStringLiteral("user") : by;
    if (scope != ApprovalScope::Always || !found->isPending()) {
        // (An "always" for an approval that was decided already ends in the same conflict.)
        auto decided = resolveApproval(found->id, allow ? ApprovalStatus::Allow : ApprovalStatus::Deny,
                                       scope, who, QString());
        if (!decided)
            return decided;
        if (RunOrchestrator *o = m_active.value(decided->runId))
            o->applyApprovalDecision(*decided);
        return decided;
    }

    // Allow always: the decision and its grant are written together, or neither is.
    auto session = m_sessions->find(found->sessionId);
    if (!session)
        return session.error();
    const Tool *tool = m_tools->tool(found->tool);
    const ToolSpec spec = tool ? tool->spec() : ToolSpec{};
    auto grant = PolicyGrant::forCall(session->principal, found->tool, tool ? &spec : nullptr,
                                      found->arguments, m_journal.redactor());
    if (!grant)
        return grant.error();
    grant->createdAt = now();
    grant->createdBy = who;
    grant->sourceApprovalId = found->id;
    Result<PendingToolApproval> decided = makeError(ErrorCode::Internal, QStringLiteral("not decided"));
    const Status written = m_journal.transaction([&]() -> Status {
        decided = m_approvals->decide(found->id, ApprovalStatus::Allow, ApprovalScope::Always, who);
        if (!decided)
            return decided.error();
        return m_grants->insert(*grant);
    });
    if (!decided)
        return decided;
    if (!written)
        return written.error();
    syncGrants(true);
    qCInfo(lcPolicy).noquote() << "grant" << grant->id << "for" << grant->tool << "by" << who;
    decided = m_approvals->get(found->id); // now with its grant id
    if (!decided)
        return decided;
    emit approvalResolved(*decided);
    if (RunOrchestrator *o = m_active.value(decided->runId))
        o->applyApprovalDecision(*decided);
    return decided;
}

// --- policy ---------------------------------------------------------------------------------

QString Gateway::policyFolder() const
{
    return m_config.configDir.isEmpty() ? QString()
                                        : QDir(m_config.configDir).filePath(QStringLiteral("policies"));
}

void Gateway::loadUserPolicies()
{
    const QString folder = policyFolder();
    if (!folder.isEmpty() && !QFileInfo::exists(folder)) {
        if (Status s = DataPaths::ensurePrivateDir(folder); !s) {
            qCWarning(lcPolicy) << "cannot create the policy folder:" << s.errorMessage();
        } else {
            QFile readme(QDir(folder).filePath(QStringLiteral("README.txt")));
            if (!readme.open(QIODevice::WriteOnly | QIODevice::NewOnly)
                || readme.write(kPolicyFolderReadme) < 0)
                qCWarning(lcPolicy) << "cannot write" << readme.fileName() << readme.errorString();
        }
    }
    m_policy->loadUserPolicies(folder);
}

void Gateway::syncGrants(bool force)
{
    auto fingerprint = m_grants->fingerprint();
    if (!fingerprint) {
        // What is loaded stays: the next change or poll tries again.
        qCWarning(lcPolicy) << "cannot read the grants:" << fingerprint.errorMessage();
        return;
    }
    if (!force && *fingerprint == m_grantFingerprint)
        return;
    auto active = m_grants->active();
    if (!active) {
        qCWarning(lcPolicy) << "cannot read the grants:" << active.errorMessage();
        return;
    }
    QList<PolicySource> sources;
    sources.reserve(active->size());
    for (const PolicyGrant &g : std::as_const(*active))
        sources.append(PolicySource{g.policyText, QStringLiteral("grants/") + g.id});
    m_policy->replaceAddedPolicies(sources);
    m_grantFingerprint = *fingerprint;
}

QList<PolicyProblem> Gateway::policyProblems() const
{
    return m_policy ? m_policy->problems() : QList<PolicyProblem>{};
}

QList<PolicyProblem> Gateway::reloadPolicies()
{
    loadUserPolicies();
    syncGrants(true);
    return policyProblems();
}

QList<PolicyInfo> Gateway::policies() const
{
    return m_policy ? m_policy->policies() : QList<PolicyInfo>{};
}

void Gateway::syncGrantsIfJournalMoved()
{
    // data_version moves when another process committed: it may have added or revoked a grant.
    if (const qint64 version = m_journal.dataVersion(); version != m_policyDataVersion) {
        m_policyDataVersion = version;
        syncGrants();
    }
}

PolicyDecision Gateway::decidePolicy(const PolicyRequest &request)
{
    syncGrantsIfJournalMoved();
    return m_policy->decide(request);
}

Result<PolicyExplanation> Gateway::explainToolCall(const QString &toolName,
                                                   const QJsonObject &arguments,
                                                   const QString &sessionIdOrKey)
{
    const Tool *tool = m_tools->tool(toolName);
    if (!tool) {
        QStringList names;
        for (const ToolSpec &spec : m_tools->specs())
            names.append(spec.name);
        return makeError(ErrorCode::NotFound, QStringLiteral("no tool named \"%1\" (tools: %2)")
                                                      .arg(toolName, names.join(QStringLiteral(", "))));
    }
    SessionInfo session;
    QString agentName = AgentRegistry::defaultAgentName();
    if (!sessionIdOrKey.isEmpty()) {
        auto found = findSession(sessionIdOrKey);
        if (!found)
            return found.error();
        session = *found;
        agentName = session.agent;
    } else {
        session.principal = m_config.principal;
    }
    auto agent = m_agents->get(agentName);
    if (!agent)
        return agent.error();
    if (!agent->allowsTool(toolName))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the agent %1 may not call %2: such a call never reaches policy")
                                 .arg(agent->name, toolName));
    if (Status valid = m_tools->validateArguments(toolName, arguments); !valid)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the call never reaches policy: %1").arg(valid.errorMessage()));

    const PolicyRequest request = RunOrchestrator::policyRequest(tool->spec(), arguments, session, *agent);
    syncGrantsIfJournalMoved(); // the same grants as a run would see
    PolicyExplanation e = m_policy->explain(request);
    e.decision = RunOrchestrator::withApprovalMode(e.decision, *agent);
    if (e.decision.effect == PolicyEffect::Ask && !session.id.isEmpty()) {
        if (const auto grant = sessionGrant(session.id, toolName)) {
            e.decision.explanation += QStringLiteral(" In this session an earlier \"allow for this "
                                                     "session\" (approval %1) answers without asking.")
                                              .arg(grant->id);
        }
    }
    return e;
}

Result<QList<PolicyGrant>> Gateway::listGrants(bool includeRevoked) const
{
    return m_grants->list(includeRevoked);
}

Result<PolicyGrant> Gateway::findGrant(const QString &idOrPrefix) const
{
    return m_grants->find(idOrPrefix);
}

Result<PolicyGrant> Gateway::revokeGrant(const QString &idOrPrefix, const QString &by)
{
    auto found = m_grants->find(idOrPrefix);
    if (!found)
        return found;
    auto revoked = m_grants->revoke(found->id, by.isEmpty() ? QStringLiteral("user") : by);
    if (revoked) {
        syncGrants(true);
        qCInfo(lcPolicy).noquote() << "grant" << revoked->id << "revoked by" << revoked->revokedBy;
    }
    return revoked;
}

// --- status ---------------------------------------------------------------------------------

GatewayStatus Gateway::status(bool checkJournal) const
{
    GatewayStatus st;
    st.instanceId = instanceId();
    st.frontEnd = m_config.frontEnd;
    st.startedAt = m_startedAt;
    st.counters = m_counters;
    st.activeRunsHere = m_active.size();
    if (!m_open)
        return st;
    if (auto q = m_journal.exec(QStringLiteral("SELECT state, COUNT(*) FROM runs GROUP BY state"))) {
        while (q->next())
            st.runsByState.insert(q->value(0).toString(), q->value(1).toLongLong());
    }
    if (auto q = m_journal.exec(
                QStringLiteral("SELECT status, COUNT(*) FROM approvals GROUP BY status"))) {
        while (q->next())
            st.approvalsByStatus.insert(q->value(0).toString(), q->value(1).toLongLong());
    }
    if (auto q = m_journal.exec(
                QStringLiteral("SELECT COUNT(*) FROM sessions WHERE archived_at IS NULL"));
        q && q->next())
        st.sessions = q->value(0).toLongLong();
    if (auto h = m_journal.health(checkJournal))
        st.journal = *h;
    st.providers = m_providers->names();
    for (const ToolSpec &t : m_tools->specs())
        st.tools.append(t.name);
    st.policyEngine = m_policy->name();
    st.policyFolder = policyFolder();
    st.policyCount = int(m_policy->policyIds().size());
    st.policyProblems = m_policy->problems();
    if (auto q = m_journal.exec(
                QStringLiteral("SELECT COUNT(*) FROM policy_grants WHERE revoked_at IS NULL"));
        q && q->next())
        st.activeGrants = q->value(0).toLongLong();
    return st;
}

// --- RunHost --------------------------------------------------------------------------------

Result<TapeEvent> Gateway::record(const QString &runId, const QString &kind,
                                  const QJsonObject &payload)
{
    auto e = m_journal.appendTape(runId, kind, payload);
    if (!e) {
        qCWarning(lcJournal) << e.errorMessage();
        return e;
    }
    m_counters.tapeEvents++;
    emit tapeAppended(*e);
    return e;
}

Status Gateway::transition(const QString &runId, RunState to, const QString &reason,
                           const QString &detail, const QJsonObject &extra)
{
    auto e = m_runs->transition(runId, to, reason, detail, extra);
    if (!e)
        return e.error();
    m_counters.tapeEvents++;
    if (RunStateMachine::isTerminal(to))
        m_counters.runsEnded[runStateName(to)]++;
    emit tapeAppended(*e);
    emitRun(runId);
    return {};
}

void Gateway::emitRun(const QString &runId)
{
    if (auto r = m_runs->get(runId))
        emit runUpdated(*r);
}

void Gateway::streamText(const QString &runId, const QString &text)
{
    emit textDelta(runId, text);
}

void Gateway::addUsage(const QString &runId, const TokenUsage &usage)
{
    warnIfFailed(m_runs->addUsage(runId, usage.prompt, usage.completion),
                 "cannot record token usage:");
}

Result<PendingToolApproval> Gateway::openApproval(const PendingToolApproval &draft)
{
    auto a = m_approvals->create(draft);
    if (a)
        emit approvalRequested(*a);
    return a;
}

Result<PendingToolApproval> Gateway::closeApproval(const QString &id, ApprovalStatus status,
                                                   const QString &by, const QString &reason)
{
    return resolveApproval(id, status, std::nullopt, by, reason);
}

Result<PendingToolApproval> Gateway::resolveApproval(const QString &id, ApprovalStatus status,
                                                     std::optional<ApprovalScope> scope,
                                                     const QString &by, const QString &reason)
{
    auto a = m_approvals->decide(id, status, scope, by, reason);
    if (a)
        emit approvalResolved(*a);
    return a;
}

Result<PendingToolApproval> Gateway::approval(const QString &id) const
{
    return m_approvals->get(id);
}

Result<bool> Gateway::markApprovalApplied(const QString &id)
{
    return m_approvals->markApplied(id);
}

std::optional<PendingToolApproval> Gateway::sessionGrant(const QString &sessionId,
                                                         const QString &tool) const
{
    auto g = m_approvals->sessionGrant(sessionId, tool);
    return g ? *g : std::nullopt;
}

void Gateway::countProviderCall(bool failed)
{
    m_counters.providerCalls++;
    if (failed)
        m_counters.providerFailures++;
}

void Gateway::countToolCall()
{
    m_counters.toolCalls++;
}

void Gateway::countApproval(ApprovalStatus outcome)
{
    m_counters.approvals[approvalStatusName(outcome)]++;
}

void Gateway::runFinished(const QString &runId)
{
    if (RunOrchestrator *o = m_active.take(runId))
        o->deleteLater();
}

void Gateway::setDeterministicChunkDelay(int ms)
{
    m_config.deterministicChunkDelayMs = qBound(0, ms, 10000);
    m_providers->add(std::make_unique<DeterministicProvider>(
            DeterministicProvider::Options{m_config.deterministicChunkDelayMs}));
}

// --- timers ---------------------------------------------------------------------------------

void Gateway::heartbeat()
{
    const qint64 t = now();
    warnIfFailed(m_instances->heartbeat(t), "cannot write the heartbeat:");
    if (!m_active.isEmpty())
        warnIfFailed(m_runs->heartbeat(m_instances->self().id, t), "cannot write run heartbeats:");
}

void Gateway::poll()
{
    // data_version moves only when another connection committed: a cheap "anything new?".
    const qint64 version = m_journal.dataVersion();
    if (version == m_dataVersion)
        return;
    m_dataVersion = version;
    syncGrants();
    if (!m_active.isEmpty()) {
        if (auto requests = m_runs->cancelRequests(m_instances->self().id)) {
            for (const RunInfo &r : *requests) {
                if (RunOrchestrator *o = m_active.value(r.id))
                    o->cancel(r.cancelRequestedBy);
            }
        }
        const auto active = m_active.values();
        for (RunOrchestrator *o : active) {
            const QString waiting = o->waitingApprovalId();
            if (waiting.isEmpty())
                continue;
            if (auto a = m_approvals->get(waiting); a && !a->isPending()) {
                emit approvalResolved(*a);
                o->applyApprovalDecision(*a);
            }
        }
    }
    emit journalChanged();
}

} // namespace Spool

namespace Spool {

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

Status Gateway::setToolSettings(bool allowUnsandboxed, bool allowCommandNetwork,
                                bool allowPrivateAddresses)
{
    m_config.allowUnsandboxedCommands = allowUnsandboxed;
    m_config.allowCommandNetwork = allowCommandNetwork;
    m_config.allowPrivateAddresses = allowPrivateAddresses;
    return registerBuiltinTools(*m_tools, toolOptions());
}

void Gateway::setApprovalTimeout(qint64 ms)
{
    m_config.approvalTimeoutMs = qMax<qint64>(1000, ms);
}

QList<ToolSpec> Gateway::toolSpecs() const
{
    return m_tools->specs();
}

Result<SessionInfo> Gateway::setSessionWorkspace(const QString &idOrKey, const QString &folder)
{
    auto s = findSession(idOrKey);
    if (!s)
        return s;
    QString path;
    if (!folder.trimmed().isEmpty()) {
        const QFileInfo info(folder);
        if (!info.isAbsolute())
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("the workspace must be an absolute path: %1").arg(folder));
        if (!info.isDir())
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("the workspace %1 is not an existing folder").arg(folder));
        path = info.canonicalFilePath();
    }
    auto updated = m_sessions->setWorkspace(s->id, path);
    if (updated)
        emit sessionsChanged();
    return updated;
}

QString Gateway::effectiveWorkspace(const SessionInfo &session) const
{
    if (!session.workspace.isEmpty())
        return session.workspace;
    const QString root = toolOptions().workspaceRoot;
    return root.isEmpty() ? QString() : QDir(root).filePath(session.id);
}

Result<RunInfo> Gateway::runTool(const QString &tool, const QJsonObject &arguments,
                                 const SessionSelector &session, const QString &source)
{
    if (!m_tools->tool(tool))
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
    return startRun(request);
}

} // namespace Spool
