// Damaged journals, systematically (issue 14): mutants of a real journal (truncated, bytes
// flipped in the header, a b-tree page or the WAL, a zeroed page, a stale -shm, not SQLite at
// all, empty, from a newer Spool). Each one is opened through the engine and must be refused
// with a message naming the file and its bytes left exactly as they were, or opened with every
// run it lists readable. Never a crash, never a hang.

#include "spoolprocess.h"
#include "testsupport.h"

#include "journal/journalstore.h"
#include "journal/migrations.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>

using namespace Spool;
using namespace Spool::Test;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

bool writeAll(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

QByteArray hashOf(const QString &path)
{
    if (!QFileInfo::exists(path))
        return QByteArrayLiteral("absent");
    return QCryptographicHash::hash(readAll(path), QCryptographicHash::Sha256).toHex();
}

// What the engine must do with a mutant.
enum class Expect {
    Refuse,   // refused, naming the file, bytes untouched
    Lossless, // opened, every run of the original there with its whole tape
    Either,   // refused as above, or opened with every run it lists readable
};

} // namespace

class tst_JournalCorrupt : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void mutants_data();
    void mutants();
    void cliRefusesClearly_data();
    void cliRefusesClearly();
    void fullCheckOnlyWhenInDoubt();

private:
    // The mutant's files (journal.sqlite3 and maybe -wal, -shm) in `dir`.
    void makeMutant(const QString &kind, const QString &dir);

    QTemporaryDir m_dir;
    QString m_clean;    // a closed journal: everything checkpointed into the file
    QString m_withWal;  // a journal copied while open: its last commits only in the WAL
    QMap<QString, qint64> m_tapeLengths; // run id -> tape length, in the original
    int m_pageSize = 4096;
};

void tst_JournalCorrupt::initTestCase()
{
    TempEnvironment env;
    auto gateway = openGateway(env.config);
    QVERIFY(gateway);
    {
        // Checkpoint only when asked, so the copy made while open keeps its last commits in
        // the WAL.
        QSqlQuery q(gateway->journal().database());
        QVERIFY(q.exec(QStringLiteral("PRAGMA wal_autocheckpoint = 0")));
        QVERIFY(q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
    }
    const QStringList keys{QStringLiteral("one"), QStringLiteral("two"), QStringLiteral("one")};
    for (int i = 0; i < keys.size(); ++i) {
        RunRequest r;
        r.session.key = keys.at(i);
        r.text = QStringLiteral("message %1 [[words 300]]").arg(i);
        r.source = QStringLiteral("test");
        auto run = gateway->startRun(r);
        QVERIFY2(run, qPrintable(run.errorMessage()));
        QCOMPARE(waitForRun(*gateway, run->id).state, RunState::Succeeded);
        m_tapeLengths.insert(run->id, *gateway->inspection().tapeLength(run->id));
    }
    const QString journal = env.config.journalPath();
    QVERIFY(QFileInfo(journal + QStringLiteral("-wal")).size() > 32);
    m_withWal = m_dir.filePath(QStringLiteral("with-wal"));
    QDir().mkpath(m_withWal);
    QVERIFY(QFile::copy(journal, m_withWal + QStringLiteral("/journal.sqlite3")));
    QVERIFY(QFile::copy(journal + QStringLiteral("-wal"),
                        m_withWal + QStringLiteral("/journal.sqlite3-wal")));
    {
        QSqlQuery q(gateway->journal().database());
        QVERIFY(q.exec(QStringLiteral("PRAGMA page_size")) && q.next());
        m_pageSize = q.value(0).toInt();
    }
    gateway->shutdown();
    gateway.reset();
    QVERIFY(!QFileInfo::exists(journal + QStringLiteral("-wal")));
    m_clean = m_dir.filePath(QStringLiteral("clean"));
    QDir().mkpath(m_clean);
    QVERIFY(QFile::copy(journal, m_clean + QStringLiteral("/journal.sqlite3")));
    QVERIFY(QFileInfo(m_clean + QStringLiteral("/journal.sqlite3")).size() >= 8 * m_pageSize);
}

void tst_JournalCorrupt::makeMutant(const QString &kind, const QString &dir)
{
    const QString db = dir + QStringLiteral("/journal.sqlite3");
    const bool wal = kind.startsWith(QLatin1String("wal")) || kind == QLatin1String("stale shm");
    const QString from = wal ? m_withWal : m_clean;
    QByteArray bytes = readAll(from + QStringLiteral("/journal.sqlite3"));
    QByteArray walBytes = wal ? readAll(from + QStringLiteral("/journal.sqlite3-wal")) : QByteArray();
    const qsizetype page = m_pageSize;
    // "wal+X": the damage X done to the file of a journal whose last commits are in its WAL.
    const QString op = kind.startsWith(QLatin1String("wal+")) ? kind.mid(4) : kind;

    if (op == QLatin1String("empty file"))
        bytes.clear();
    else if (op == QLatin1String("not sqlite"))
        bytes = QByteArrayLiteral("my notes, not a database\n").repeated(100);
    else if (op == QLatin1String("truncated in header"))
        bytes.truncate(60);
    else if (op == QLatin1String("truncated to one page"))
        bytes.truncate(page);
    else if (op == QLatin1String("truncated at half"))
        bytes.truncate(bytes.size() / 2);
    else if (op == QLatin1String("truncated mid-page"))
        bytes.truncate(bytes.size() - page - page / 2);
    else if (op == QLatin1String("header page size flipped"))
        bytes[16] = char(bytes[16] ^ 0x5a);
    else if (op == QLatin1String("header payload fraction flipped"))
        bytes[21] = char(bytes[21] ^ 0x01);
    else if (op == QLatin1String("header user version flipped"))
        bytes[63] = char(bytes[63] ^ 0x01); // not used by Spool: harmless
    else if (op == QLatin1String("b-tree page type flipped"))
        bytes[2 * page] = char(bytes[2 * page] ^ 0x7f);
    else if (op == QLatin1String("b-tree cell pointer flipped"))
        bytes[3 * page + 9] = char(bytes[3 * page + 9] ^ 0x40);
    else if (op == QLatin1String("b-tree content byte flipped"))
        bytes[bytes.size() - page / 3] = char(bytes[bytes.size() - page / 3] ^ 0x20);
    else if (op == QLatin1String("page zeroed"))
        bytes.replace(4 * page, page, QByteArray(page, '\0'));
    else if (op == QLatin1String("wal header flipped"))
        walBytes[12] = char(walBytes[12] ^ 0x10);
    else if (op == QLatin1String("wal frame flipped"))
        walBytes[walBytes.size() / 2] = char(walBytes[walBytes.size() / 2] ^ 0x10);
    else if (op == QLatin1String("wal truncated"))
        walBytes.truncate(walBytes.size() * 2 / 3);
    else if (op == QLatin1String("newer schema")) {
        // A journal a later Spool migrated further.
        QVERIFY(writeAll(db, bytes));
        {
            QSqlDatabase sql = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"),
                                                         QStringLiteral("newer"));
            sql.setDatabaseName(db);
            QVERIFY(sql.open());
            QSqlQuery q(sql);
            QVERIFY(q.exec(QStringLiteral("INSERT INTO schema_migrations(version, name, applied_at) "
                                          "VALUES (%1, 'from the future', 0)")
                                   .arg(latestJournalSchemaVersion() + 50)));
            QVERIFY(q.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
            sql.close();
        }
        QSqlDatabase::removeDatabase(QStringLiteral("newer"));
        QFile::remove(db + QStringLiteral("-wal"));
        QFile::remove(db + QStringLiteral("-shm"));
        return;
    } else if (op != QLatin1String("stale shm") && op != QLatin1String("original")) {
        QFAIL(qPrintable(QStringLiteral("unknown mutant %1").arg(kind)));
    }
    QVERIFY(writeAll(db, bytes));
    if (wal)
        QVERIFY(writeAll(db + QStringLiteral("-wal"), walBytes));
    if (kind == QLatin1String("stale shm")) {
        // An index left by another state of the journal: junk SQLite must rebuild, not trust.
        QByteArray shm(32 * 1024, '\0');
        for (int i = 0; i < shm.size(); ++i)
            shm[i] = char((i * 131 + 7) % 253);
        QVERIFY(writeAll(db + QStringLiteral("-shm"), shm));
    }
}

void tst_JournalCorrupt::mutants_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("expect");
    const auto row = [](const char *kind, Expect expect) {
        QTest::newRow(kind) << QString::fromLatin1(kind) << int(expect);
    };
    row("original", Expect::Lossless);
    row("not sqlite", Expect::Refuse);
    row("truncated in header", Expect::Refuse);
    row("truncated to one page", Expect::Refuse);
    row("truncated at half", Expect::Refuse);
    row("truncated mid-page", Expect::Refuse);
    row("header page size flipped", Expect::Refuse);
    row("header payload fraction flipped", Expect::Refuse);
    row("header user version flipped", Expect::Lossless);
    row("b-tree page type flipped", Expect::Refuse);
    row("b-tree cell pointer flipped", Expect::Either);
    row("b-tree content byte flipped", Expect::Either);
    row("page zeroed", Expect::Refuse);
    row("wal header flipped", Expect::Refuse);
    row("wal frame flipped", Expect::Either);
    row("wal truncated", Expect::Either);
    row("stale shm", Expect::Lossless);
    // Refused on a connection that never checkpoints: the WAL's commits are not written into
    // the damaged file, and the WAL stays.
    row("wal+truncated at half", Expect::Refuse);
    row("wal+b-tree page type flipped", Expect::Refuse);
    row("newer schema", Expect::Refuse);
    row("empty file", Expect::Either);
}

void tst_JournalCorrupt::mutants()
{
    QFETCH(QString, kind);
    QFETCH(int, expect);
    TempEnvironment env;
    QDir().mkpath(env.config.dataDir);
    makeMutant(kind, env.config.dataDir);
    if (QTest::currentTestFailed())
        return;
    const QString db = env.config.journalPath();
    const QByteArray dbBefore = hashOf(db);
    const QByteArray walBefore = hashOf(db + QStringLiteral("-wal"));

    auto gateway = std::make_unique<Gateway>(env.config);
    const Status opened = gateway->open();
    if (!opened) {
        QVERIFY2(Expect(expect) != Expect::Lossless, qPrintable(opened.errorMessage()));
        const ErrorCode code = opened.error().code;
        QVERIFY2(code == ErrorCode::JournalCorrupt || code == ErrorCode::JournalNotSqlite
                         || code == ErrorCode::JournalUnavailable,
                 qPrintable(errorCodeName(code) + QLatin1Char(' ') + opened.errorMessage()));
        QVERIFY2(opened.errorMessage().contains(db), qPrintable(opened.errorMessage()));
        QVERIFY2(!opened.errorMessage().contains(QStringLiteral("statement failed")),
                 qPrintable(opened.errorMessage()));
        QVERIFY2(opened.errorMessage().contains(QStringLiteral("unchanged")),
                 qPrintable(opened.errorMessage()));
        gateway.reset();
        QCOMPARE(hashOf(db), dbBefore);
        QCOMPARE(hashOf(db + QStringLiteral("-wal")), walBefore);
        return;
    }
    QVERIFY2(Expect(expect) != Expect::Refuse, "opened a journal it should refuse");
    auto runs = gateway->runs();
    if (!runs) {
        // Damage quick_check cannot see: reading says so, naming the file.
        QVERIFY2(Expect(expect) == Expect::Either, qPrintable(runs.errorMessage()));
        QVERIFY2(runs.errorMessage().contains(db), qPrintable(runs.errorMessage()));
        return;
    }
    for (const RunInfo &r : *runs) {
        auto tape = gateway->inspection().tape(r.id);
        if (Expect(expect) == Expect::Lossless) {
            QVERIFY2(tape, qPrintable(tape.errorMessage()));
            QCOMPARE(qint64(tape->size()), m_tapeLengths.value(r.id));
        } else if (!tape) {
            QVERIFY2(tape.errorMessage().contains(db), qPrintable(tape.errorMessage()));
        }
    }
    if (Expect(expect) == Expect::Lossless)
        QCOMPARE(runs->size(), m_tapeLengths.size());
}

void tst_JournalCorrupt::cliRefusesClearly_data()
{
    QTest::addColumn<QString>("kind");
    QTest::newRow("not sqlite") << QStringLiteral("not sqlite");
    QTest::newRow("truncated at half") << QStringLiteral("truncated at half");
    QTest::newRow("page zeroed") << QStringLiteral("page zeroed");
    QTest::newRow("newer schema") << QStringLiteral("newer schema");
}

// The real binary on a damaged journal: exit code 3, the file named, its bytes untouched.
void tst_JournalCorrupt::cliRefusesClearly()
{
    QFETCH(QString, kind);
    QTemporaryDir dir;
    const QProcessEnvironment env = spoolEnvironment(dir.path());
    const QString data = env.value(QStringLiteral("SPOOL_DATA_DIR"));
    QDir().mkpath(data);
    makeMutant(kind, data);
    if (QTest::currentTestFailed())
        return;
    const QString db = data + QStringLiteral("/journal.sqlite3");
    const QByteArray before = hashOf(db);
    for (const QStringList &args : {QStringList{QStringLiteral("runs"), QStringLiteral("list")},
                                    QStringList{QStringLiteral("sessions"), QStringLiteral("list")}}) {
        const SpoolOutput out = runSpool(env, args);
        QCOMPARE(out.code, 3);
        QVERIFY2(out.err.contains(db), qPrintable(out.err));
        QVERIFY2(!out.err.contains(QStringLiteral("statement failed")), qPrintable(out.err));
        QCOMPARE(hashOf(db), before);
    }
}

QTEST_GUILESS_MAIN(tst_JournalCorrupt)
// quick_check reads the whole journal, so open() runs it only when the journal is in doubt, or
// a week after the last one (JournalStamp).
void tst_JournalCorrupt::fullCheckOnlyWhenInDoubt()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("journal.sqlite3"));
    QVERIFY(QFile::copy(m_clean + QStringLiteral("/journal.sqlite3"), db));
    const auto checkedInFull = [&db](const QString &connection) -> std::optional<bool> {
        JournalStore journal;
        if (!journal.open(db, connection))
            return std::nullopt;
        return journal.checkedInFull();
    };
    // Never closed by a Spool: checked. Then as the last clean close left it: not again.
    QCOMPARE(checkedInFull(QStringLiteral("first")), std::optional<bool>(true));
    QCOMPARE(checkedInFull(QStringLiteral("second")), std::optional<bool>(false));

    // While a Spool has it open, its writes are expected: others open without the full check.
    {
        JournalStore holder;
        QVERIFY(holder.open(db, QStringLiteral("holder")));
        QVERIFY(!holder.checkedInFull());
        QVERIFY(holder.exec(QStringLiteral("CREATE TABLE written_while_held(x)")));
        JournalStore other;
        QVERIFY(other.open(db, QStringLiteral("other")));
        QVERIFY(!other.checkedInFull());
    }
    QCOMPARE(checkedInFull(QStringLiteral("both closed")), std::optional<bool>(false));

    // A holder that is gone without closing (killed), after writing: in doubt.
    const QString stamp = db + QStringLiteral(".checked");
    {
        JournalStore killed;
        QVERIFY(killed.open(db, QStringLiteral("killed")));
        QVERIFY(killed.exec(QStringLiteral("CREATE TABLE written_then_killed(x)")));
        QJsonObject recorded = QJsonDocument::fromJson(readAll(stamp)).object();
        QJsonArray holders = recorded.value(QStringLiteral("holders")).toArray();
        QCOMPARE(holders.size(), 1);
        QJsonObject gone = holders.at(0).toObject();
        gone.insert(QStringLiteral("start"), QStringLiteral("1")); // another process, long gone
        recorded.insert(QStringLiteral("holders"), QJsonArray{gone});
        QVERIFY(writeAll(stamp, QJsonDocument(recorded).toJson()));
        JournalStore next;
        QVERIFY(next.open(db, QStringLiteral("after the kill")));
        QVERIFY(next.checkedInFull());
    }
    QCOMPARE(checkedInFull(QStringLiteral("closed again")), std::optional<bool>(false));

    // A week after the last full check, unchanged or not.
    QJsonObject recorded = QJsonDocument::fromJson(readAll(stamp)).object();
    QVERIFY(recorded.contains(QStringLiteral("checked_at_ms")));
    const qint64 eightDaysAgo = QDateTime::currentMSecsSinceEpoch() - 8LL * 24 * 3600 * 1000;
    recorded.insert(QStringLiteral("checked_at_ms"), QString::number(eightDaysAgo));
    QVERIFY(writeAll(stamp, QJsonDocument(recorded).toJson()));
    QCOMPARE(checkedInFull(QStringLiteral("a week on")), std::optional<bool>(true));
    QCOMPARE(checkedInFull(QStringLiteral("just checked")), std::optional<bool>(false));

    // Damaged in place after a clean close (as the "page zeroed" mutant): checked, refused.
    {
        QFile file(db);
        QVERIFY(file.open(QIODevice::ReadWrite));
        QVERIFY(file.seek(4 * m_pageSize));
        QCOMPARE(file.write(QByteArray(m_pageSize, '\0')), qint64(m_pageSize));
    }
    JournalStore damaged;
    const Status opened = damaged.open(db, QStringLiteral("damaged"));
    QVERIFY(!opened);
    QCOMPARE(opened.error().code, ErrorCode::JournalCorrupt);
    QVERIFY(damaged.checkedInFull());
}

#include "tst_journalcorrupt.moc"
