// I/O errors (issue 14): the disk fails a write, a sync, a truncate or a read. Writes then fail
// with a message that names the data folder and says what to do, reads go on, nothing already
// committed is lost, a run caught in the middle ends cleanly with a whole tape, and the engine
// works again when the disk does, without a restart.
//
// The faults come from an SQLite VFS (support/faultvfs.h) registered as this process's default:
// Qt's QSQLITE driver uses the system libsqlite3, so the engine's own connections open through
// it. The CLI cases preload the same VFS into the real `spool` binary (SPOOL_FAULT_VFS).

#include "faultvfs.h"
#include "spoolprocess.h"
#include "testsupport.h"

#include "journal/journalstore.h"
#include "journal/tapeevent.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace Spool;
using namespace Spool::Test;

Q_DECLARE_METATYPE(Spool::Test::FaultVfs::Fault)

namespace {

RunRequest request(const QString &key, const QString &text)
{
    RunRequest r;
    r.session.key = key;
    r.text = text;
    r.source = QStringLiteral("test");
    return r;
}

FaultVfs::Fault fault(FaultVfs::Op op, const char *suffix, int after = 0, int times = -1)
{
    FaultVfs::Fault f;
    f.op = op;
    f.suffix = suffix;
    f.after = after;
    f.times = times;
    return f;
}

// What a user would miss if it went: every session (id, key) and every run (id, session,
// state, reason) with its whole tape, one line each.
QStringList contents(Gateway &gateway)
{
    QStringList lines;
    auto sessions = gateway.sessions().list();
    if (!sessions)
        return {QStringLiteral("sessions: ") + sessions.errorMessage()};
    for (const SessionInfo &s : *sessions)
        lines.append(QStringLiteral("session %1 %2").arg(s.id, s.key));
    auto runs = gateway.runs();
    if (!runs)
        return {QStringLiteral("runs: ") + runs.errorMessage()};
    for (const RunInfo &r : *runs) {
        lines.append(QStringLiteral("run %1 %2 %3 %4")
                             .arg(r.id, r.sessionId, runStateName(r.state), r.reason));
        auto tape = gateway.inspection().tape(r.id);
        if (!tape)
            return {QStringLiteral("tape: ") + tape.errorMessage()};
        for (const TapeEvent &e : *tape) {
            lines.append(QStringLiteral("  %1 %2 %3 %4")
                                 .arg(r.id)
                                 .arg(e.seq)
                                 .arg(e.kind,
                                      QString::fromUtf8(QJsonDocument(e.payload)
                                                                .toJson(QJsonDocument::Compact))));
        }
    }
    lines.sort();
    return lines;
}

// Lines of `before` missing from `after`: what was lost.
QStringList lost(const QStringList &before, const QStringList &after)
{
    QStringList missing;
    for (const QString &line : before) {
        if (!after.contains(line))
            missing.append(line);
    }
    return missing;
}

// Runs whose tape is not 1, 2, ..., n, with the seqs they have.
QStringList tapeGaps(Gateway &gateway)
{
    QStringList gaps;
    auto runs = gateway.runs();
    if (!runs)
        return {runs.errorMessage()};
    for (const RunInfo &r : *runs) {
        auto tape = gateway.inspection().tape(r.id);
        if (!tape)
            return {tape.errorMessage()};
        QStringList seqs;
        bool contiguous = true;
        for (int i = 0; i < tape->size(); ++i) {
            seqs.append(QString::number(tape->at(i).seq));
            contiguous = contiguous && tape->at(i).seq == i + 1;
        }
        if (!contiguous)
            gaps.append(r.id + QStringLiteral(": ") + seqs.join(QLatin1Char(',')));
    }
    return gaps;
}

QString integrity(JournalStore &journal)
{
    QSqlQuery q(journal.database());
    if (!q.exec(QStringLiteral("PRAGMA integrity_check")) || !q.next())
        return QStringLiteral("cannot check: ") + q.lastError().text();
    QStringList lines{q.value(0).toString()};
    while (q.next())
        lines.append(q.value(0).toString());
    return lines.join(QStringLiteral("; "));
}

QByteArray hashOf(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QByteArrayLiteral("absent");
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex();
}

// A refused write's error: it says it is the disk, names the folder, says what to do, and
// that nothing saved is gone; no SQL jargon.
void verifyWriteError(const Error &error, const QString &dataDir)
{
    QCOMPARE(errorCodeName(error.code), errorCodeName(ErrorCode::Storage));
    const QString &m = error.message;
    QVERIFY2(m.contains(QDir(dataDir).absolutePath()), qPrintable(m));
    QVERIFY2(m.contains(QStringLiteral("I/O error")), qPrintable(m));
    QVERIFY2(m.contains(QStringLiteral("Check the disk")), qPrintable(m));
    QVERIFY2(m.contains(QStringLiteral("nothing already saved is lost")), qPrintable(m));
    QVERIFY2(!m.contains(QStringLiteral("statement failed"))
                     && !m.contains(QStringLiteral("Unable to fetch row"))
                     && !m.contains(QStringLiteral("cannot commit")),
             qPrintable(m));
}

} // namespace

class tst_IoError : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void writeFails_data();
    void writeFails();
    void truncateFails();
    void readFails();
    void openWhileReadsFail();
    void runInProgress_data();
    void runInProgress();
    void cli_data();
    void cli();
    void cliRunInProgress();

private:
    // Two finished runs in sessions "one" and "two".
    QStringList twoRuns(Gateway &gateway);
};

void tst_IoError::initTestCase()
{
    QVERIFY(FaultVfs::install());
    // The engine's connections must really go through the VFS, or every test below would
    // pass without a single fault: Qt's driver and this test share one libsqlite3.
    TempEnvironment env;
    auto gateway = openGateway(env.config);
    QVERIFY(gateway);
    QVERIFY(FaultVfs::calls(FaultVfs::Op::Read, ".sqlite3") > 0);
    FaultVfs::inject(fault(FaultVfs::Op::Write, "-wal"));
    auto refused = gateway->startRun(request(QStringLiteral("probe"), QStringLiteral("hi")));
    QVERIFY(!refused);
    QVERIFY(FaultVfs::failures(FaultVfs::Op::Write) > 0);
    FaultVfs::clear();
}

void tst_IoError::init()
{
    FaultVfs::clear();
}

void tst_IoError::cleanup()
{
    FaultVfs::clear();
}

QStringList tst_IoError::twoRuns(Gateway &gateway)
{
    QStringList ids;
    for (const QString &key : {QStringLiteral("one"), QStringLiteral("two")}) {
        auto run = gateway.startRun(request(key, QStringLiteral("hello ") + key));
        if (!run) {
            qWarning("cannot start: %s", qPrintable(run.errorMessage()));
            return {};
        }
        if (waitForRun(gateway, run->id).state != RunState::Succeeded)
            return {};
        ids.append(run->id);
    }
    return ids;
}

void tst_IoError::writeFails_data()
{
    QTest::addColumn<FaultVfs::Fault>("injected");
    QTest::newRow("write wal") << fault(FaultVfs::Op::Write, "-wal");
    QTest::newRow("fsync wal") << fault(FaultVfs::Op::Sync, "-wal");
    QTest::newRow("write any file") << fault(FaultVfs::Op::Write, "");
    QTest::newRow("write wal after 1 frame") << fault(FaultVfs::Op::Write, "-wal", 1);
    QTest::newRow("fsync any file") << fault(FaultVfs::Op::Sync, "");
}

// A write the disk refuses (the WAL frames, or their fsync at commit): a clear error, reads go
// on, nothing committed is lost, and when the disk works again so does the engine.
void tst_IoError::writeFails()
{
    QFETCH(FaultVfs::Fault, injected);
    TempEnvironment env;
    env.config.heartbeatMs = 100;
    auto gateway = openGateway(env.config);
    QVERIFY(gateway);
    const QStringList ids = twoRuns(*gateway);
    QCOMPARE(ids.size(), 2);
    const QStringList before = contents(*gateway);

    FaultVfs::inject(injected);
    auto refused = gateway->startRun(request(QStringLiteral("one"), QStringLiteral("again")));
    QVERIFY(!refused);
    QVERIFY(FaultVfs::failures() > 0);
    verifyWriteError(refused.error(), env.dataDir());
    if (QTest::currentTestFailed())
        return;
    // A new session, a rename: refused the same way.
    auto created = gateway->sessions().resolve(SessionSelector{{}, QStringLiteral("three")}, true);
    QVERIFY(!created);
    verifyWriteError(created.error(), env.dataDir());
    if (QTest::currentTestFailed())
        return;
    auto renamed = gateway->sessions().rename(QStringLiteral("two"), QStringLiteral("new title"));
    QVERIFY(!renamed);
    verifyWriteError(renamed.error(), env.dataDir());
    if (QTest::currentTestFailed())
        return;
    // Heartbeats fail meanwhile; the engine stays up.
    QTest::qWait(300);

    // Reads go on, and show exactly what was there.
    verifyReads(*gateway, 2);
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(contents(*gateway), before);

    // The disk works again: no restart needed.
    FaultVfs::clear();
    auto again = gateway->startRun(request(QStringLiteral("one"), QStringLiteral("again")));
    QVERIFY2(again, qPrintable(again.errorMessage()));
    QCOMPARE(runStateName(waitForRun(*gateway, again->id).state),
             runStateName(RunState::Succeeded));
    auto three = gateway->sessions().resolve(SessionSelector{{}, QStringLiteral("three")}, true);
    QVERIFY2(three, qPrintable(three.errorMessage()));
    QCOMPARE(lost(before, contents(*gateway)), QStringList());
    QCOMPARE(tapeGaps(*gateway), QStringList());
    QCOMPARE(integrity(gateway->journal()), QStringLiteral("ok"));

    // And on disk, for the next process.
    const QStringList after = contents(*gateway);
    gateway.reset();
    auto reopened = openGateway(env.config);
    QVERIFY(reopened);
    QCOMPARE(contents(*reopened), after);
    QCOMPARE(integrity(reopened->journal()), QStringLiteral("ok"));
}

// A truncate the disk refuses. In WAL mode SQLite truncates the log when a commit starts it
// over (with a journal_size_limit) and at checkpoints that ask for it; the engine's commits
// must neither fail for it nor lose anything.
void tst_IoError::truncateFails()
{
    TempEnvironment env;
    auto gateway = openGateway(env.config);
    QVERIFY(gateway);
    const QStringList ids = twoRuns(*gateway);
    QCOMPARE(ids.size(), 2);
    {
        QSqlQuery q(gateway->journal().database());
        QVERIFY(q.exec(QStringLiteral("PRAGMA journal_size_limit = 0")));
    }
    const QStringList before = contents(*gateway);
    QStringList more;
    int refusedTruncates = 0;
    for (int i = 0; i < 3; ++i) {
        // Everything in the log copied back (with a working disk: this checkpoint is the
        // test's, not the engine's), so that the next commit starts the log over and
        // truncates it.
        {
            QSqlQuery q(gateway->journal().database());
            QVERIFY2(q.exec(QStringLiteral("PRAGMA wal_checkpoint(PASSIVE)")),
                     qPrintable(q.lastError().text()));
        }
        FaultVfs::inject(fault(FaultVfs::Op::Truncate, ""));
        auto run = gateway->startRun(request(QStringLiteral("one"), QStringLiteral("more")));
        const RunInfo ended = run ? waitForRun(*gateway, run->id) : RunInfo{};
        refusedTruncates += FaultVfs::failures(FaultVfs::Op::Truncate);
        FaultVfs::clear();
        if (!run) {
            verifyWriteError(run.error(), env.dataDir());
            if (QTest::currentTestFailed())
                return;
            qInfo("refused: %s", qPrintable(run.errorMessage()));
            continue;
        }
        QCOMPARE(runStateName(ended.state), runStateName(RunState::Succeeded));
        more.append(run->id);
    }
    QVERIFY2(refusedTruncates > 0, "no truncate was attempted");
    qInfo("truncates refused: %d; runs that went through: %lld of 3", refusedTruncates,
          qint64(more.size()));
    QCOMPARE(lost(before, contents(*gateway)), QStringList());
    FaultVfs::clear();
    auto run = gateway->startRun(request(QStringLiteral("one"), QStringLiteral("after")));
    QVERIFY2(run, qPrintable(run.errorMessage()));
    QCOMPARE(runStateName(waitForRun(*gateway, run->id).state),
             runStateName(RunState::Succeeded));
    QCOMPARE(lost(before, contents(*gateway)), QStringList());
    QCOMPARE(tapeGaps(*gateway), QStringList());
    QCOMPARE(integrity(gateway->journal()), QStringLiteral("ok"));
    auto runs = gateway->runs();
    QVERIFY(runs);
    QCOMPARE(runs->size(), 3 + more.size());
    const QStringList after = contents(*gateway);
    gateway.reset();
    auto reopened = openGateway(env.config);
    QVERIFY(reopened);
    QCOMPARE(contents(*reopened), after);
}

// Reads the disk refuses, on an open engine (its page cache made tiny so that reads reach the
// disk): each says so clearly, nothing crashes, and reads work again afterwards.
void tst_IoError::readFails()
{
    TempEnvironment env;
    auto gateway = openGateway(env.config);
    QVERIFY(gateway);
    const QStringList ids = twoRuns(*gateway);
    QCOMPARE(ids.size(), 2);
    const QStringList before = contents(*gateway);
    {
        QSqlQuery q(gateway->journal().database());
        QVERIFY(q.exec(QStringLiteral("PRAGMA cache_size = 1")));
    }
    FaultVfs::inject(fault(FaultVfs::Op::Read, ""));
    auto runs = gateway->runs();
    auto tape = gateway->inspection().tape(ids.first());
    auto sessions = gateway->sessions().list();
    QVERIFY(FaultVfs::failures(FaultVfs::Op::Read) > 0);
    QVERIFY(!runs || !tape || !sessions);
    for (const Error &e : {runs.error(), tape.error(), sessions.error()}) {
        if (!e.isError())
            continue;
        QCOMPARE(errorCodeName(e.code), errorCodeName(ErrorCode::Storage));
        QVERIFY2(e.message.contains(QDir(env.dataDir()).absolutePath()), qPrintable(e.message));
        QVERIFY2(e.message.contains(QStringLiteral("Check the disk")), qPrintable(e.message));
        QVERIFY2(!e.message.contains(QStringLiteral("statement failed")), qPrintable(e.message));
    }
    FaultVfs::clear();
    QCOMPARE(contents(*gateway), before);
    auto run = gateway->startRun(request(QStringLiteral("one"), QStringLiteral("after")));
    QVERIFY2(run, qPrintable(run.errorMessage()));
    QCOMPARE(runStateName(waitForRun(*gateway, run->id).state),
             runStateName(RunState::Succeeded));
    QCOMPARE(integrity(gateway->journal()), QStringLiteral("ok"));
}

// Opening a journal whose reads fail: refused with the folder named, the file not called
// damaged and left as it was; it opens whole once the disk reads again.
void tst_IoError::openWhileReadsFail()
{
    TempEnvironment env;
    QStringList before;
    {
        auto gateway = openGateway(env.config);
        QVERIFY(gateway);
        QCOMPARE(twoRuns(*gateway).size(), 2);
        before = contents(*gateway);
    }
    const QString path = env.config.journalPath();
    const QByteArray hash = hashOf(path);
    FaultVfs::inject(fault(FaultVfs::Op::Read, ".sqlite3"));
    {
        Gateway gateway(env.config);
        const Status s = gateway.open();
        QVERIFY(!s);
        QVERIFY(FaultVfs::failures(FaultVfs::Op::Read) > 0);
        QVERIFY2(s.error().code == ErrorCode::Storage, qPrintable(s.errorMessage()));
        QVERIFY2(s.errorMessage().contains(QDir(env.dataDir()).absolutePath()),
                 qPrintable(s.errorMessage()));
        QVERIFY2(s.errorMessage().contains(QStringLiteral("Check the disk")),
                 qPrintable(s.errorMessage()));
        QVERIFY2(!s.errorMessage().contains(QStringLiteral("damaged")),
                 qPrintable(s.errorMessage()));
    }
    FaultVfs::clear();
    QCOMPARE(hashOf(path), hash);
    auto gateway = openGateway(env.config);
    QVERIFY(gateway);
    QCOMPARE(contents(*gateway), before);
    QCOMPARE(integrity(gateway->journal()), QStringLiteral("ok"));
}

void tst_IoError::runInProgress_data()
{
    QTest::addColumn<FaultVfs::Fault>("injected");
    QTest::addColumn<int>("faultMs"); // how long the disk stays broken
    QTest::addColumn<QString>("endState");
    QTest::addColumn<QString>("endReason");
    // Its next tape write fails: the run stops, and ends as failed when the disk lets it.
    QTest::newRow("write, for a while") << fault(FaultVfs::Op::Write, "") << 1500
                                        << QStringLiteral("failed")
                                        << QStringLiteral("journal_error");
    // Streaming steps are deferred commits (no fsync): they go through, and the run's end,
    // the first durable commit, is what the disk refuses. Written once it syncs again.
    QTest::newRow("fsync wal, for a while") << fault(FaultVfs::Op::Sync, "-wal") << 1500
                                            << QStringLiteral("succeeded")
                                            << QStringLiteral("completed");
    QTest::newRow("one write") << fault(FaultVfs::Op::Write, "-wal", 0, 1) << 0
                               << QStringLiteral("failed") << QStringLiteral("journal_error");
}

// A run streaming its reply when the disk starts to fail: it stops if a step cannot be
// recorded (its steps must not go on unrecorded), and its end is written, with a whole tape,
// once the disk takes it: without a restart, never left `running`. The next run works.
void tst_IoError::runInProgress()
{
    QFETCH(FaultVfs::Fault, injected);
    QFETCH(int, faultMs);
    QFETCH(QString, endState);
    QFETCH(QString, endReason);
    TempEnvironment env;
    env.config.deterministicChunkDelayMs = 15;
    env.config.partialCheckpointMs = 50;
    env.config.heartbeatMs = 60000; // only the run writes while the fault is armed
    auto gateway = openGateway(env.config);
    QVERIFY(gateway);
    auto first = gateway->startRun(request(QStringLiteral("one"), QStringLiteral("first")));
    QVERIFY2(first, qPrintable(first.errorMessage()));
    QCOMPARE(runStateName(waitForRun(*gateway, first->id, 20000).state),
             runStateName(RunState::Succeeded));
    const QStringList before = contents(*gateway);

    auto run = gateway->startRun(request(QStringLiteral("one"), QStringLiteral("[[words 400]]")));
    QVERIFY2(run, qPrintable(run.errorMessage()));
    // Streaming: its first partial checkpoint is on the tape.
    const auto streaming = [&] {
        auto t = gateway->inspection().tape(run->id);
        if (!t)
            return false;
        for (const TapeEvent &e : *t) {
            if (e.kind == TapeKind::ProviderPartial)
                return true;
        }
        return false;
    };
    QTRY_VERIFY_WITH_TIMEOUT(streaming(), 10000);
    FaultVfs::inject(injected);
    QTRY_VERIFY_WITH_TIMEOUT(FaultVfs::failures() > 0, 10000);
    if (faultMs > 0) {
        QTest::qWait(faultMs);
        // Reads answer meanwhile, and the run is not called a success.
        auto seen = gateway->run(run->id);
        QVERIFY2(seen, qPrintable(seen.errorMessage()));
        QVERIFY(seen->state != RunState::Succeeded);
        verifyReads(*gateway, 2);
        if (QTest::currentTestFailed())
            return;
    }
    FaultVfs::clear();

    const RunInfo ended = waitForRun(*gateway, run->id, 15000);
    QVERIFY2(ended.isTerminal(), qPrintable(runStateName(ended.state)));
    QCOMPARE(runStateName(ended.state), endState);
    QCOMPARE(ended.reason, endReason);
    if (endReason == QLatin1String("journal_error")) {
        QVERIFY2(ended.detail.contains(QDir(env.dataDir()).absolutePath())
                         && ended.detail.contains(QStringLiteral("Check the disk")),
                 qPrintable(ended.detail));
    }
    QVERIFY2(!gateway->activeRunIds().contains(run->id), "the run is still held as active");
    QCOMPARE(tapeGaps(*gateway), QStringList());
    auto tape = gateway->inspection().tape(run->id);
    QVERIFY(tape);
    QCOMPARE(tape->constLast().kind, QString(TapeKind::RunStatus));
    QCOMPARE(lost(before, contents(*gateway)), QStringList());

    auto next = gateway->startRun(request(QStringLiteral("one"), QStringLiteral("next")));
    QVERIFY2(next, qPrintable(next.errorMessage()));
    QCOMPARE(runStateName(waitForRun(*gateway, next->id, 20000).state),
             runStateName(RunState::Succeeded));
    QCOMPARE(integrity(gateway->journal()), QStringLiteral("ok"));

    // The next process sees the same.
    const QStringList after = contents(*gateway);
    gateway.reset();
    auto reopened = openGateway(env.config);
    QVERIFY(reopened);
    QCOMPARE(contents(*reopened), after);
}

void tst_IoError::cli_data()
{
    QTest::addColumn<QString>("spec");
    QTest::newRow("write") << QStringLiteral("write");
    QTest::newRow("fsync wal") << QStringLiteral("sync,-wal");
}

// The real binary with the VFS preloaded: commands that write exit 1 and say on stderr which
// folder to look at; read-only commands work; nothing is lost.
void tst_IoError::cli()
{
    QFETCH(QString, spec);
    QTemporaryDir dir;
    const QProcessEnvironment plain = spoolEnvironment(dir.path());
    const QString dataDir = plain.value(QStringLiteral("SPOOL_DATA_DIR"));
    for (const QString &text : {QStringLiteral("first"), QStringLiteral("second")}) {
        const SpoolOutput chat
            = runSpool(plain, { QStringLiteral("chat"), QStringLiteral("--session"), text, text });
        QVERIFY2(chat.code == 0, qPrintable(chat.err));
    }
    const SpoolOutput listed = runSpool(plain, {QStringLiteral("--json"), QStringLiteral("runs"),
                                                QStringLiteral("list")});
    QVERIFY2(listed.code == 0, qPrintable(listed.err));
    const QJsonArray runsBefore = QJsonDocument::fromJson(listed.out.toUtf8()).array();
    QCOMPARE(runsBefore.size(), 2);

    QProcessEnvironment faulty = plain;
    const QString log = dir.filePath(QStringLiteral("faults.log"));
    faulty.insert(QStringLiteral("LD_PRELOAD"), QStringLiteral(SPOOL_FAULT_PRELOAD));
    faulty.insert(QStringLiteral("SPOOL_FAULT_VFS"), spec);
    faulty.insert(QStringLiteral("SPOOL_FAULT_VFS_LOG"), log);

    // Reads work with every write failing.
    const SpoolOutput runs = runSpool(faulty, {QStringLiteral("--json"), QStringLiteral("runs"),
                                               QStringLiteral("list")});
    QVERIFY2(runs.code == 0, qPrintable(runs.err));
    QCOMPARE(QJsonDocument::fromJson(runs.out.toUtf8()).array(), runsBefore);
    const QString runId = runsBefore.at(0).toObject().value(QStringLiteral("id")).toString();
    const SpoolOutput tape = runSpool(faulty, {QStringLiteral("tape"), runId});
    QVERIFY2(tape.code == 0, qPrintable(tape.err));
    QVERIFY(!tape.out.isEmpty());
    const SpoolOutput sessions
        = runSpool(faulty, { QStringLiteral("sessions"), QStringLiteral("list") });
    QVERIFY2(sessions.code == 0, qPrintable(sessions.err));
    QVERIFY(sessions.out.contains(QStringLiteral("first")));

    // Writes fail, saying where and what to do.
    const SpoolOutput chat = runSpool(faulty, {QStringLiteral("chat"), QStringLiteral("third")});
    QVERIFY(QFile::exists(log)); // the fault fired in that process
    QCOMPARE(chat.code, 1);
    QVERIFY2(chat.err.contains(dataDir), qPrintable(chat.err));
    QVERIFY2(chat.err.contains(QStringLiteral("Check the disk")), qPrintable(chat.err));
    QVERIFY2(chat.err.contains(QStringLiteral("nothing already saved is lost")),
             qPrintable(chat.err));
    QVERIFY2(!chat.err.contains(QStringLiteral("statement failed")), qPrintable(chat.err));
    const SpoolOutput session = runSpool(faulty,
                                         { QStringLiteral("chat"), QStringLiteral("--session"),
                                           QStringLiteral("fourth"), QStringLiteral("hi") });
    QCOMPARE(session.code, 1);
    QVERIFY2(session.err.contains(dataDir), qPrintable(session.err));
    const SpoolOutput rename = runSpool(faulty,
                                        { QStringLiteral("sessions"), QStringLiteral("rename"),
                                          QStringLiteral("first"), QStringLiteral("renamed") });
    QCOMPARE(rename.code, 1);
    QVERIFY2(rename.err.contains(QStringLiteral("Check the disk")), qPrintable(rename.err));

    // The disk works again: so does spool, and nothing went missing.
    const SpoolOutput after = runSpool(plain, {QStringLiteral("chat"), QStringLiteral("third")});
    QVERIFY2(after.code == 0, qPrintable(after.err));
    const SpoolOutput all = runSpool(plain, {QStringLiteral("--json"), QStringLiteral("runs"),
                                             QStringLiteral("list")});
    QVERIFY2(all.code == 0, qPrintable(all.err));
    const QJsonArray runsAfter = QJsonDocument::fromJson(all.out.toUtf8()).array();
    for (const QJsonValue &r : runsBefore)
        QVERIFY2(runsAfter.contains(r),
                 qPrintable(QString::fromUtf8(QJsonDocument(r.toObject()).toJson())));
    // A commit whose fsync failed has all its frames in the log: when the process that made it
    // is gone, SQLite's recovery of the log may bring it back. Such a run must come back
    // ended (its owner is gone: failed, interrupted), never left going.
    int succeeded = 0;
    for (const QJsonValue &v : runsAfter) {
        const QJsonObject r = v.toObject();
        const QString state = r.value(QStringLiteral("state")).toString();
        if (runsBefore.contains(v))
            continue;
        if (state == QLatin1String("succeeded")) {
            ++succeeded;
            continue;
        }
        qInfo("a refused run came back after recovery: %s %s (%s)",
              qPrintable(r.value(QStringLiteral("input_preview")).toString()), qPrintable(state),
              qPrintable(r.value(QStringLiteral("reason")).toString()));
        QCOMPARE(state, QStringLiteral("failed"));
        QCOMPARE(r.value(QStringLiteral("reason")).toString(), QStringLiteral("interrupted"));
    }
    QCOMPARE(succeeded, 1);
    const SpoolOutput status = runSpool(plain, {QStringLiteral("--json"), QStringLiteral("status"),
                                                QStringLiteral("--check")});
    QVERIFY2(status.code == 0, qPrintable(status.err + status.out));
    // Every tape 1..n.
    {
        QSqlDatabase db
            = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("check"));
        db.setDatabaseName(dataDir + QStringLiteral("/journal.sqlite3"));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("SELECT run_id, COUNT(*), MAX(seq) FROM orchestrator_tape "
                                      "GROUP BY run_id")));
        int tapes = 0;
        while (q.next()) {
            ++tapes;
            QCOMPARE(q.value(1).toLongLong(), q.value(2).toLongLong());
        }
        QCOMPARE(tapes, int(runsAfter.size()));
    }
    QSqlDatabase::removeDatabase(QStringLiteral("check"));
}

// `spool chat` streaming a reply when the disk starts failing writes: the run stops, and once
// the disk lets it say so it ends as failed, exit code 1, saying on stderr which folder's disk
// to check. Its tape is whole and what was there before is all there.
void tst_IoError::cliRunInProgress()
{
    QTemporaryDir dir;
    const QProcessEnvironment plain = spoolEnvironment(dir.path(), 15);
    const QString dataDir = plain.value(QStringLiteral("SPOOL_DATA_DIR"));
    const SpoolOutput first = runSpool(plain, {QStringLiteral("chat"), QStringLiteral("--session"),
                                               QStringLiteral("long"), QStringLiteral("first")});
    QVERIFY2(first.code == 0, qPrintable(first.err));
    const SpoolOutput listed = runSpool(plain, {QStringLiteral("--json"), QStringLiteral("runs"),
                                                QStringLiteral("list")});
    QVERIFY2(listed.code == 0, qPrintable(listed.err));
    const QJsonArray runsBefore = QJsonDocument::fromJson(listed.out.toUtf8()).array();
    QCOMPARE(runsBefore.size(), 1);

    QProcessEnvironment faulty = plain;
    const QString log = dir.filePath(QStringLiteral("faults.log"));
    const QString trigger = dir.filePath(QStringLiteral("disk-broken"));
    faulty.insert(QStringLiteral("LD_PRELOAD"), QStringLiteral(SPOOL_FAULT_PRELOAD));
    faulty.insert(QStringLiteral("SPOOL_FAULT_VFS"), QStringLiteral("write"));
    faulty.insert(QStringLiteral("SPOOL_FAULT_VFS_LOG"), log);
    faulty.insert(QStringLiteral("SPOOL_FAULT_VFS_TRIGGER"), trigger);
    QList<QProcess *> processes;
    auto cleanup = qScopeGuard([&] { stopAll(processes); });
    QProcess *chat = startSpool(faulty, {QStringLiteral("chat"), QStringLiteral("--session"),
                                         QStringLiteral("long"), QStringLiteral("[[words 400]]")});
    processes.append(chat);
    QByteArray streamed;
    QVERIFY(QTest::qWaitFor(
            [&] {
                streamed += chat->readAllStandardOutput();
                return streamed.size() > 40 || chat->state() == QProcess::NotRunning;
            },
            kProcessTimeoutMs));
    QCOMPARE(chat->state(), QProcess::Running);
    {
        QFile broken(trigger);
        QVERIFY(broken.open(QIODevice::WriteOnly));
    }
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(log), 10000); // a write of that process failed
    QTest::qWait(1000);
    QVERIFY(QFile::remove(trigger));
    QVERIFY(waitForExit(chat));
    const QString err = QString::fromUtf8(chat->readAllStandardError());
    QCOMPARE(chat->exitStatus(), QProcess::NormalExit);
    QVERIFY2(chat->exitCode() == 1, qPrintable(err));
    QVERIFY2(err.contains(QStringLiteral("journal_error")), qPrintable(err));
    QVERIFY2(err.contains(dataDir), qPrintable(err));
    QVERIFY2(err.contains(QStringLiteral("Check the disk")), qPrintable(err));

    const SpoolOutput all = runSpool(plain, {QStringLiteral("--json"), QStringLiteral("runs"),
                                             QStringLiteral("list")});
    QVERIFY2(all.code == 0, qPrintable(all.err));
    const QJsonArray runsAfter = QJsonDocument::fromJson(all.out.toUtf8()).array();
    QCOMPARE(runsAfter.size(), 2);
    QVERIFY(runsAfter.contains(runsBefore.at(0)));
    const QJsonObject failed = runsAfter.at(0).toObject(); // newest first
    QCOMPARE(failed.value(QStringLiteral("state")).toString(), QStringLiteral("failed"));
    QCOMPARE(failed.value(QStringLiteral("reason")).toString(), QStringLiteral("journal_error"));
    // The run itself says it, for the window and `runs show` too.
    QVERIFY2(failed.value(QStringLiteral("detail"))
                 .toString()
                 .contains(QStringLiteral("Check the disk")),
             qPrintable(failed.value(QStringLiteral("detail")).toString()));
    const SpoolOutput tape = runSpool(plain, {QStringLiteral("--json"), QStringLiteral("tape"),
                                              failed.value(QStringLiteral("id")).toString()});
    QVERIFY2(tape.code == 0, qPrintable(tape.err));
    qint64 expected = 1;
    for (const QString &line : tape.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QJsonObject e = QJsonDocument::fromJson(line.toUtf8()).object();
        QCOMPARE(e.value(QStringLiteral("seq")).toInteger(), expected++);
    }
    QVERIFY(expected > 3);
    const SpoolOutput again = runSpool(plain, {QStringLiteral("chat"), QStringLiteral("--session"),
                                               QStringLiteral("long"), QStringLiteral("again")});
    QVERIFY2(again.code == 0, qPrintable(again.err));
    const SpoolOutput status
        = runSpool(plain, { QStringLiteral("status"), QStringLiteral("--check") });
    QVERIFY2(status.code == 0, qPrintable(status.err + status.out));
}

QTEST_GUILESS_MAIN(tst_IoError)
#include "tst_ioerror.moc"
