#include "testsupport.h"

#include "approvals/approvalstore.h"
#include "core/datapaths.h"
#include "core/processidentity.h"
#include "journal/journalstore.h"
#include "runs/instancetracker.h"
#include "sessions/sessionstore.h"
#include "runs/runrecovery.h"
#include "runs/runstore.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>

using namespace Spool;
using namespace Spool::Test;

class tst_Gateway : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void plainRunStreamsAndRecordsEveryStep();
    void laterRunsGetTheirContextFromTheTape();
    void allowedToolRunsWithoutAsking();
    void approvalAllowOnceIsAppliedExactlyOnce();
    void approvalDenyTellsTheModel();
    void approvalForTheSessionIsNotAskedAgain();
    void approvalTimeoutDeniesAndTellsTheModel();
    void cancelDuringStreaming();
    void streamedTextIsCheckpointedWhileItStreams();
    void cancelWhileWaitingForApproval();
    void sessionWithARunInFlightIsNotDeleted();
    void budgets_data();
    void budgets();
    void badToolCallsNeverReachPolicy_data();
    void badToolCallsNeverReachPolicy();
    void providerFailureIsClassified();
    void recoveryFailsRunsOfDeadProcessesOnly();
    void waitingRunOutlivesItsProcessAndIsAdopted_data();
    void waitingRunOutlivesItsProcessAndIsAdopted();
    void retryStartsALinkedRunWithTheSameInput();
    void cancelAndDecisionsFromAnotherProcess();
    void tapeStaysContiguousWithRunsInFlight();
    void emptyMessageIsRefusedBeforeAnyRun();
    void priorTurnsReachTheModelAndStayOnTheTape();
    void runSyncsTheDiskOnlyWhereItMatters_data();
    void runSyncsTheDiskOnlyWhereItMatters();

private:
    RunInfo start(const QString &text, const QString &key = QStringLiteral("s"));
    QList<TapeEvent> tape(const QString &runId);
    QStringList kinds(const QString &runId);

    std::unique_ptr<TempEnvironment> m_env;
    std::unique_ptr<Gateway> m_gateway;
};

void tst_Gateway::init()
{
    m_env = std::make_unique<TempEnvironment>();
}

void tst_Gateway::cleanup()
{
    m_gateway.reset();
    m_env.reset();
}

RunInfo tst_Gateway::start(const QString &text, const QString &key)
{
    if (!m_gateway)
        m_gateway = openGateway(m_env->config);
    RunRequest request;
    request.session.key = key;
    request.text = text;
    request.source = QStringLiteral("test");
    auto run = m_gateway->startRun(request);
    if (!run)
        qWarning("startRun: %s", qPrintable(run.errorMessage()));
    return run ? *run : RunInfo{};
}

QList<TapeEvent> tst_Gateway::tape(const QString &runId)
{
    auto events = m_gateway->inspection().tape(runId);
    return events ? *events : QList<TapeEvent>{};
}

QStringList tst_Gateway::kinds(const QString &runId)
{
    QStringList out;
    for (const TapeEvent &e : tape(runId))
        out.append(e.kind);
    return out;
}

void tst_Gateway::plainRunStreamsAndRecordsEveryStep()
{
    m_gateway = openGateway(m_env->config);
    QSignalSpy deltas(m_gateway.get(), &Gateway::textDelta);
    const RunInfo accepted = start(QStringLiteral("hello spool"));
    QCOMPARE(accepted.state, RunState::Accepted); // persisted before any work starts
    QCOMPARE(m_gateway->run(accepted.id)->state, RunState::Accepted);
    const RunInfo done = waitForRun(*m_gateway, accepted.id);
    QCOMPARE(done.state, RunState::Succeeded);
    QCOMPARE(done.reason, QStringLiteral("completed"));
    QVERIFY(done.promptTokens > 0);
    QVERIFY(done.completionTokens > 0);

    QCOMPARE(kinds(done.id), (QStringList{QStringLiteral("run.status"), QStringLiteral("input"),
                                          QStringLiteral("run.status"), QStringLiteral("context"),
                                          QStringLiteral("provider.request"),
                                          QStringLiteral("provider.response"),
                                          QStringLiteral("assistant.message"),
                                          QStringLiteral("run.status")}));
    const QList<TapeEvent> events = tape(done.id);
    for (int i = 0; i < events.size(); ++i)
        QCOMPARE(events.at(i).seq, qint64(i + 1));
    QCOMPARE(events.constLast().payload.value(QStringLiteral("state")).toString(), QStringLiteral("succeeded"));
    const QString reply = events.at(6).payload.value(QStringLiteral("text")).toString();
    QCOMPARE(reply, QStringLiteral("Echo: hello spool"));

    // The reply streamed in several chunks that add up to what the tape keeps.
    QVERIFY(deltas.size() >= 2);
    QString streamed;
    for (const QList<QVariant> &args : deltas)
        streamed += args.at(1).toString();
    QCOMPARE(streamed, reply);

    auto session = m_gateway->sessions().find(QStringLiteral("s"));
    QVERIFY(session);
    QCOMPARE(session->title, QStringLiteral("hello spool"));
    QCOMPARE(session->titleSource, QStringLiteral("auto"));
}

void tst_Gateway::laterRunsGetTheirContextFromTheTape()
{
    const RunInfo first = start(QStringLiteral("my name is Ada"));
    QCOMPARE(waitForRun(*m_gateway, first.id).state, RunState::Succeeded);
    const RunInfo second = start(QStringLiteral("clock please [[tool clock {}]]"));
    QCOMPARE(waitForRun(*m_gateway, second.id).state, RunState::Succeeded);
    const RunInfo third = start(QStringLiteral("what is my name?"));
    QCOMPARE(waitForRun(*m_gateway, third.id).state, RunState::Succeeded);

    const QList<TapeEvent> events = tape(third.id);
    const TapeEvent context = events.at(3);
    QCOMPARE(context.kind, QStringLiteral("context"));
    QCOMPARE(context.payload.value(QStringLiteral("turns_used")).toArray().size(), 2);
    const TapeEvent request = events.at(4);
    const QJsonArray messages = request.payload.value(QStringLiteral("messages")).toArray();
    // system, run 1 (user, assistant), run 2 (user, assistant+call, tool, assistant), run 3 user
    QCOMPARE(messages.size(), 1 + 2 + 4 + 1);
    QCOMPARE(messages.at(1).toObject().value(QStringLiteral("text")).toString(), QStringLiteral("my name is Ada"));
    QCOMPARE(messages.at(5).toObject().value(QStringLiteral("role")).toString(), QStringLiteral("tool"));
    QVERIFY(events.at(6).payload.value(QStringLiteral("text")).toString().contains(QStringLiteral("2 earlier turns")));

    // After a reset, later runs start without the earlier turns; the tape stays.
    QVERIFY(m_gateway->sessions().reset(QStringLiteral("s")));
    const RunInfo fourth = start(QStringLiteral("fresh start"));
    QCOMPARE(waitForRun(*m_gateway, fourth.id).state, RunState::Succeeded);
    QCOMPARE(tape(fourth.id).at(3).payload.value(QStringLiteral("turns_used")).toArray().size(), 0);
    QCOMPARE(tape(first.id).size(), 8);
}

void tst_Gateway::allowedToolRunsWithoutAsking()
{
    m_gateway = openGateway(m_env->config);
    QSignalSpy approvals(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = start(QStringLiteral("time? [[tool clock {\"timezone\": \"UTC\"}]]"));
    QCOMPARE(waitForRun(*m_gateway, run.id).state, RunState::Succeeded);
    QCOMPARE(approvals.size(), 0);
    const QStringList k = kinds(run.id);
    QVERIFY(k.contains(QStringLiteral("tool.call")));
    QCOMPARE(k.count(QStringLiteral("provider.request")), 2);
    for (const TapeEvent &e : tape(run.id)) {
        if (e.kind == TapeKind::PolicyDecision)
            QCOMPARE(e.payload.value(QStringLiteral("decision")).toString(), QStringLiteral("allow"));
        if (e.kind == TapeKind::ToolOutput) {
            QVERIFY(e.payload.value(QStringLiteral("ok")).toBool());
            QVERIFY(e.payload.value(QStringLiteral("output")).toString().endsWith(QLatin1Char('Z')));
        }
    }
}

void tst_Gateway::approvalAllowOnceIsAppliedExactlyOnce()
{
    m_gateway = openGateway(m_env->config);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = start(QStringLiteral("[[tool echo {\"text\": \"approved text\"}]]"));
    QTRY_COMPARE(requested.size(), 1);
    const auto approval = requested.at(0).at(0).value<PendingToolApproval>();
    QCOMPARE(approval.tool, QStringLiteral("echo"));
    QCOMPARE(approval.arguments.value(QStringLiteral("text")).toString(), QStringLiteral("approved text"));
    QVERIFY(approval.expiresAt > approval.createdAt);
    QCOMPARE(m_gateway->approvals()->size(), 1);

    auto decided = m_gateway->decideApproval(approval.id.left(12), true, ApprovalScope::Once, QStringLiteral("test"));
    QVERIFY2(decided, qPrintable(decided.errorMessage()));
    auto again = m_gateway->decideApproval(approval.id, false, ApprovalScope::Once, QStringLiteral("late"));
    QVERIFY(!again);
    QCOMPARE(again.error().code, ErrorCode::Conflict);

    QCOMPARE(waitForRun(*m_gateway, run.id).state, RunState::Succeeded);
    const QStringList k = kinds(run.id);
    QCOMPARE(k.count(QStringLiteral("approval.decision")), 1);
    QCOMPARE(k.count(QStringLiteral("tool.output")), 1);
    QVERIFY(k.indexOf(QStringLiteral("approval.request")) < k.indexOf(QStringLiteral("approval.decision")));
    QVERIFY(k.indexOf(QStringLiteral("approval.decision")) < k.indexOf(QStringLiteral("tool.output")));
    for (const TapeEvent &e : tape(run.id)) {
        if (e.kind == TapeKind::ToolOutput)
            QCOMPARE(e.payload.value(QStringLiteral("output")).toString(), QStringLiteral("approved text"));
        if (e.kind == TapeKind::ApprovalDecision) {
            QCOMPARE(e.payload.value(QStringLiteral("decision")).toString(), QStringLiteral("allow"));
            QCOMPARE(e.payload.value(QStringLiteral("decided_by")).toString(), QStringLiteral("test"));
        }
    }
    QVERIFY(m_gateway->findApproval(approval.id)->appliedAt > 0);
    QCOMPARE(m_gateway->approvals()->size(), 0);
}

void tst_Gateway::approvalDenyTellsTheModel()
{
    m_gateway = openGateway(m_env->config);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = start(QStringLiteral("[[tool echo {\"text\": \"no\"}]]"));
    QTRY_COMPARE(requested.size(), 1);
    QVERIFY(m_gateway->decideApproval(requested.at(0).at(0).value<PendingToolApproval>().id, false,
                                      ApprovalScope::Once, QStringLiteral("test")));
    QCOMPARE(waitForRun(*m_gateway, run.id).state, RunState::Succeeded);
    const QList<TapeEvent> events = tape(run.id);
    bool sawOutput = false;
    for (const TapeEvent &e : events) {
        if (e.kind == TapeKind::ToolOutput) {
            sawOutput = true;
            QVERIFY(!e.payload.value(QStringLiteral("ok")).toBool());
            QVERIFY(e.payload.value(QStringLiteral("output")).toString().contains(QStringLiteral("denied")));
        }
    }
    QVERIFY(sawOutput);
    QVERIFY(events.at(events.size() - 2).payload.value(QStringLiteral("text")).toString().contains(QStringLiteral("did not run")));
}

void tst_Gateway::approvalForTheSessionIsNotAskedAgain()
{
    m_gateway = openGateway(m_env->config);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo first = start(QStringLiteral("[[tool echo {\"text\": \"one\"}]]"));
    QTRY_COMPARE(requested.size(), 1);
    QVERIFY(m_gateway->decideApproval(requested.at(0).at(0).value<PendingToolApproval>().id, true,
                                      ApprovalScope::Session, QStringLiteral("test")));
    QCOMPARE(waitForRun(*m_gateway, first.id).state, RunState::Succeeded);

    const RunInfo second = start(QStringLiteral("[[tool echo {\"text\": \"two\"}]]"));
    QCOMPARE(waitForRun(*m_gateway, second.id).state, RunState::Succeeded);
    QCOMPARE(requested.size(), 1);
    bool viaGrant = false;
    for (const TapeEvent &e : tape(second.id)) {
        if (e.kind == TapeKind::ApprovalDecision)
            viaGrant = e.payload.value(QStringLiteral("via")).toString() == QLatin1String("session_grant");
    }
    QVERIFY(viaGrant);

    // Another session is asked again.
    const RunInfo other = start(QStringLiteral("[[tool echo {\"text\": \"three\"}]]"), QStringLiteral("other"));
    QTRY_COMPARE(requested.size(), 2);
    QVERIFY(m_gateway->cancelRun(other.id, QStringLiteral("test")));
}

void tst_Gateway::approvalTimeoutDeniesAndTellsTheModel()
{
    m_env->config.approvalTimeoutMs = 300;
    m_gateway = openGateway(m_env->config);
    QSignalSpy resolved(m_gateway.get(), &Gateway::approvalResolved);
    const RunInfo run = start(QStringLiteral("[[tool echo {\"text\": \"late\"}]]"));
    const RunInfo done = waitForRun(*m_gateway, run.id);
    QCOMPARE(done.state, RunState::Succeeded);
    QCOMPARE(resolved.size(), 1);
    const auto approval = resolved.at(0).at(0).value<PendingToolApproval>();
    QCOMPARE(approval.status, ApprovalStatus::Timeout);
    // Too late now: the timeout was the decision.
    QCOMPARE(m_gateway->decideApproval(approval.id, true, ApprovalScope::Once, QStringLiteral("test")).error().code,
             ErrorCode::Conflict);
    bool told = false;
    for (const TapeEvent &e : tape(run.id)) {
        if (e.kind == TapeKind::ApprovalDecision)
            QCOMPARE(e.payload.value(QStringLiteral("decision")).toString(), QStringLiteral("timeout"));
        if (e.kind == TapeKind::ToolOutput)
            told = e.payload.value(QStringLiteral("output")).toString().contains(QStringLiteral("No one answered"));
    }
    QVERIFY(told);
}

void tst_Gateway::cancelDuringStreaming()
{
    m_env->config.deterministicChunkDelayMs = 20;
    m_gateway = openGateway(m_env->config);
    QSignalSpy deltas(m_gateway.get(), &Gateway::textDelta);
    const RunInfo run = start(QStringLiteral("[[words 500]]"));
    QTRY_VERIFY(deltas.size() >= 3);
    const int seen = deltas.size();
    // A run of this process stops inside cancelRun(): its answer is already the final state.
    auto cancelled = m_gateway->cancelRun(run.id, QStringLiteral("test"));
    QVERIFY(cancelled);
    QCOMPARE(cancelled->state, RunState::Cancelled);
    QCOMPARE(waitForRun(*m_gateway, run.id).state, RunState::Cancelled);
    QTest::qWait(100);
    QCOMPARE(deltas.size(), seen); // nothing streams after the cancel
    // What streamed stays, marked partial, right before the end.
    QString streamed;
    for (const QList<QVariant> &d : std::as_const(deltas))
        streamed += d.at(1).toString();
    const QList<TapeEvent> events = tape(run.id);
    QCOMPARE(events.constLast().kind, QStringLiteral("run.status"));
    const TapeEvent kept = events.at(events.size() - 2);
    QCOMPARE(kept.kind, QStringLiteral("assistant.message"));
    QCOMPARE(kept.payload.value(QStringLiteral("partial")).toBool(), true);
    QCOMPARE(kept.payload.value(QStringLiteral("text")).toString(), streamed);
    // The transcript shows it too.
    auto transcript = m_gateway->inspection().transcript(run.sessionId, INT_MAX, 10, 100);
    QVERIFY(transcript);
    bool shown = false;
    for (const TapeEvent &e : std::as_const(transcript->events))
        shown = shown || (e.kind == TapeKind::AssistantMessage && e.payload.value(QStringLiteral("partial")).toBool());
    QVERIFY(shown);
    QCOMPARE(m_gateway->cancelRun(run.id, QStringLiteral("test")).error().code, ErrorCode::Conflict);
}

void tst_Gateway::streamedTextIsCheckpointedWhileItStreams()
{
    m_env->config.deterministicChunkDelayMs = 20;
    m_env->config.partialCheckpointMs = 100;
    m_gateway = openGateway(m_env->config);
    QSignalSpy deltas(m_gateway.get(), &Gateway::textDelta);
    const RunInfo run = start(QStringLiteral("[[words 60]]"));
    const RunInfo done = waitForRun(*m_gateway, run.id, 60000);
    QCOMPARE(done.state, RunState::Succeeded);
    // Checkpoints follow each other without gap or overlap, inside one turn, before the
    // response, and add up to a prefix of the reply (the rest came with the response).
    QString checkpointed;
    QString reply;
    int responses = 0;
    int partials = 0;
    for (const TapeEvent &e : tape(run.id)) {
        if (e.kind == TapeKind::ProviderPartial) {
            QCOMPARE(responses, 0);
            QCOMPARE(e.payload.value(QStringLiteral("turn")).toInt(), 1);
            QCOMPARE(e.payload.value(QStringLiteral("offset")).toInteger(), checkpointed.size());
            checkpointed += e.payload.value(QStringLiteral("text")).toString();
            ++partials;
        } else if (e.kind == TapeKind::ProviderResponse) {
            ++responses;
            reply = e.payload.value(QStringLiteral("text")).toString();
        }
    }
    QVERIFY2(partials >= 2, qPrintable(QString::number(partials)));
    QVERIFY(reply.startsWith(checkpointed));
    // A finished run needs nothing from them.
    auto events = m_gateway->inspection().tape(run.id);
    QVERIFY(RunRecovery::unfinishedReply(*events).isEmpty());
}

void tst_Gateway::cancelWhileWaitingForApproval()
{
    m_gateway = openGateway(m_env->config);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = start(QStringLiteral("[[tool echo {\"text\": \"x\"}]]"));
    QTRY_COMPARE(requested.size(), 1);
    QVERIFY(m_gateway->cancelRun(run.id, QStringLiteral("test")));
    QCOMPARE(waitForRun(*m_gateway, run.id).state, RunState::Cancelled);
    const auto id = requested.at(0).at(0).value<PendingToolApproval>().id;
    QCOMPARE(m_gateway->findApproval(id)->status, ApprovalStatus::Cancelled);
    QVERIFY(kinds(run.id).contains(QStringLiteral("approval.decision")));
}

void tst_Gateway::sessionWithARunInFlightIsNotDeleted()
{
    m_gateway = openGateway(m_env->config);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = start(QStringLiteral("[[tool echo {\"text\": \"x\"}]]"));
    QTRY_COMPARE(requested.size(), 1);

    const Status here = m_gateway->sessions().remove(run.sessionId);
    QCOMPARE(here.error().code, ErrorCode::Conflict);
    QVERIFY2(here.errorMessage().contains(QStringLiteral("cancel it first"))
                     && !here.errorMessage().contains(QStringLiteral("another process")),
             qPrintable(here.errorMessage()));
    // A second process on the journal (a `spool sessions delete` in a terminal) is told where.
    auto other = openGateway(m_env->config);
    const Status elsewhere = other->sessions().remove(run.sessionId);
    QCOMPARE(elsewhere.error().code, ErrorCode::Conflict);
    QVERIFY2(elsewhere.errorMessage().contains(QStringLiteral("in another process")),
             qPrintable(elsewhere.errorMessage()));
    QVERIFY(m_gateway->sessions().find(run.sessionId));

    QVERIFY(m_gateway->cancelRun(run.id, QStringLiteral("test")));
    QCOMPARE(waitForRun(*m_gateway, run.id).state, RunState::Cancelled);
    QSignalSpy changed(other.get(), &Gateway::sessionsChanged);
    QVERIFY(other->sessions().remove(run.sessionId));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(m_gateway->sessions().find(run.sessionId).error().code, ErrorCode::NotFound);
}

void tst_Gateway::budgets_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("budget");
    QTest::newRow("turns") << QStringLiteral("[[tool clock {}]]") << QStringLiteral("turns");
    QTest::newRow("tool calls") << QStringLiteral("[[tool clock {}]] [[tool clock {}]] [[tool clock {}]]")
                                << QStringLiteral("tool_calls");
    QTest::newRow("wall clock") << QStringLiteral("[[words 1000]]") << QStringLiteral("wall_clock");
}

void tst_Gateway::budgets()
{
    QFETCH(QString, text);
    QFETCH(QString, budget);
    if (budget == QLatin1String("turns"))
        m_env->config.maxTurns = 1;
    if (budget == QLatin1String("tool_calls"))
        m_env->config.maxToolCalls = 2;
    if (budget == QLatin1String("wall_clock")) {
        m_env->config.wallClockMs = 1000;
        m_env->config.deterministicChunkDelayMs = 10;
    }
    m_gateway = openGateway(m_env->config);
    const RunInfo run = start(text);
    const RunInfo done = waitForRun(*m_gateway, run.id, 5000);
    QCOMPARE(done.state, RunState::Failed);
    QCOMPARE(done.reason, QStringLiteral("budget_exhausted"));
    QCOMPARE(tape(run.id).constLast().payload.value(QStringLiteral("budget")).toString(), budget);
}

void tst_Gateway::badToolCallsNeverReachPolicy_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unknown tool") << QStringLiteral("[[tool rm_rf {}]]") << QStringLiteral("no tool named");
    QTest::newRow("malformed JSON") << QStringLiteral("[[tool echo {\"text\": }]]") << QStringLiteral("not valid JSON");
    QTest::newRow("wrong type") << QStringLiteral("[[tool echo {\"text\": 42}]]") << QStringLiteral("schema");
    QTest::newRow("missing field") << QStringLiteral("[[tool echo {}]]") << QStringLiteral("schema");
    QTest::newRow("extra field") << QStringLiteral("[[tool echo {\"text\": \"a\", \"sudo\": true}]]") << QStringLiteral("schema");
    QTest::newRow("not an object") << QStringLiteral("[[tool echo [1,2]]]") << QStringLiteral("JSON object");
}

void tst_Gateway::badToolCallsNeverReachPolicy()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    m_gateway = openGateway(m_env->config);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = start(text);
    QCOMPARE(waitForRun(*m_gateway, run.id).state, RunState::Succeeded);
    QCOMPARE(requested.size(), 0);
    const QStringList k = kinds(run.id);
    QVERIFY(k.contains(QStringLiteral("tool.call")));
    QVERIFY(!k.contains(QStringLiteral("policy.decision")));
    for (const TapeEvent &e : tape(run.id)) {
        if (e.kind == TapeKind::ToolOutput) {
            QVERIFY(!e.payload.value(QStringLiteral("ok")).toBool());
            const QString output = e.payload.value(QStringLiteral("output")).toString();
            QVERIFY2(output.contains(expected), qPrintable(output));
        }
    }
}

void tst_Gateway::providerFailureIsClassified()
{
    const RunInfo run = start(QStringLiteral("[[fail rate_limit]]"));
    const RunInfo done = waitForRun(*m_gateway, run.id);
    QCOMPARE(done.state, RunState::Failed);
    QCOMPARE(done.reason, QStringLiteral("provider_error"));
    QVERIFY(done.detail.contains(QStringLiteral("rate-limiting")));
    bool sawError = false;
    for (const TapeEvent &e : tape(run.id)) {
        if (e.kind == TapeKind::ProviderError) {
            sawError = true;
            QCOMPARE(e.payload.value(QStringLiteral("error_class")).toString(), QStringLiteral("rate_limit"));
        }
    }
    QVERIFY(sawError);
    QCOMPARE(m_gateway->status().counters.providerFailures, qint64(1));
}

void tst_Gateway::recoveryFailsRunsOfDeadProcessesOnly()
{
    QString deadRun;
    QString liveRun;
    QString streamingRun;
    QString approvalId;
    {
        // Write, as two other processes would have: one killed, one still alive (this one).
        JournalStore journal;
        QVERIFY(DataPaths::ensurePrivateDir(m_env->config.dataDir));
        QVERIFY(journal.open(m_env->config.journalPath(), QStringLiteral("setup")));
        QVERIFY(journal.exec(QStringLiteral("INSERT INTO instances(id, pid, host, proc_start, front_end, "
                                            "started_at, heartbeat_at) VALUES ('DEAD', 999999, ?, '1', 'cli', 0, 0)"),
                             {ProcessIdentity::currentHost()}));
        InstanceTracker live(journal);
        QVERIFY(live.registerSelf(QStringLiteral("gui")));
        SessionStore sessions(journal);
        auto s = sessions.create(QStringLiteral("r"), m_env->config.principal, m_env->config.deviceId, QStringLiteral("default"));
        RunStore runs(journal);
        auto dead = runs.create(NewRun{s->id, QStringLiteral("default"), QStringLiteral("deterministic"), QStringLiteral("echo-1"), QStringLiteral("a"), QStringLiteral("DEAD")});
        auto streaming = runs.create(NewRun{s->id, QStringLiteral("default"), QStringLiteral("deterministic"), QStringLiteral("echo-1"), QStringLiteral("c"), QStringLiteral("DEAD")});
        QVERIFY(runs.transition(streaming->id, RunState::Running, QStringLiteral("started")));
        // Killed mid-reply: two checkpoints of the text it had streamed.
        QVERIFY(journal.appendTape(streaming->id, TapeKind::ProviderRequest, {}));
        QVERIFY(journal.appendTape(streaming->id, TapeKind::ProviderPartial,
                                   {{QStringLiteral("turn"), 1}, {QStringLiteral("offset"), 0}, {QStringLiteral("text"), QStringLiteral("Hello ")}}));
        QVERIFY(journal.appendTape(streaming->id, TapeKind::ProviderPartial,
                                   {{QStringLiteral("turn"), 1}, {QStringLiteral("offset"), 6}, {QStringLiteral("text"), QStringLiteral("wor")}}));
        streamingRun = streaming->id;
        auto alive = runs.create(NewRun{s->id, QStringLiteral("default"), QStringLiteral("deterministic"), QStringLiteral("echo-1"), QStringLiteral("b"), live.self().id});
        QVERIFY(runs.transition(dead->id, RunState::Running, QStringLiteral("started")));
        QVERIFY(runs.transition(alive->id, RunState::Running, QStringLiteral("started")));
        ApprovalStore approvals(journal);
        PendingToolApproval a;
        a.runId = dead->id;
        a.sessionId = s->id;
        a.callId = QStringLiteral("c1");
        a.tool = QStringLiteral("echo");
        a.risk = QStringLiteral("low");
        a.expiresAt = QDateTime::currentMSecsSinceEpoch() + 60000;
        auto created = approvals.create(a);
        QVERIFY(created);
        deadRun = dead->id;
        liveRun = alive->id;
        approvalId = created->id;
    }
    m_gateway = openGateway(m_env->config);
    QVERIFY(m_gateway);
    // Killed mid-reply: failed, what it had streamed kept as a partial message.
    const RunInfo interrupted = *m_gateway->run(streamingRun);
    QCOMPARE(interrupted.state, RunState::Failed);
    QCOMPARE(interrupted.reason, QStringLiteral("interrupted"));
    const QList<TapeEvent> streamed = tape(streamingRun);
    const TapeEvent kept = streamed.at(streamed.size() - 2);
    QCOMPARE(kept.kind, QStringLiteral("assistant.message"));
    QCOMPARE(kept.payload.value(QStringLiteral("text")).toString(), QStringLiteral("Hello wor"));
    QCOMPARE(kept.payload.value(QStringLiteral("partial")).toBool(), true);

    // Waiting for an approval: left for a process to adopt, its approval still open.
    QCOMPARE(m_gateway->run(deadRun)->state, RunState::Running);
    QCOMPARE(m_gateway->findApproval(approvalId)->status, ApprovalStatus::Pending);
    // This one cannot be carried on (its tape never asked for the approval): adopting it ends it.
    QCOMPARE(m_gateway->adoptRun(liveRun).error().code, ErrorCode::Conflict); // its owner lives
    auto adopted = m_gateway->adoptRun(deadRun);
    QVERIFY2(adopted, qPrintable(adopted.errorMessage()));
    const RunInfo dead = *m_gateway->run(deadRun);
    QCOMPARE(dead.state, RunState::Failed);
    QCOMPARE(dead.reason, QStringLiteral("interrupted"));
    QCOMPARE(m_gateway->findApproval(approvalId)->status, ApprovalStatus::Cancelled);
    const QList<TapeEvent> events = tape(deadRun);
    QCOMPARE(events.constLast().kind, QStringLiteral("run.status"));
    QCOMPARE(events.at(events.size() - 2).kind, QStringLiteral("approval.decision"));
    for (int i = 0; i < events.size(); ++i)
        QCOMPARE(events.at(i).seq, qint64(i + 1));
    QCOMPARE(m_gateway->run(liveRun)->state, RunState::Running);
}

void tst_Gateway::waitingRunOutlivesItsProcessAndIsAdopted_data()
{
    QTest::addColumn<QString>("when"); // the decision: before the adoption, after it, or none
    QTest::addColumn<QString>("decision");
    QTest::newRow("allowed before adoption") << QStringLiteral("before") << QStringLiteral("allow");
    QTest::newRow("denied after adoption") << QStringLiteral("after") << QStringLiteral("deny");
    QTest::newRow("timeout across processes") << QStringLiteral("never") << QStringLiteral("timeout");
}

void tst_Gateway::waitingRunOutlivesItsProcessAndIsAdopted()
{
    QFETCH(QString, when);
    QFETCH(QString, decision);
    RuntimeConfig first = m_env->config;
    if (when == QLatin1String("never"))
        first.approvalTimeoutMs = 2500; // its own expiry, kept by the adopter
    m_gateway = openGateway(first);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = start(QStringLiteral("[[tool echo {\"text\": \"adopted\"}]]"));
    QTRY_COMPARE(requested.size(), 1);
    const PendingToolApproval approval = requested.at(0).at(0).value<PendingToolApproval>();

    // Its process exits: the run stays running and waiting, released on its tape.
    m_gateway->shutdown();
    m_gateway.reset();
    {
        auto other = openGateway(m_env->config); // a one-shot command: recovers, adopts nothing
        QCOMPARE(other->run(run.id)->state, RunState::Running);
        QCOMPARE(other->findApproval(approval.id)->status, ApprovalStatus::Pending);
        const QList<TapeEvent> events = *other->inspection().tape(run.id);
        QCOMPARE(events.constLast().kind, QStringLiteral("run.owner"));
        QCOMPARE(events.constLast().payload.value(QStringLiteral("action")).toString(), QStringLiteral("released"));
        if (when == QLatin1String("before")) // decided from another front end, nobody carrying it
            QVERIFY(other->decideApproval(approval.id, true, ApprovalScope::Once, QStringLiteral("cli")));
        other->shutdown();
    }

    RuntimeConfig adopter = m_env->config;
    adopter.adoptWaitingRuns = true;
    m_gateway = openGateway(adopter);
    QSignalSpy asked(m_gateway.get(), &Gateway::approvalRequested);
    if (when == QLatin1String("after")) {
        QTRY_COMPARE(asked.size(), 1); // the adopter asks now
        QVERIFY(m_gateway->decideApproval(approval.id, false, ApprovalScope::Once, QStringLiteral("gui")));
    }
    const RunInfo done = waitForRun(*m_gateway, run.id, 30000);
    QCOMPARE(done.state, RunState::Succeeded);

    const QList<TapeEvent> events = tape(run.id);
    QStringList owners;
    QStringList decisions;
    for (int i = 0; i < events.size(); ++i) {
        const TapeEvent &e = events.at(i);
        QCOMPARE(e.seq, qint64(i + 1));
        if (e.kind == TapeKind::RunOwner)
            owners.append(e.payload.value(QStringLiteral("action")).toString());
        if (e.kind == TapeKind::ApprovalDecision)
            decisions.append(e.payload.value(QStringLiteral("decision")).toString());
    }
    QCOMPARE(owners, (QStringList{QStringLiteral("released"), QStringLiteral("adopted")}));
    QCOMPARE(decisions, QStringList{decision}); // applied exactly once
    const bool ran = decision == QLatin1String("allow");
    bool toolOk = false;
    for (const TapeEvent &e : events) {
        if (e.kind == TapeKind::ToolOutput)
            toolOk = e.payload.value(QStringLiteral("ok")).toBool();
    }
    QCOMPARE(toolOk, ran);
    QCOMPARE(m_gateway->run(run.id)->ownerInstance, m_gateway->instanceId());
}

void tst_Gateway::retryStartsALinkedRunWithTheSameInput()
{
    m_gateway = openGateway(m_env->config);
    const RunInfo failed = waitForRun(*m_gateway, start(QStringLiteral("[[fail rate_limit]] try me")).id);
    QCOMPARE(failed.state, RunState::Failed);
    auto retry = m_gateway->retryRun(failed.id.left(12));
    QVERIFY2(retry, qPrintable(retry.errorMessage()));
    QCOMPARE(retry->sessionId, failed.sessionId);
    QCOMPARE(retry->retryOf, failed.id);
    QCOMPARE(retry->ordinal, failed.ordinal + 1);
    // Linked both ways on the tapes, the same input.
    const QList<TapeEvent> events = tape(retry->id);
    QCOMPARE(events.at(0).payload.value(QStringLiteral("retry_of")).toString(), failed.id);
    QCOMPARE(events.at(1).kind, QStringLiteral("input"));
    QCOMPARE(events.at(1).payload.value(QStringLiteral("text")).toString(), QStringLiteral("[[fail rate_limit]] try me"));
    QCOMPARE(events.at(1).payload.value(QStringLiteral("retry_of")).toString(), failed.id);
    const QList<TapeEvent> old = tape(failed.id);
    QCOMPARE(old.constLast().kind, QStringLiteral("run.retried"));
    QCOMPARE(old.constLast().payload.value(QStringLiteral("run_id")).toString(), retry->id);
    (void)waitForRun(*m_gateway, retry->id);
    // A run still going cannot be retried.
    const RunInfo going = start(QStringLiteral("[[words 100]]"));
    QCOMPARE(m_gateway->retryRun(going.id).error().code, ErrorCode::Conflict);
    QCOMPARE(m_gateway->retryRun(QStringLiteral("ZZZZZZZZ")).error().code, ErrorCode::NotFound);
}

void tst_Gateway::cancelAndDecisionsFromAnotherProcess()
{
    m_gateway = openGateway(m_env->config);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo waiting = start(QStringLiteral("[[tool echo {\"text\": \"remote\"}]]"));
    QTRY_COMPARE(requested.size(), 1);
    const QString approvalId = requested.at(0).at(0).value<PendingToolApproval>().id;

    // Another process decides through its own connection; the owner applies it.
    JournalStore other;
    QVERIFY(other.open(m_env->config.journalPath(), QStringLiteral("other")));
    ApprovalStore otherApprovals(other);
    QVERIFY(otherApprovals.decide(approvalId, ApprovalStatus::Allow, ApprovalScope::Once, QStringLiteral("cli")));
    QCOMPARE(waitForRun(*m_gateway, waiting.id).state, RunState::Succeeded);

    // And cancels a streaming run at the owner's next poll.
    m_env->config.deterministicChunkDelayMs = 20;
    m_gateway.reset();
    m_gateway = openGateway(m_env->config);
    QSignalSpy deltas(m_gateway.get(), &Gateway::textDelta);
    const RunInfo streaming = start(QStringLiteral("[[words 1000]]"));
    QTRY_VERIFY(deltas.size() > 2);
    RunStore otherRuns(other);
    const qsizetype before = deltas.size();
    QVERIFY(otherRuns.requestCancel(streaming.id, QStringLiteral("cli")));
    const RunInfo done = waitForRun(*m_gateway, streaming.id);
    QCOMPARE(done.state, RunState::Cancelled);
    // Counted in the run's own chunks rather than wall-clock time (a busy machine delays the
    // chunk timer and the poll timer alike): a poll every 150 ms at 20 ms a chunk lets about
    // eight more through; fifty, a second of streaming, means the poll did not notice.
    const qsizetype after = deltas.size() - before;
    QVERIFY2(after < 50, qPrintable(QStringLiteral("%1 chunks after the cancel request").arg(after)));
    QVERIFY(done.detail.contains(QStringLiteral("cli")));
}

void tst_Gateway::tapeStaysContiguousWithRunsInFlight()
{
    m_env->config.deterministicChunkDelayMs = 1;
    m_gateway = openGateway(m_env->config);
    QList<RunInfo> runs;
    for (int i = 0; i < 6; ++i)
        runs.append(start(QStringLiteral("[[words 40]] [[tool clock {}]]"), QStringLiteral("s%1").arg(i)));
    for (const RunInfo &r : runs) {
        QCOMPARE(waitForRun(*m_gateway, r.id).state, RunState::Succeeded);
        const QList<TapeEvent> events = tape(r.id);
        for (int i = 0; i < events.size(); ++i)
            QCOMPARE(events.at(i).seq, qint64(i + 1));
    }
}

void tst_Gateway::emptyMessageIsRefusedBeforeAnyRun()
{
    m_gateway = openGateway(m_env->config);
    RunRequest request;
    request.session.key = QStringLiteral("e");
    request.text = QStringLiteral("   ");
    auto run = m_gateway->startRun(request);
    QVERIFY(!run);
    QCOMPARE(run.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(m_gateway->runs()->size(), 0);
    request.text = QStringLiteral("hi");
    request.session.key = QStringLiteral("bad key");
    QCOMPARE(m_gateway->startRun(request).error().code, ErrorCode::InvalidArgument);
    request.session.key = QStringLiteral("e");
    request.agent = QStringLiteral("nobody");
    QCOMPARE(m_gateway->startRun(request).error().code, ErrorCode::NotFound);
}

void tst_Gateway::priorTurnsReachTheModelAndStayOnTheTape()
{
    m_gateway = openGateway(m_env->config);
    RunRequest request;
    request.session.key = QStringLiteral("handed-over");
    request.text = QStringLiteral("and what is my name?");
    request.source = QStringLiteral("api");
    ChatMessage system = ChatMessage::user(QStringLiteral("Answer in French."));
    system.role = ChatMessage::Role::System;
    request.priorTurns = {system, ChatMessage::user(QStringLiteral("my name is Ada")),
                          ChatMessage::assistant(QStringLiteral("Hello Ada."))};
    auto run = m_gateway->startRun(request);
    QVERIFY(run);
    QCOMPARE(waitForRun(*m_gateway, run->id).state, RunState::Succeeded);

    // The input event keeps them, in order; the model got them between its prompt and the input.
    const QList<TapeEvent> events = tape(run->id);
    const QJsonArray prior = events.at(1).payload.value(QStringLiteral("prior_turns")).toArray();
    QCOMPARE(prior.size(), 3);
    QCOMPARE(prior.at(0).toObject().value(QStringLiteral("role")).toString(), QStringLiteral("system"));
    QCOMPARE(prior.at(2).toObject().value(QStringLiteral("text")).toString(), QStringLiteral("Hello Ada."));
    QCOMPARE(events.at(3).payload.value(QStringLiteral("prior_turns")).toInt(), 3);
    // They count against the context window with the input: the history gets what is left.
    int inputTokens = ChatMessage::user(request.text).estimatedTokens();
    for (const ChatMessage &m : std::as_const(request.priorTurns))
        inputTokens += m.estimatedTokens();
    QCOMPARE(events.at(3).payload.value(QStringLiteral("budget")).toObject().value(QStringLiteral("input")).toInt(),
             inputTokens);
    QJsonArray messages = events.at(4).payload.value(QStringLiteral("messages")).toArray();
    QCOMPARE(messages.size(), 1 + 3 + 1); // the agent's prompt, the three turns, the input
    QCOMPARE(messages.at(1).toObject().value(QStringLiteral("role")).toString(), QStringLiteral("system"));
    QCOMPARE(messages.at(2).toObject().value(QStringLiteral("text")).toString(), QStringLiteral("my name is Ada"));
    QCOMPARE(messages.at(3).toObject().value(QStringLiteral("role")).toString(), QStringLiteral("assistant"));
    QCOMPARE(messages.at(4).toObject().value(QStringLiteral("text")).toString(), QStringLiteral("and what is my name?"));
    QVERIFY(events.at(6).payload.value(QStringLiteral("text")).toString().contains(QStringLiteral("1 earlier turn")));
    QCOMPARE(m_gateway->sessions().find(QStringLiteral("handed-over"))->title, QStringLiteral("my name is Ada"));

    // A later run of the session rebuilds them from the tape alone.
    const RunInfo later = start(QStringLiteral("again?"), QStringLiteral("handed-over"));
    QCOMPARE(waitForRun(*m_gateway, later.id).state, RunState::Succeeded);
    messages = tape(later.id).at(4).payload.value(QStringLiteral("messages")).toArray();
    // prompt, (three turns, input, reply) of the first run, the new input
    QCOMPARE(messages.size(), 1 + 5 + 1);
    QCOMPARE(messages.at(2).toObject().value(QStringLiteral("text")).toString(), QStringLiteral("my name is Ada"));

    // A history with tool turns is refused before any run exists.
    RunRequest tool = request;
    tool.priorTurns = {ChatMessage::toolResult(QStringLiteral("c1"), QStringLiteral("clock"),
                                               QStringLiteral("noon"), true)};
    const int before = int(m_gateway->runs()->size());
    QCOMPARE(m_gateway->startRun(tool).error().code, ErrorCode::InvalidArgument);
    QCOMPARE(int(m_gateway->runs()->size()), before);
}

void tst_Gateway::runSyncsTheDiskOnlyWhereItMatters_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("synced"); // durable commits of the whole run
    // Accepted (with its input), final state.
    QTest::newRow("reply") << QStringLiteral("hello") << qint64(2);
    // Accepted, the policy's allow before the tool acts, final state.
    QTest::newRow("one tool call") << QStringLiteral("time? [[tool clock {}]]") << qint64(3);
}

void tst_Gateway::runSyncsTheDiskOnlyWhereItMatters()
{
    QFETCH(QString, text);
    QFETCH(qint64, synced);
    m_env->config.journalFullSync = true; // the default
    m_gateway = openGateway(m_env->config);
    (void)waitForRun(*m_gateway, start(QStringLiteral("warm up")).id);
    auto commits = [&] { return m_gateway->status(false).journal; };
    const JournalHealth before = commits();

    // The accepted run is on disk before startRun() returns, before any work.
    qint64 syncedAtTerminal = -1;
    QString id;
    connect(m_gateway.get(), &Gateway::runUpdated, this, [&](const RunInfo &r) {
        if (r.id == id && r.isTerminal() && syncedAtTerminal < 0)
            syncedAtTerminal = commits().syncedCommits;
    });
    const RunInfo accepted = start(text);
    id = accepted.id;
    QCOMPARE(commits().syncedCommits - before.syncedCommits, qint64(1));
    QCOMPARE(kinds(accepted.id), (QStringList{QStringLiteral("run.status"), QStringLiteral("input")}));

    const RunInfo done = waitForRun(*m_gateway, accepted.id);
    QCOMPARE(done.state, RunState::Succeeded);
    const JournalHealth after = commits();
    QCOMPARE(after.syncedCommits - before.syncedCommits, synced);
    // The final state was synced before anyone was told of it.
    QCOMPARE(syncedAtTerminal, after.syncedCommits);
    QVERIFY(after.deferredCommits - before.deferredCommits >= 5);

    // Everything reached the journal file, for another connection to read.
    JournalStore other;
    QVERIFY(other.open(m_env->config.journalPath(), QStringLiteral("other")));
    QCOMPARE(*other.tapeLength(done.id), qint64(tape(done.id).size()));
}

QTEST_GUILESS_MAIN(tst_Gateway)
#include "tst_gateway.moc"
