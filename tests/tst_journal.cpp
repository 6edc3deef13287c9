#include "core/ulid.h"
#include "journal/journalstore.h"
#include "journal/migrations.h"
#include "core/datapaths.h"
#include "runs/runstore.h"
#include "sessions/sessionstore.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

#include <sys/stat.h>

using namespace Spool;

class tst_Journal : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void freshJournalHasLatestSchema();
    void migratesOlderJournal();
    void concurrentFirstOpens();
    void refusesNewerSchemaUnchanged();
    void privateFileModes();
    void unusableFilesAreLeftUnchanged_data();
    void unusableFilesAreLeftUnchanged();
    void tapeSeqIsContiguousAcrossInterleavedRuns();
    void tapeSeqIsContiguousAcrossConnections();
    void tapeRefusesUpdateDeleteAndGaps();
    void tapeGoesWithItsSession();
    void terminalRunStateIsFinalInTheDatabase();
    void redactsSecretsByExactKey();
    void reportsDiskFullClearly();
    void deferredCommitsSyncOnlyWhenAsked_data();
    void deferredCommitsSyncOnlyWhenAsked();

private:
    QString newRun(JournalStore &journal, const QString &sessionKey = {});
    static QByteArray fileHash(const QString &path);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

void tst_Journal::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = m_dir->filePath(QStringLiteral("journal.sqlite3"));
}

void tst_Journal::cleanup()
{
    m_dir.reset();
}

QString tst_Journal::newRun(JournalStore &journal, const QString &sessionKey)
{
    // The session row is written directly: this also fills journals of older schemas, whose
    // sessions table SessionStore (which reads the fork columns of v6) cannot read.
    const QString sessionId = Ulid::generate();
    auto s = journal.exec(QStringLiteral("INSERT INTO sessions(id, key, principal, device_id, agent, "
                                         "created_at, updated_at, last_activity_at) "
                                         "VALUES (?, ?, 'p', 'd', 'default', 1, 1, 1)"),
                          {sessionId, sessionKey.isEmpty() ? QVariant() : QVariant(sessionKey)});
    if (!s)
        qFatal("session: %s", qPrintable(s.errorMessage()));
    RunStore runs(journal);
    auto r = runs.create(NewRun{sessionId, QStringLiteral("default"), QStringLiteral("deterministic"),
                                QStringLiteral("echo-1"), QStringLiteral("hi"), QStringLiteral("i")});
    if (!r)
        qFatal("run: %s", qPrintable(r.errorMessage()));
    return r->id;
}

QByteArray tst_Journal::fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

void tst_Journal::freshJournalHasLatestSchema()
{
    JournalStore journal;
    QVERIFY2(journal.open(m_path, QStringLiteral("a")), "open");
    QCOMPARE(journal.schemaVersion(), latestJournalSchemaVersion());
    auto mode = journal.exec(QStringLiteral("PRAGMA journal_mode"));
    QVERIFY(mode && mode->next());
    QCOMPARE(mode->value(0).toString(), QStringLiteral("wal"));
    auto fk = journal.exec(QStringLiteral("PRAGMA foreign_keys"));
    QVERIFY(fk && fk->next());
    QCOMPARE(fk->value(0).toInt(), 1);
    auto applied = journal.exec(QStringLiteral("SELECT version FROM schema_migrations ORDER BY version"));
    QVERIFY(applied);
    QList<int> versions;
    while (applied->next())
        versions.append(applied->value(0).toInt());
    QCOMPARE(versions.size(), journalMigrations().size());
    // Opening again applies nothing twice.
    journal.close();
    QVERIFY(journal.open(m_path, QStringLiteral("b")));
    auto count = journal.exec(QStringLiteral("SELECT COUNT(*) FROM schema_migrations"));
    QVERIFY(count && count->next());
    QCOMPARE(count->value(0).toInt(), int(journalMigrations().size()));
}

void tst_Journal::migratesOlderJournal()
{
    QString runId;
    {
        JournalStore v1;
        QVERIFY(v1.open(m_path, QStringLiteral("v1"), 1));
        QCOMPARE(v1.schemaVersion(), 1);
        runId = newRun(v1, QStringLiteral("old"));
        QVERIFY(v1.appendTape(runId, TapeKind::Input,
                              {{QStringLiteral("text"), QStringLiteral("zebra crossing")}}));
        // Version 1 has no search index yet.
        QVERIFY(!v1.exec(QStringLiteral("SELECT * FROM session_search")));
    }
    JournalStore latest;
    QVERIFY(latest.open(m_path, QStringLiteral("latest")));
    QCOMPARE(latest.schemaVersion(), latestJournalSchemaVersion());
    // Data survives and the new index was backfilled from the existing tape.
    auto tape = latest.tape(runId);
    QVERIFY(tape);
    QCOMPARE(tape->size(), 2);
    SessionStore sessions(latest);
    SessionFilter f;
    f.search = QStringLiteral("zebra");
    auto found = sessions.list(f);
    QVERIFY(found);
    QCOMPARE(found->size(), 1);
    QCOMPARE(found->constFirst().key, QStringLiteral("old"));
}

void tst_Journal::concurrentFirstOpens()
{
    // Several processes started at once on a new journal (a window and a few terminals) each
    // run the migrations; every one must open it, and each migration is applied once.
    constexpr int kOpeners = 4;
    for (int round = 0; round < 25; ++round) {
        const QString path = m_dir->filePath(QStringLiteral("fresh-%1.sqlite3").arg(round));
        std::atomic<int> waiting{kOpeners};
        QStringList errors[kOpeners];
        std::vector<std::thread> threads;
        for (int i = 0; i < kOpeners; ++i) {
            threads.emplace_back([&, i] {
                JournalStore journal;
                --waiting;
                while (waiting.load() > 0) {
                }
                const Status s = journal.open(path, QStringLiteral("opener-%1-%2").arg(round).arg(i));
                if (!s)
                    errors[i].append(s.errorMessage());
            });
        }
        for (std::thread &t : threads)
            t.join();
        for (const QStringList &e : errors)
            QVERIFY2(e.isEmpty(), qPrintable(e.join(QLatin1Char('\n'))));
        JournalStore journal;
        QVERIFY(journal.open(path, QStringLiteral("check-%1").arg(round)));
        auto count = journal.exec(QStringLiteral("SELECT COUNT(*) FROM schema_migrations"));
        QVERIFY(count && count->next());
        QCOMPARE(count->value(0).toInt(), int(journalMigrations().size()));
    }
}

void tst_Journal::refusesNewerSchemaUnchanged()
{
    {
        JournalStore journal;
        QVERIFY(journal.open(m_path, QStringLiteral("a")));
        QVERIFY(journal.exec(QStringLiteral("INSERT INTO schema_migrations VALUES (999, 'future', 0)")));
    }
    const QByteArray before = fileHash(m_path);
    JournalStore journal;
    const Status s = journal.open(m_path, QStringLiteral("b"));
    QVERIFY(!s);
    QCOMPARE(s.error().code, ErrorCode::JournalUnavailable);
    QVERIFY2(s.errorMessage().contains(m_path), qPrintable(s.errorMessage()));
    QVERIFY(s.errorMessage().contains(QStringLiteral("999")));
    QCOMPARE(fileHash(m_path), before);
}

void tst_Journal::privateFileModes()
{
    const QString folder = m_dir->filePath(QStringLiteral("data"));
    QVERIFY(DataPaths::ensurePrivateDir(folder));
    const QString path = folder + QStringLiteral("/journal.sqlite3");
    JournalStore journal;
    QVERIFY(journal.open(path, QStringLiteral("a")));
    QVERIFY(journal.appendTape(newRun(journal), TapeKind::Input, {{QStringLiteral("text"), QStringLiteral("x")}}));
    struct stat st {};
    QCOMPARE(::stat(QFile::encodeName(folder).constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0700);
    for (const QString &file : QStringList{path, path + QStringLiteral("-wal"), path + QStringLiteral("-shm")}) {
        QCOMPARE(::stat(QFile::encodeName(file).constData(), &st), 0);
        QCOMPARE(int(st.st_mode & 0777), 0600);
    }
}

void tst_Journal::unusableFilesAreLeftUnchanged_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("code");
    QTest::newRow("text file") << QStringLiteral("text") << int(ErrorCode::JournalNotSqlite);
    QTest::newRow("random bytes") << QStringLiteral("random") << int(ErrorCode::JournalNotSqlite);
    QTest::newRow("damaged database") << QStringLiteral("damaged") << int(ErrorCode::JournalCorrupt);
    QTest::newRow("truncated database") << QStringLiteral("truncated") << int(ErrorCode::JournalCorrupt);
}

void tst_Journal::unusableFilesAreLeftUnchanged()
{
    QFETCH(QString, kind);
    QFETCH(int, code);
    if (kind == QLatin1String("text") || kind == QLatin1String("random")) {
        QFile f(m_path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        if (kind == QLatin1String("text")) {
            f.write("these are my notes, not a database\n");
        } else {
            QByteArray bytes(64 * 1024, Qt::Uninitialized);
            for (int i = 0; i < bytes.size(); ++i)
                bytes[i] = char((i * 7919) % 251);
            f.write(bytes);
        }
    } else {
        {
            JournalStore journal;
            QVERIFY(journal.open(m_path, QStringLiteral("make")));
            const QString run = newRun(journal);
            for (int i = 0; i < 300; ++i)
                QVERIFY(journal.appendTape(run, TapeKind::Input,
                                           {{QStringLiteral("text"), QString(500, QLatin1Char('x'))}}));
            QVERIFY(journal.exec(QStringLiteral("PRAGMA wal_checkpoint(TRUNCATE)")));
        }
        QFile f(m_path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        const qint64 size = f.size();
        QVERIFY(size > 16 * 4096);
        if (kind == QLatin1String("damaged")) {
            // Scribble over the middle of the file, keeping the header intact.
            f.seek(size / 2);
            f.write(QByteArray(8192, '\xAB'));
        } else {
            f.resize(size / 3);
        }
    }
    QFile::remove(m_path + QStringLiteral("-wal"));
    QFile::remove(m_path + QStringLiteral("-shm"));
    const QByteArray before = fileHash(m_path);
    const qint64 sizeBefore = QFileInfo(m_path).size();

    JournalStore journal;
    const Status s = journal.open(m_path, QStringLiteral("victim"));
    QVERIFY(!s);
    QCOMPARE(int(s.error().code), code);
    QVERIFY2(s.errorMessage().contains(m_path), qPrintable(s.errorMessage()));
    QVERIFY(s.errorMessage().contains(QStringLiteral("unchanged")));
    journal.close();
    QCOMPARE(QFileInfo(m_path).size(), sizeBefore);
    QCOMPARE(fileHash(m_path), before);
}

void tst_Journal::tapeSeqIsContiguousAcrossInterleavedRuns()
{
    JournalStore journal;
    QVERIFY(journal.open(m_path, QStringLiteral("a")));
    QStringList runs;
    for (int i = 0; i < 4; ++i)
        runs.append(newRun(journal));
    // Four runs in flight, events interleaved in a scrambled order.
    for (int i = 0; i < 200; ++i) {
        const QString &run = runs.at((i * 7 + i / 3) % runs.size());
        QVERIFY(journal.appendTape(run, TapeKind::ToolCall, {{QStringLiteral("i"), i}}));
    }
    for (const QString &run : runs) {
        auto events = journal.tape(run);
        QVERIFY(events);
        for (int i = 0; i < events->size(); ++i)
            QCOMPARE(events->at(i).seq, qint64(i + 1));
    }
}

void tst_Journal::tapeSeqIsContiguousAcrossConnections()
{
    // Two connections (as two processes would have) appending to the same run.
    JournalStore a;
    JournalStore b;
    QVERIFY(a.open(m_path, QStringLiteral("a")));
    QVERIFY(b.open(m_path, QStringLiteral("b")));
    const QString run = newRun(a);
    for (int i = 0; i < 100; ++i) {
        JournalStore &j = (i % 3 == 0) ? b : a;
        auto e = j.appendTape(run, TapeKind::ToolCall, {{QStringLiteral("i"), i}});
        QVERIFY2(e, qPrintable(e.errorMessage()));
    }
    auto events = a.tape(run);
    QVERIFY(events);
    QCOMPARE(events->size(), 101);
    for (int i = 0; i < events->size(); ++i)
        QCOMPARE(events->at(i).seq, qint64(i + 1));
}

void tst_Journal::tapeRefusesUpdateDeleteAndGaps()
{
    JournalStore journal;
    QVERIFY(journal.open(m_path, QStringLiteral("a")));
    const QString run = newRun(journal);
    QVERIFY(journal.appendTape(run, TapeKind::Input, {{QStringLiteral("text"), QStringLiteral("x")}}));

    auto update = journal.exec(QStringLiteral("UPDATE orchestrator_tape SET payload = '{}'"));
    QVERIFY(!update);
    QVERIFY2(update.errorMessage().contains(QStringLiteral("append-only")), qPrintable(update.errorMessage()));
    auto remove = journal.exec(QStringLiteral("DELETE FROM orchestrator_tape WHERE run_id = ?"), {run});
    QVERIFY(!remove);
    QVERIFY(remove.errorMessage().contains(QStringLiteral("append-only")));
    auto gap = journal.exec(QStringLiteral("INSERT INTO orchestrator_tape(run_id, seq, kind, created_at, payload) "
                                           "VALUES (?, 9, 'input', 0, '{}')"),
                            {run});
    QVERIFY(!gap);
    QVERIFY(gap.errorMessage().contains(QStringLiteral("contiguous")));
    auto length = journal.tapeLength(run);
    QVERIFY(length);
    QCOMPARE(*length, qint64(2));
}

void tst_Journal::tapeGoesWithItsSession()
{
    JournalStore journal;
    QVERIFY(journal.open(m_path, QStringLiteral("a")));
    const QString run = newRun(journal, QStringLiteral("gone"));
    QVERIFY(journal.appendTape(run, TapeKind::Input, {{QStringLiteral("text"), QStringLiteral("findme")}}));
    SessionStore sessions(journal);
    auto s = sessions.byLiveKey(QStringLiteral("gone"));
    QVERIFY(s);
    QVERIFY(sessions.remove(s->id));
    auto left = journal.exec(QStringLiteral("SELECT COUNT(*) FROM orchestrator_tape"));
    QVERIFY(left && left->next());
    QCOMPARE(left->value(0).toInt(), 0);
    auto indexed = journal.exec(QStringLiteral("SELECT COUNT(*) FROM session_search"));
    QVERIFY(indexed && indexed->next());
    QCOMPARE(indexed->value(0).toInt(), 0);
}

void tst_Journal::terminalRunStateIsFinalInTheDatabase()
{
    JournalStore journal;
    QVERIFY(journal.open(m_path, QStringLiteral("a")));
    const QString run = newRun(journal);
    RunStore runs(journal);
    QVERIFY(runs.transition(run, RunState::Running, QStringLiteral("started")));
    QVERIFY(runs.transition(run, RunState::Succeeded, QStringLiteral("completed")));
    // The state machine refuses, and so does the database behind it.
    auto again = runs.transition(run, RunState::Failed, QStringLiteral("late"));
    QVERIFY(!again);
    QCOMPARE(again.error().code, ErrorCode::IllegalTransition);
    auto raw = journal.exec(QStringLiteral("UPDATE runs SET state = 'failed' WHERE id = ?"), {run});
    QVERIFY(!raw);
    QVERIFY(raw.errorMessage().contains(QStringLiteral("terminal")));
    auto r = runs.get(run);
    QVERIFY(r);
    QCOMPARE(r->state, RunState::Succeeded);
    auto tape = journal.tape(run);
    QVERIFY(tape);
    QCOMPARE(tape->size(), 3); // accepted, running, succeeded: nothing for the refused change
}

void tst_Journal::redactsSecretsByExactKey()
{
    JournalStore journal;
    Redactor redactor;
    redactor.addKeys({QStringLiteral("session_cookie")});
    journal.setRedactor(redactor);
    QVERIFY(journal.open(m_path, QStringLiteral("a")));
    const QString run = newRun(journal);
    const QJsonObject payload{
        {QStringLiteral("api_key"), QStringLiteral("sk-live-123")},
        {QStringLiteral("headers"), QJsonObject{{QStringLiteral("Authorization"), QStringLiteral("Bearer sk-live-123")}}},
        {QStringLiteral("list"), QJsonArray{QJsonObject{{QStringLiteral("password"), QStringLiteral("hunter2")}}}},
        {QStringLiteral("session_cookie"), QStringLiteral("c00kie")},
        {QStringLiteral("usage"), QJsonObject{{QStringLiteral("prompt_tokens"), 12}}},
        {QStringLiteral("api_key_hint"), QStringLiteral("kept: not an exact match")},
    };
    QVERIFY(journal.appendTape(run, TapeKind::ProviderRequest, payload));
    auto raw = journal.exec(QStringLiteral("SELECT payload FROM orchestrator_tape WHERE kind = 'provider.request'"));
    QVERIFY(raw && raw->next());
    const QString stored = raw->value(0).toString();
    QVERIFY2(!stored.contains(QStringLiteral("sk-live-123")), qPrintable(stored));
    QVERIFY(!stored.contains(QStringLiteral("hunter2")));
    QVERIFY(!stored.contains(QStringLiteral("c00kie")));
    QVERIFY(stored.contains(QStringLiteral("\"prompt_tokens\":12")));
    QVERIFY(stored.contains(QStringLiteral("kept: not an exact match")));
    QVERIFY(stored.contains(Redactor::placeholder()));
}

void tst_Journal::reportsDiskFullClearly()
{
    JournalStore journal;
    QVERIFY(journal.open(m_path, QStringLiteral("a")));
    const QString run = newRun(journal);
    // Cap the database so the next page allocation fails the way a full disk does.
    auto pages = journal.exec(QStringLiteral("PRAGMA page_count"));
    QVERIFY(pages && pages->next());
    const int current = pages->value(0).toInt();
    QVERIFY(journal.exec(QStringLiteral("PRAGMA max_page_count = %1").arg(current + 1)));
    Result<TapeEvent> last = makeError(ErrorCode::None, {});
    int written = 0;
    for (int i = 0; i < 200; ++i) {
        last = journal.appendTape(run, TapeKind::ToolOutput,
                                  {{QStringLiteral("output"), QString(4000, QLatin1Char('y'))}});
        if (!last)
            break;
        ++written;
    }
    QVERIFY(!last);
    QCOMPARE(last.error().code, ErrorCode::DiskFull);
    // It names the folder to free, and says nothing saved is lost.
    QVERIFY2(last.errorMessage().contains(m_dir->path()), qPrintable(last.errorMessage()));
    QVERIFY2(last.errorMessage().contains(QStringLiteral("Free some space")), qPrintable(last.errorMessage()));
    // What was written before is intact and contiguous.
    auto tape = journal.tape(run);
    QVERIFY(tape);
    QCOMPARE(tape->size(), written + 1);
    QCOMPARE(tape->constLast().seq, qint64(written + 1));
}

void tst_Journal::deferredCommitsSyncOnlyWhenAsked_data()
{
    QTest::addColumn<bool>("full");
    QTest::addColumn<int>("syncedLevel"); // PRAGMA synchronous after each kind of commit
    QTest::newRow("full") << true << 2;
    QTest::newRow("normal") << false << 1;
}

void tst_Journal::deferredCommitsSyncOnlyWhenAsked()
{
    QFETCH(bool, full);
    QFETCH(int, syncedLevel);
    JournalStore journal;
    journal.setDurability(full ? JournalStore::Durability::Full : JournalStore::Durability::Normal);
    QVERIFY(journal.open(m_path, QStringLiteral("a")));
    const QString run = newRun(journal);
    auto level = [&] {
        auto q = journal.exec(QStringLiteral("PRAGMA synchronous"));
        return q && q->next() ? q->value(0).toInt() : -1;
    };
    const JournalStore::CommitCounts before = journal.commitCounts();
    for (int i = 0; i < 3; ++i) {
        QVERIFY(journal.transaction([&]() -> Status {
            return journal.appendTape(run, TapeKind::Context, {{QStringLiteral("i"), i}}).error();
        }, JournalStore::Commit::Deferred));
        // Whatever comes next outside a deferred transaction commits at the configured level.
        QCOMPARE(level(), syncedLevel);
    }
    QVERIFY(journal.transaction([&]() -> Status {
        return journal.appendTape(run, TapeKind::AssistantMessage, {{QStringLiteral("text"), QStringLiteral("x")}}).error();
    }));
    const JournalStore::CommitCounts after = journal.commitCounts();
    QCOMPARE(after.synced - before.synced, full ? 1 : 0);
    QCOMPARE(after.deferred - before.deferred, full ? 3 : 4);

    // A deferred transaction that fails leaves nothing and still restores the level.
    const Status failed = journal.transaction([&]() -> Status {
        (void)journal.appendTape(run, TapeKind::Context, {});
        return makeError(ErrorCode::Internal, QStringLiteral("no"));
    }, JournalStore::Commit::Deferred);
    QVERIFY(!failed);
    QCOMPARE(level(), syncedLevel);
    QCOMPARE(*journal.tapeLength(run), qint64(5)); // accepted, three contexts, the message
    QCOMPARE(journal.commitCounts().synced + journal.commitCounts().deferred,
             after.synced + after.deferred);

    // What a deferred commit wrote is there for another connection (another process) at once.
    JournalStore other;
    QVERIFY(other.open(m_path, QStringLiteral("b")));
    QCOMPARE(*other.tapeLength(run), qint64(5));
}

QTEST_GUILESS_MAIN(tst_Journal)
#include "tst_journal.moc"
