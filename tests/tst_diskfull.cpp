// A full disk (issue 14): the journal still reads, every write says which folder to free and
// loses nothing already saved, and writes work again once there is room.
//
// Two ways to fill the disk. "max_page_count" caps the engine's own connection (SQLite then
// answers SQLITE_FULL to any write that needs a new page); it needs nothing and always runs.
// "tmpfs" mounts a small tmpfs and fills it with a file, the real thing; it needs root (or
// CAP_SYS_ADMIN) and is skipped, saying why, where mounting is not allowed.

#include "spoolprocess.h"
#include "testsupport.h"

#include "journal/journalstore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>

using namespace Spool;
using namespace Spool::Test;

namespace {

// A small tmpfs at `dir`; empty on success, else why not.
QString mountTmpfs(const QString &dir, int megabytes)
{
    QDir().mkpath(dir);
    QProcess mount;
    mount.start(QStringLiteral("mount"),
                {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                 QStringLiteral("size=%1m,mode=0700").arg(megabytes), QStringLiteral("tmpfs"), dir});
    if (!mount.waitForFinished(30000) || mount.exitStatus() != QProcess::NormalExit
        || mount.exitCode() != 0) {
        return QStringLiteral("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): %1")
                .arg(QString::fromLocal8Bit(mount.readAllStandardError()).trimmed());
    }
    return {};
}

void unmount(const QString &dir)
{
    QProcess::execute(QStringLiteral("umount"), {QStringLiteral("-l"), dir});
}

// Writes zeros to `path` until the file system refuses: the disk is full.
bool fillDisk(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    const QByteArray block(64 * 1024, '\0');
    while (f.write(block) == block.size()) {
    }
    QByteArray small(512, '\0');
    while (f.write(small) > 0) {
    }
    f.close();
    return true;
}

// Caps the journal at the pages it has, then uses up what room they still hold, so that any
// write needing a page more fails with SQLITE_FULL.
void capJournal(JournalStore &journal)
{
    QSqlQuery q(journal.database());
    QVERIFY(q.exec(QStringLiteral("PRAGMA page_count")) && q.next());
    const qint64 pages = q.value(0).toLongLong();
    q.finish();
    QVERIFY(q.exec(QStringLiteral("PRAGMA max_page_count = %1").arg(pages)));
}

void uncapJournal(JournalStore &journal)
{
    QSqlQuery q(journal.database());
    QVERIFY(q.exec(QStringLiteral("PRAGMA max_page_count = 1073741823")));
}

// A message that needs new pages to be stored, whatever free room the pages hold.
QString bigMessage()
{
    return QStringLiteral("please remember ") + QString(200 * 1024, QLatin1Char('x'));
}

RunRequest request(const QString &key, const QString &text)
{
    RunRequest r;
    r.session.key = key;
    r.text = text;
    r.source = QStringLiteral("test");
    return r;
}

} // namespace

class tst_DiskFull : public QObject
{
    Q_OBJECT

private slots:
    void engineOnFullDisk_data();
    void engineOnFullDisk();
    void openOnFullTmpfs();
    void cliOnFullTmpfs();

private:
    // Everything a front end reads, with the runs made before the disk filled: all must answer.
    void verifyReads(Gateway &gateway, const QStringList &runIds);
};

void tst_DiskFull::verifyReads(Gateway &gateway, const QStringList &runIds)
{
    Spool::Test::verifyReads(gateway, int(runIds.size()));
    if (QTest::currentTestFailed())
        return;
    auto sessions = gateway.sessions().list();
    QCOMPARE(sessions->size(), 2);
    for (const QString &id : runIds)
        QCOMPARE(gateway.run(id)->state, RunState::Succeeded);
}

void tst_DiskFull::engineOnFullDisk_data()
{
    QTest::addColumn<bool>("tmpfs");
    QTest::newRow("max_page_count") << false;
    QTest::newRow("tmpfs") << true;
}

// The engine stays open while the disk fills, then gets room again.
void tst_DiskFull::engineOnFullDisk()
{
    QFETCH(bool, tmpfs);
    TempEnvironment env;
    const QString mountPoint = env.dir.filePath(QStringLiteral("disk"));
    if (tmpfs) {
        const QString why = mountTmpfs(mountPoint, 4);
        if (!why.isEmpty())
            QSKIP(qPrintable(why));
        env.config.dataDir = mountPoint + QStringLiteral("/data");
    }
    auto cleanup = qScopeGuard([&] {
        if (tmpfs)
            unmount(mountPoint);
    });
    env.config.heartbeatMs = 50;
    auto gateway = openGateway(env.config);
    QVERIFY(gateway);
    QSignalSpy diskFull(gateway.get(), &Engine::diskFullChanged);

    QStringList runIds;
    for (const QString &key : {QStringLiteral("one"), QStringLiteral("two")}) {
        auto run = gateway->startRun(request(key, QStringLiteral("hello ") + key));
        QVERIFY2(run, qPrintable(run.errorMessage()));
        QCOMPARE(waitForRun(*gateway, run->id).state, RunState::Succeeded);
        runIds.append(run->id);
    }

    const QString filler = env.config.dataDir + QStringLiteral("/../filler");
    if (tmpfs)
        QVERIFY(fillDisk(filler));
    else
        capJournal(gateway->journal());

    verifyReads(*gateway, runIds);
    if (QTest::currentTestFailed())
        return;

    auto refused = gateway->startRun(request(QStringLiteral("one"), bigMessage()));
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, ErrorCode::DiskFull);
    const QString message = refused.errorMessage();
    QVERIFY2(message.contains(QDir(env.config.dataDir).absolutePath()), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("Free some space")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("nothing already saved is lost")), qPrintable(message));
    QTRY_VERIFY(!diskFull.isEmpty());
    QCOMPARE(diskFull.first().first().value<Error>().code, ErrorCode::DiskFull);
    verifyReads(*gateway, runIds);
    if (QTest::currentTestFailed())
        return;

    // Room again: the heartbeat notices, and writes work.
    if (tmpfs)
        QVERIFY(QFile::remove(filler));
    else
        uncapJournal(gateway->journal());
    QTRY_VERIFY_WITH_TIMEOUT(diskFull.size() >= 2, 10000);
    QCOMPARE(diskFull.last().first().value<Error>().code, ErrorCode::None);
    auto again = gateway->startRun(request(QStringLiteral("one"), bigMessage()));
    QVERIFY2(again, qPrintable(again.errorMessage()));
    QCOMPARE(waitForRun(*gateway, again->id).state, RunState::Succeeded);
    auto runs = gateway->runs();
    QVERIFY(runs);
    QCOMPARE(runs->size(), 3);
    for (const QString &id : runIds)
        QCOMPARE(gateway->run(id)->state, RunState::Succeeded);

    // And the journal is whole.
    QSqlQuery check(gateway->journal().database());
    QVERIFY(check.exec(QStringLiteral("PRAGMA integrity_check")) && check.next());
    QCOMPARE(check.value(0).toString(), QStringLiteral("ok"));
}

// Opening a journal on a disk already full: its shared-memory index cannot be created, and
// the journal must still open and read (not be called damaged).
void tst_DiskFull::openOnFullTmpfs()
{
    TempEnvironment env;
    const QString mountPoint = env.dir.filePath(QStringLiteral("disk"));
    const QString why = mountTmpfs(mountPoint, 4);
    if (!why.isEmpty())
        QSKIP(qPrintable(why));
    auto cleanup = qScopeGuard([&] { unmount(mountPoint); });
    env.config.dataDir = mountPoint + QStringLiteral("/data");

    QStringList runIds;
    {
        auto gateway = openGateway(env.config);
        QVERIFY(gateway);
        for (const QString &key : {QStringLiteral("one"), QStringLiteral("two")}) {
            auto run = gateway->startRun(request(key, QStringLiteral("hello ") + key));
            QVERIFY2(run, qPrintable(run.errorMessage()));
            QCOMPARE(waitForRun(*gateway, run->id).state, RunState::Succeeded);
            runIds.append(run->id);
        }
    }
    QVERIFY(!QFile::exists(env.config.journalPath() + QStringLiteral("-shm")));
    const QString filler = mountPoint + QStringLiteral("/filler");
    QVERIFY(fillDisk(filler));
    {
        auto gateway = openGateway(env.config);
        QVERIFY(gateway);
        verifyReads(*gateway, runIds);
    if (QTest::currentTestFailed())
        return;
        auto refused = gateway->startRun(request(QStringLiteral("one"), QStringLiteral("hi")));
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, ErrorCode::DiskFull);
        QVERIFY2(refused.errorMessage().contains(env.config.dataDir), qPrintable(refused.errorMessage()));
    }
    QVERIFY(QFile::remove(filler));
    auto gateway = openGateway(env.config);
    QVERIFY(gateway);
    verifyReads(*gateway, runIds);
    if (QTest::currentTestFailed())
        return;
    auto run = gateway->startRun(request(QStringLiteral("one"), QStringLiteral("room again")));
    QVERIFY2(run, qPrintable(run.errorMessage()));
    QCOMPARE(waitForRun(*gateway, run->id).state, RunState::Succeeded);
}

// The real binary: read commands (runs list, tape, status, sessions list) work on a full disk, `spool chat` fails with exit code 7 and
// says which folder to free.
void tst_DiskFull::cliOnFullTmpfs()
{
    QTemporaryDir dir;
    const QString mountPoint = dir.filePath(QStringLiteral("disk"));
    const QString why = mountTmpfs(mountPoint, 4);
    if (!why.isEmpty())
        QSKIP(qPrintable(why));
    auto cleanup = qScopeGuard([&] { unmount(mountPoint); });
    const QProcessEnvironment env = spoolEnvironment(mountPoint);
    const QString dataDir = env.value(QStringLiteral("SPOOL_DATA_DIR"));

    for (const QString &text : {QStringLiteral("first"), QStringLiteral("second")}) {
        const SpoolOutput chat = runSpool(env, {QStringLiteral("chat"), QStringLiteral("--session"),
                                                text, text});
        QVERIFY2(chat.code == 0, qPrintable(chat.err));
    }
    const QString filler = mountPoint + QStringLiteral("/filler");
    QVERIFY(fillDisk(filler));

    const SpoolOutput runs = runSpool(env, {QStringLiteral("--json"), QStringLiteral("runs"),
                                            QStringLiteral("list")});
    QVERIFY2(runs.code == 0, qPrintable(runs.err));
    const QJsonArray listed = QJsonDocument::fromJson(runs.out.toUtf8()).array();
    QCOMPARE(listed.size(), 2);
    const QString runId = listed.at(0).toObject().value(QStringLiteral("id")).toString();
    const SpoolOutput tape = runSpool(env, {QStringLiteral("tape"), runId});
    QVERIFY2(tape.code == 0, qPrintable(tape.err));
    QVERIFY(!tape.out.isEmpty());
    const SpoolOutput status = runSpool(env, {QStringLiteral("status")});
    QVERIFY2(status.code == 0, qPrintable(status.err));
    const SpoolOutput sessions = runSpool(env, {QStringLiteral("sessions"), QStringLiteral("list")});
    QVERIFY2(sessions.code == 0, qPrintable(sessions.err));
    QVERIFY(sessions.out.contains(QStringLiteral("first")));
    QVERIFY(sessions.out.contains(QStringLiteral("second")));

    const SpoolOutput chat = runSpool(env, {QStringLiteral("chat"), QStringLiteral("third")});
    QCOMPARE(chat.code, 7);
    QVERIFY2(chat.err.contains(dataDir), qPrintable(chat.err));
    QVERIFY2(chat.err.contains(QStringLiteral("Free some space")), qPrintable(chat.err));
    QVERIFY2(!chat.err.contains(QStringLiteral("statement failed")), qPrintable(chat.err));

    QVERIFY(QFile::remove(filler));
    const SpoolOutput after = runSpool(env, {QStringLiteral("chat"), QStringLiteral("third")});
    QVERIFY2(after.code == 0, qPrintable(after.err));
    const SpoolOutput all = runSpool(env, {QStringLiteral("--json"), QStringLiteral("runs"),
                                           QStringLiteral("list")});
    QVERIFY2(all.code == 0, qPrintable(all.err));
    QCOMPARE(QJsonDocument::fromJson(all.out.toUtf8()).array().size(), 3);
}

QTEST_GUILESS_MAIN(tst_DiskFull)
#include "tst_diskfull.moc"
