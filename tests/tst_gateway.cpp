#include "testsupport.h"

#include "approvals/approvalstore.h"
#include "core/datapaths.h"
#include "journal/journalstore.h"
#include "runs/instancetracker.h"
#include "sessions/sessionstore.h"
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
    void cancelWhileWaitingForApproval();
    void budgets_data();
    void budgets();
    void badToolCallsNeverReachPolicy_data();
    void badToolCallsNeverReachPolicy();
    void providerFailureIsClassified();
    void recoveryFailsRunsOfDeadProcessesOnly();
    void cancelAndDecisionsFromAnotherProcess();
    void tapeStaysContiguousWithRunsInFlight();
    void emptyMessageIsRefusedBeforeAnyRun();

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
    auto events = m_gateway->tape(runId);
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

    auto session = m_gateway->session(QStringLiteral("s"));
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
    QVERIFY(m_gateway->resetSession(QStringLiteral("s")));
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
    const QStringList k = kinds(run.id);
    QVERIFY(!k.contains(QStringLiteral("assistant.message")));
    QCOMPARE(k.constLast(), QStringLiteral("run.status"));
    QCOMPARE(m_gateway->cancelRun(run.id, QStringLiteral("test")).error().code, ErrorCode::Conflict);
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
    QString approvalId;
    {
        // Write, as two other processes would have: one killed, one still alive (this one).
        JournalStore journal;
        QVERIFY(DataPaths::ensurePrivateDir(m_env->config.dataDir));
        QVERIFY(journal.open(m_env->config.journalPath(), QStringLiteral("setup")));
        QVERIFY(journal.exec(QStringLiteral("INSERT INTO instances(id, pid, host, proc_start, front_end, "
                                            "started_at, heartbeat_at) VALUES ('DEAD', 999999, ?, '1', 'cli', 0, 0)"),
                             {InstanceTracker::currentHost()}));
        InstanceTracker live(journal);
        QVERIFY(live.registerSelf(QStringLiteral("gui")));
        SessionStore sessions(journal);
        auto s = sessions.create(QStringLiteral("r"), m_env->config.principal, m_env->config.deviceId, QStringLiteral("default"));
        RunStore runs(journal);
        auto dead = runs.create(NewRun{s->id, QStringLiteral("default"), QStringLiteral("deterministic"), QStringLiteral("echo-1"), QStringLiteral("a"), QStringLiteral("DEAD")});
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

QTEST_GUILESS_MAIN(tst_Gateway)
#include "tst_gateway.moc"
