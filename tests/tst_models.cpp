#include "testsupport.h"

#include "approvallistmodel.h"
#include "client/engineclient.h"
#include "core/datapaths.h"
#include "journal/journalstore.h"
#include "runlistmodel.h"
#include "runs/runstore.h"
#include "sessionlistmodel.h"
#include "sessions/sessionstore.h"
#include "tapemodel.h"
#include "transcriptmodel.h"

#include <QAbstractItemModelTester>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include <limits>

using namespace Spool;
using namespace Spool::Test;

class tst_Models : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void sessionListUpdatesInPlace();
    void sessionGroupsByRecency_data();
    void sessionGroupsByRecency();
    void runListKeepsNewestFirst();
    void approvalListKeepsOnlyPending();
    void approvalListShowsSessionAgeAndCountdown_data();
    void approvalListShowsSessionAgeAndCountdown();
    void approvalListNamesSessionsAndTicks();
    void tapeModelPagesAndFollows();
    void tapeModelFiltersAndLocates();
    void transcriptModelBuildsFromTapeAndStreams();
    void transcriptModelPagesEarlierRuns();
    void transcriptModelMarksPartialReplies();

private:
    void startEngine();
    RunInfo runAndWait(const QString &key, const QString &text);

    std::unique_ptr<TempEnvironment> m_env;
    std::unique_ptr<EngineClient> m_engine;
};

void tst_Models::init()
{
    m_env = std::make_unique<TempEnvironment>();
}

void tst_Models::cleanup()
{
    m_engine.reset();
    m_env.reset();
}

void tst_Models::startEngine()
{
    m_engine = std::make_unique<EngineClient>(m_env->config, &Gateway::create);
    QSignalSpy ready(m_engine.get(), &EngineClient::ready);
    m_engine->start();
    QVERIFY(ready.wait(30000));
}

RunInfo tst_Models::runAndWait(const QString &key, const QString &text)
{
    RunInfo result;
    bool done = false;
    RunRequest request;
    request.session.key = key;
    request.text = text;
    m_engine->call(this, [request](Engine &g) { return g.startRun(request); },
                   [&](Result<RunInfo> r) {
                       if (r)
                           result = *r;
                       done = true;
                   });
    if (!QTest::qWaitFor([&] { return done; }, 30000))
        return {};
    const QString id = result.id;
    (void)QTest::qWaitFor([&] {
        bool answered = false;
        m_engine->call(this, [id](Engine &g) { return g.run(id); }, [&](Result<RunInfo> r) {
            if (r)
                result = *r;
            answered = true;
        });
        (void)QTest::qWaitFor([&] { return answered; }, 30000);
        return result.isTerminal();
    }, 60000);
    return result;
}

static SessionInfo session(const QString &id, qint64 at, const QString &title = {})
{
    SessionInfo s;
    s.id = id;
    s.title = title.isEmpty() ? id : title;
    s.lastActivityAt = at;
    return s;
}

void tst_Models::sessionListUpdatesInPlace()
{
    SessionListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    auto *rng = QRandomGenerator::global();
    QList<SessionInfo> current;
    for (int round = 0; round < 60; ++round) {
        // Random edits: new sessions, removals, reordering by activity, renames.
        QList<SessionInfo> next;
        for (const SessionInfo &s : std::as_const(current)) {
            if (rng->bounded(10) == 0)
                continue;
            SessionInfo changed = s;
            if (rng->bounded(4) == 0)
                changed.lastActivityAt += rng->bounded(1000);
            if (rng->bounded(6) == 0)
                changed.title = s.title + QLatin1Char('!');
            next.append(changed);
        }
        for (int i = rng->bounded(4); i > 0; --i)
            next.append(session(QStringLiteral("S%1-%2").arg(round).arg(i), rng->bounded(5000)));
        std::sort(next.begin(), next.end(), [](const SessionInfo &a, const SessionInfo &b) {
            return a.lastActivityAt > b.lastActivityAt || (a.lastActivityAt == b.lastActivityAt && a.id > b.id);
        });
        model.setRows(next);
        QCOMPARE(model.rowCount(), int(next.size()));
        for (int i = 0; i < next.size(); ++i) {
            QCOMPARE(model.data(model.index(i, 0), SessionListModel::IdRole).toString(), next.at(i).id);
            QCOMPARE(model.data(model.index(i, 0)).toString(), next.at(i).title);
        }
        current = next;
    }
    QCOMPARE(resets.size(), 0); // refreshes never reset the rail

    // A rename is announced with the roles it changed.
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QList<SessionInfo> renamed = current;
    renamed[0].title = QStringLiteral("Renamed");
    model.setRows(renamed);
    QCOMPARE(changed.size(), 1);
    QVERIFY(changed.at(0).at(2).value<QList<int>>().contains(Qt::DisplayRole));
}

void tst_Models::sessionGroupsByRecency_data()
{
    QTest::addColumn<int>("daysAgo");
    QTest::addColumn<QString>("group");
    QTest::newRow("today") << 0 << QStringLiteral("Today");
    QTest::newRow("yesterday") << 1 << QStringLiteral("Yesterday");
    QTest::newRow("three days") << 3 << QStringLiteral("Previous 7 days");
    QTest::newRow("two weeks") << 14 << QStringLiteral("Previous 30 days");
    QTest::newRow("a year") << 365 << QStringLiteral("Older");
}

void tst_Models::sessionGroupsByRecency()
{
    QFETCH(int, daysAgo);
    QFETCH(QString, group);
    SessionListModel model;
    model.setToday(QDate(2026, 11, 25));
    const QDateTime at(QDate(2026, 11, 25).addDays(-daysAgo), QTime(12, 0));
    model.setRows({session(QStringLiteral("A"), at.toMSecsSinceEpoch())});
    QCOMPARE(model.data(model.index(0, 0), SessionListModel::GroupRole).toString(), group);
}

void tst_Models::runListKeepsNewestFirst()
{
    RunListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    for (int i = 0; i < 20; ++i) {
        RunInfo r;
        r.id = QStringLiteral("R%1").arg(i, 2, 10, QLatin1Char('0'));
        r.createdAt = 1000 + (i * 7) % 20;
        r.state = RunState::Running;
        model.updateRun(r);
    }
    for (int i = 1; i < model.rowCount(); ++i)
        QVERIFY(model.rowAt(i - 1).createdAt >= model.rowAt(i).createdAt);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    RunInfo done = model.rowAt(3);
    done.state = RunState::Succeeded;
    done.endedAt = done.createdAt + 5;
    model.updateRun(done);
    QCOMPARE(model.rowCount(), 20);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(model.data(model.index(3, RunListModel::StateColumn)).toString(), QStringLiteral("Succeeded"));
    model.tick();
}

void tst_Models::approvalListKeepsOnlyPending()
{
    ApprovalListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    PendingToolApproval a;
    a.id = QStringLiteral("A");
    a.tool = QStringLiteral("echo");
    a.createdAt = 2;
    PendingToolApproval b = a;
    b.id = QStringLiteral("B");
    b.createdAt = 1;
    model.updateApproval(a);
    model.updateApproval(b);
    QCOMPARE(model.rowAt(0).id, QStringLiteral("B")); // oldest first: the next to answer
    a.status = ApprovalStatus::Allow;
    model.updateApproval(a);
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.rowAt(0).id, QStringLiteral("B"));
}

void tst_Models::approvalListShowsSessionAgeAndCountdown_data()
{
    QTest::addColumn<qint64>("waitedMs");
    QTest::addColumn<qint64>("leftMs");
    QTest::addColumn<QString>("age");
    QTest::addColumn<QString>("expires");
    QTest::newRow("just asked") << qint64(3'000) << qint64(597'000) << "3 s ago" << "in 9:57";
    QTest::newRow("minutes") << qint64(125'000) << qint64(59'000) << "2 min ago" << "in 0:59";
    QTest::newRow("last second") << qint64(599'500) << qint64(500) << "9 min ago" << "in 0:01";
    QTest::newRow("expired") << qint64(700'000) << qint64(-1'000) << "11 min ago" << "expired";
    QTest::newRow("hours left") << qint64(7'200'000) << qint64(3'723'000) << "2 h ago" << "in 1:02:03";
    QTest::newRow("no expiry") << qint64(3 * 86'400'000LL) << std::numeric_limits<qint64>::min() << "3 days ago" << "never";
}

void tst_Models::approvalListShowsSessionAgeAndCountdown()
{
    QFETCH(qint64, waitedMs);
    QFETCH(qint64, leftMs);
    QFETCH(QString, age);
    QFETCH(QString, expires);
    ApprovalListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const qint64 now = 1'700'000'000'000;
    model.setNow(now);
    PendingToolApproval a;
    a.id = QStringLiteral("A");
    a.sessionId = QStringLiteral("01HSESSIONIDXYZ");
    a.tool = QStringLiteral("fs.write");
    a.risk = QStringLiteral("medium");
    a.createdAt = now - waitedMs;
    a.expiresAt = leftMs == std::numeric_limits<qint64>::min() ? 0 : now + leftMs;
    model.updateApproval(a);
    auto cell = [&model](int column) { return model.index(0, column).data().toString(); };
    QCOMPARE(cell(ApprovalListModel::ToolColumn), QStringLiteral("fs.write"));
    QCOMPARE(cell(ApprovalListModel::SessionColumn), QStringLiteral("01HSESSI")); // not named yet
    QCOMPARE(cell(ApprovalListModel::AgeColumn), age);
    QCOMPARE(cell(ApprovalListModel::ExpiresColumn), expires);
    QCOMPARE(cell(ApprovalListModel::RiskColumn), QStringLiteral("medium"));
    QCOMPARE(model.index(0, 0).data(ApprovalListModel::SessionIdRole).toString(), a.sessionId);
    QCOMPARE(model.headerData(ApprovalListModel::AgeColumn, Qt::Horizontal, Qt::DisplayRole).toString(),
             QStringLiteral("Asked"));
}

void tst_Models::approvalListNamesSessionsAndTicks()
{
    ApprovalListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const qint64 now = 1'700'000'000'000;
    model.setNow(now);
    PendingToolApproval a;
    a.id = QStringLiteral("A");
    a.sessionId = QStringLiteral("S1");
    a.tool = QStringLiteral("echo");
    a.createdAt = now - 1000;
    a.expiresAt = now + 60'000;
    PendingToolApproval b = a;
    b.id = QStringLiteral("B");
    b.sessionId = QStringLiteral("S2");
    b.createdAt = now - 500;
    model.updateApproval(a);
    model.updateApproval(b);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

    // Naming a session changes only its rows' session cell.
    model.setSessionName(QStringLiteral("S2"), QStringLiteral("Release notes"));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.at(0).at(0).toModelIndex(), model.index(1, ApprovalListModel::SessionColumn));
    QCOMPARE(changed.at(0).at(1).toModelIndex(), model.index(1, ApprovalListModel::SessionColumn));
    QCOMPARE(model.index(1, ApprovalListModel::SessionColumn).data().toString(), QStringLiteral("Release notes"));
    QVERIFY(model.hasSessionName(QStringLiteral("S2")));
    QVERIFY(!model.hasSessionName(QStringLiteral("S1")));
    model.setSessionName(QStringLiteral("S2"), QStringLiteral("Release notes"));
    QCOMPARE(changed.size(), 1); // the same name again: nothing to repaint
    // What a screen reader says for a row.
    QCOMPARE(model.index(1, ApprovalListModel::ToolColumn).data(Qt::AccessibleTextRole).toString(),
             QStringLiteral("echo in Release notes, asked 0 s ago, expires in 1:00"));

    // A second later the ages and countdowns move, in one signal naming the display role.
    model.setNow(now + 1000);
    changed.clear();
    model.tick();
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.at(0).at(0).toModelIndex(), model.index(0, ApprovalListModel::ToolColumn));
    QCOMPARE(changed.at(0).at(1).toModelIndex(), model.index(1, ApprovalListModel::ExpiresColumn));
    QVERIFY(changed.at(0).at(2).value<QList<int>>().contains(Qt::DisplayRole));
    QCOMPARE(model.index(0, ApprovalListModel::AgeColumn).data().toString(), QStringLiteral("2 s ago"));
    QCOMPARE(model.index(0, ApprovalListModel::ExpiresColumn).data().toString(), QStringLiteral("in 0:59"));

    // Decided elsewhere: it leaves; an empty list does not tick.
    a.status = ApprovalStatus::Deny;
    b.status = ApprovalStatus::Timeout;
    model.updateApproval(a);
    model.updateApproval(b);
    QCOMPARE(model.rowCount(), 0);
    changed.clear();
    model.tick();
    QCOMPARE(changed.size(), 0);
}

void tst_Models::tapeModelPagesAndFollows()
{
    // A run with 1,000 events, written straight to the journal.
    QString runId;
    {
        QVERIFY(DataPaths::ensurePrivateDir(m_env->config.dataDir));
        JournalStore journal;
        QVERIFY(journal.open(m_env->config.journalPath(), QStringLiteral("setup")));
        SessionStore sessions(journal);
        auto s = sessions.create(QStringLiteral("big"), m_env->config.principal, m_env->config.deviceId, QStringLiteral("default"));
        RunStore runs(journal);
        auto r = runs.create(NewRun{s->id, QStringLiteral("default"), QStringLiteral("deterministic"), QStringLiteral("echo-1"), {}, QStringLiteral("x")});
        runId = r->id;
        QVERIFY(journal.transaction([&]() -> Status {
            for (int i = 0; i < 999; ++i) {
                const QString kind = i % 10 == 0 ? QString(TapeKind::ToolCall) : QString(TapeKind::ToolOutput);
                auto e = journal.appendTape(runId, kind, {{QStringLiteral("output"), QStringLiteral("line %1").arg(i)}});
                if (!e)
                    return e.error();
            }
            return {};
        }));
    }
    startEngine();
    // Start-up recovery closed the setup run (its owner never existed): one more event.
    qint64 length = 0;
    m_engine->call(this, [runId](Engine &g) { return g.inspection().tapeLength(runId); },
                   [&](Result<qint64> n) { length = n ? *n : -1; });
    QTRY_COMPARE(length, qint64(1001));
    TapeModel model(m_engine.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    int largestInsert = 0;
    connect(&model, &QAbstractItemModel::rowsInserted, this,
            [&](const QModelIndex &, int first, int last) { largestInsert = qMax(largestInsert, last - first + 1); });
    model.setRun(runId);
    QTRY_VERIFY(model.rowCount() >= TapeModel::kPageSize);
    QCOMPARE(model.rowCount() % TapeModel::kPageSize, 0); // whole pages, never all at once
    while (model.canFetchMore({}) || model.isLoading()) {
        if (model.canFetchMore({}))
            model.fetchMore({});
        QTest::qWait(5);
    }
    QCOMPARE(model.rowCount(), 1001);
    QCOMPARE(largestInsert, TapeModel::kPageSize); // paged in, never all at once
    for (int i = 0; i < model.rowCount(); ++i)
        QCOMPARE(model.seqAt(i), qint64(i + 1));
    QCOMPARE(model.data(model.index(0, TapeModel::KindColumn)).toString(), QStringLiteral("run.status"));

    // Live events are appended once everything before them is in.
    TapeEvent live;
    live.runId = runId;
    live.seq = 1002;
    live.kind = TapeKind::AssistantMessage;
    live.payload = {{QStringLiteral("text"), QStringLiteral("done")}};
    model.applyEvent(live);
    QCOMPARE(model.rowCount(), 1002);
    model.applyEvent(live); // twice: still once
    QCOMPARE(model.rowCount(), 1002);
}

void tst_Models::tapeModelFiltersAndLocates()
{
    startEngine();
    const RunInfo run = runAndWait(QStringLiteral("t"), QStringLiteral("[[tool clock {}]] [[tool clock {}]]"));
    QCOMPARE(run.state, RunState::Succeeded);
    TapeModel model(m_engine.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setRun(run.id);
    QTRY_VERIFY(model.rowCount() > 10 && model.atEnd());
    model.setFilter(TapeFilter{{QString(TapeKind::ToolOutput)}, {}});
    QTRY_COMPARE(model.rowCount(), 2);
    model.setFilter(TapeFilter{{}, QStringLiteral("call_1_2")});
    QTRY_VERIFY(model.rowCount() >= 2); // the call and its output (and its policy decision)
    for (int i = 0; i < model.rowCount(); ++i)
        QVERIFY(model.data(model.index(i, TapeModel::SummaryColumn)).toString().size() > 0);
    model.setFilter({});
    QTRY_VERIFY(model.atEnd() && model.rowCount() > 10);
    int found = -2;
    model.locate(5, this, [&](int row) { found = row; });
    QTRY_COMPARE(found, 4);
}

void tst_Models::transcriptModelBuildsFromTapeAndStreams()
{
    m_env->config.deterministicChunkDelayMs = 2;
    startEngine();
    const RunInfo first = runAndWait(QStringLiteral("chat"), QStringLiteral("hello"));
    QCOMPARE(first.state, RunState::Succeeded);
    const RunInfo second = runAndWait(QStringLiteral("chat"), QStringLiteral("time [[tool clock {}]]"));
    QCOMPARE(second.state, RunState::Succeeded);

    TranscriptModel model(m_engine.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&model, &TranscriptModel::loaded);
    model.setSession(first.sessionId);
    QVERIFY(loaded.wait(30000));
    // user, assistant, user, tool card, assistant summary
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.entryAt(0).kind, TranscriptEntry::Kind::User);
    QCOMPARE(model.entryAt(1).text, QStringLiteral("Echo: hello"));
    QCOMPARE(model.entryAt(3).kind, TranscriptEntry::Kind::ToolCall);
    QCOMPARE(model.entryAt(3).toolState, QStringLiteral("ok"));
    QVERIFY(model.entryAt(4).text.startsWith(QStringLiteral("Tool results:")));

    // Live: the engine client's signals feed the model, deltas coalesced.
    connect(m_engine.get(), &EngineClient::runUpdated, &model, &TranscriptModel::applyRun);
    connect(m_engine.get(), &EngineClient::tapeAppended, &model, &TranscriptModel::applyEvent);
    connect(m_engine.get(), &EngineClient::textDelta, &model, &TranscriptModel::appendDelta);
    QSignalSpy deltas(m_engine.get(), &EngineClient::textDelta);
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    const RunInfo third = runAndWait(QStringLiteral("chat"), QStringLiteral("[[words 400]]"));
    QCOMPARE(third.state, RunState::Succeeded);
    QTRY_COMPARE(model.rowCount(), 7);
    const TranscriptEntry reply = model.entryAt(6);
    QCOMPARE(reply.kind, TranscriptEntry::Kind::Assistant);
    QVERIFY(!reply.streaming);
    QCOMPARE(reply.text.split(QLatin1Char(' '), Qt::SkipEmptyParts).size() > 300, true);
    QVERIFY(deltas.size() >= 400);
    QVERIFY2(changes.size() < deltas.size() / 2,
             qPrintable(QStringLiteral("%1 changes for %2 deltas").arg(changes.size()).arg(deltas.size())));
}

void tst_Models::transcriptModelMarksPartialReplies()
{
    m_env->config.deterministicChunkDelayMs = 20;
    startEngine();
    TranscriptModel model(m_engine.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    connect(m_engine.get(), &EngineClient::runUpdated, &model, &TranscriptModel::applyRun);
    connect(m_engine.get(), &EngineClient::tapeAppended, &model, &TranscriptModel::applyEvent);
    connect(m_engine.get(), &EngineClient::textDelta, &model, &TranscriptModel::appendDelta);
    RunRequest request;
    request.session.key = QStringLiteral("partial");
    request.text = QStringLiteral("[[words 1000]]");
    RunInfo run;
    m_engine->call(this, [request](Engine &g) { return g.startRun(request); },
                   [&](Result<RunInfo> r) { run = r ? *r : RunInfo{}; });
    QTRY_VERIFY(run.isValid());
    QSignalSpy loaded(&model, &TranscriptModel::loaded);
    model.setSession(run.sessionId);
    QVERIFY(loaded.wait(30000));
    // Streaming, then stopped half-way: what streamed stays, marked partial.
    QTRY_VERIFY(model.rowCount() == 2 && model.entryAt(1).text.size() > 20);
    const QString id = run.id;
    m_engine->call(this, [id](Engine &g) { return g.cancelRun(id, QStringLiteral("gui")); },
                   [](Result<RunInfo>) {});
    QTRY_VERIFY(model.rowCount() >= 2 && model.entryAt(1).partial);
    const TranscriptEntry live = model.entryAt(1);
    QCOMPARE(live.kind, TranscriptEntry::Kind::Assistant);
    QVERIFY(!live.streaming);
    QVERIFY(live.text.size() > 20);

    // Loaded again from the journal: the same.
    TranscriptModel again(m_engine.get());
    QSignalSpy reloaded(&again, &TranscriptModel::loaded);
    again.setSession(run.sessionId);
    QVERIFY(reloaded.wait(30000));
    int partial = -1;
    for (int i = 0; i < again.rowCount(); ++i) {
        if (again.entryAt(i).kind == TranscriptEntry::Kind::Assistant)
            partial = i;
    }
    QVERIFY(partial > 0);
    QVERIFY(again.entryAt(partial).partial);
    QCOMPARE(again.entryAt(partial).text, live.text);
}

void tst_Models::transcriptModelPagesEarlierRuns()
{
    startEngine();
    QString sessionId;
    for (int i = 0; i < TranscriptModel::kRunsPerPage + 5; ++i) {
        const RunInfo r = runAndWait(QStringLiteral("long"), QStringLiteral("message %1").arg(i));
        QCOMPARE(r.state, RunState::Succeeded);
        sessionId = r.sessionId;
    }
    TranscriptModel model(m_engine.get());
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy loaded(&model, &TranscriptModel::loaded);
    model.setSession(sessionId);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(model.rowCount(), TranscriptModel::kRunsPerPage * 2);
    QVERIFY(model.hasEarlier());
    QCOMPARE(model.entryAt(0).text, QStringLiteral("message 5"));
    model.loadEarlier();
    QVERIFY(loaded.wait(30000));
    QCOMPARE(model.rowCount(), (TranscriptModel::kRunsPerPage + 5) * 2);
    QCOMPARE(model.entryAt(0).text, QStringLiteral("message 0"));
    QVERIFY(!model.hasEarlier());
}

QTEST_MAIN(tst_Models)
#include "tst_models.moc"
