#include "journal/journalstore.h"

#include "core/logging.h"
#include "journal/journalstamp.h"
#include "journal/migrations.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlRecord>
#include <QStorageInfo>
#include <QThread>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Spool {

namespace {

constexpr int kBusyTimeoutMs = 5000;

QString leftUnchanged(const QString &path)
{
    return QStringLiteral("Spool left %1 unchanged. Move it aside, or start with --data-dir "
                          "to use another folder.")
            .arg(path);
}

// SQLite's primary result code (the extended codes keep it in their low byte).
int primaryCode(const QSqlError &error)
{
    return error.nativeErrorCode().toInt() & 0xff;
}

constexpr int kSqliteIoErr = 10;
constexpr int kSqliteCorrupt = 11;
constexpr int kSqliteFull = 13;
constexpr int kSqliteNotADb = 26;
constexpr int kSqliteIoErrRead = kSqliteIoErr | (1 << 8);
constexpr int kSqliteIoErrShortRead = kSqliteIoErr | (2 << 8);

// A failed statement, in words that say what to do. A full disk and an I/O error name the
// journal's folder: the user frees space or checks the disk there, and what is already
// committed stays (SQLite rolls back a transaction whose write or sync failed).
Error storageError(const QString &journalPath, const QString &what, const QSqlError &error)
{
    const QString detail = error.text().trimmed();
    const QString folder = QFileInfo(journalPath).absolutePath();
    switch (primaryCode(error)) {
    case kSqliteFull:
        return makeError(ErrorCode::DiskFull,
                         QStringLiteral("The disk holding the Spool data folder %1 is full, so "
                                        "nothing new can be saved. Free some space in %1, then "
                                        "try again; nothing already saved is lost.")
                                 .arg(folder));
    case kSqliteIoErr: {
        // What SQLite said stays in the log: the user is told where to look and what to do.
        qCInfo(lcJournal).noquote() << journalPath << what << detail;
        const int code = error.nativeErrorCode().toInt();
        if (code == kSqliteIoErrRead || code == kSqliteIoErrShortRead) {
            return makeError(ErrorCode::Storage,
                             QStringLiteral("Spool could not read its journal in %1: the disk "
                                            "reported an I/O error (SQLite code %2). Check the "
                                            "disk holding %1 (its connection and the system "
                                            "log), then try again; nothing saved was changed.")
                                     .arg(folder)
                                     .arg(code));
        }
        return makeError(ErrorCode::Storage,
                         QStringLiteral("Spool could not save to its journal in %1: the disk "
                                        "reported an I/O error (SQLite code %2), so this change "
                                        "was not saved. Check the disk holding %1 (its "
                                        "connection, its free space and the system log), then "
                                        "try again; nothing already saved is lost.")
                                 .arg(folder)
                                 .arg(code));
    }
    case kSqliteCorrupt:
        return makeError(ErrorCode::JournalCorrupt,
                         QStringLiteral("The journal %1 is damaged (%2: %3). %4")
                                 .arg(journalPath, what, detail, leftUnchanged(journalPath)));
    case kSqliteNotADb:
        return makeError(ErrorCode::JournalNotSqlite,
                         QStringLiteral("The journal %1 is not an SQLite database (%2: %3). %4")
                                 .arg(journalPath, what, detail, leftUnchanged(journalPath)));
    default:
        break;
    }
    return makeError(ErrorCode::Storage,
                     QStringLiteral("%1 (journal %2): %3").arg(what, journalPath, detail));
}

quint32 word(const QByteArray &bytes, int at, bool bigEndian)
{
    const auto b = [&](int i) { return quint32(quint8(bytes.at(at + i))); };
    return bigEndian ? (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3)
                     : (b(3) << 24) | (b(2) << 16) | (b(1) << 8) | b(0);
}

// Whether the 32-byte header of a write-ahead log is one SQLite wrote: its magic number and
// its checksum (SQLite's WAL format: two running sums over the first 24 bytes).
bool walHeaderIsValid(const QByteArray &header)
{
    if (header.size() < 32)
        return false;
    const quint32 magic = word(header, 0, true);
    if (magic != 0x377f0682 && magic != 0x377f0683)
        return false;
    const bool bigEndian = magic & 1;
    quint32 s0 = 0;
    quint32 s1 = 0;
    for (int i = 0; i < 24; i += 8) {
        s0 += word(header, i, bigEndian) + s1;
        s1 += word(header, i + 4, bigEndian) + s0;
    }
    return s0 == word(header, 24, true) && s1 == word(header, 28, true);
}

void tightenFileMode(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    struct stat st {};
    if (::stat(native.constData(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 0077))
        ::chmod(native.constData(), 0600);
}

void bindAll(QSqlQuery &q, const QVariantList &binds)
{
    for (const QVariant &b : binds) {
        // A null QString binds as SQL NULL; text columns are NOT NULL, so bind "" instead.
        // Intentional NULLs are passed as an invalid QVariant().
        if (b.typeId() == QMetaType::QString && b.toString().isNull())
            q.addBindValue(QString(QLatin1String("")));
        else
            q.addBindValue(b);
    }
}

} // namespace

Error JournalStore::failure(const QString &what, const QSqlError &error) const
{
    const Error e = storageError(m_path, what, error);
    if (e.code == ErrorCode::DiskFull && m_storageObserver)
        m_storageObserver(e);
    return e;
}

Error JournalStore::sqlError(const QString &what, const QSqlQuery &query) const
{
    return failure(what, query.lastError());
}

JournalStore::JournalStore() = default;

JournalStore::~JournalStore()
{
    close();
}

QSqlDatabase JournalStore::database() const
{
    return QSqlDatabase::database(m_connectionName, false);
}

Status JournalStore::validateExisting(const QString &path) const
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::JournalUnavailable,
                         QStringLiteral("The journal %1 cannot be read: %2. %3")
                                 .arg(path, file.errorString(), leftUnchanged(path)));
    }
    if (file.size() == 0)
        return {}; // an empty file is an empty database
    const QByteArray header = file.read(16);
    if (header != QByteArrayLiteral("SQLite format 3\0")) {
        return makeError(ErrorCode::JournalNotSqlite,
                         QStringLiteral("The journal %1 is not an SQLite database. %2")
                                 .arg(path, leftUnchanged(path)));
    }
    // SQLite ignores a write-ahead log whose header is damaged and, at the next write, starts
    // it over: the commits it holds would be gone. A log with at least one whole frame in it
    // (frame header plus a page; smaller logs hold nothing committed) must have a sound header.
    QFile wal(path + QStringLiteral("-wal"));
    if (wal.open(QIODevice::ReadOnly) && wal.size() >= 32 + 24 + 512) {
        if (!walHeaderIsValid(wal.read(32))) {
            return makeError(ErrorCode::JournalCorrupt,
                             QStringLiteral("The journal %1 is damaged: its write-ahead log %2 "
                                            "has a damaged header, so its last changes cannot "
                                            "be read. %3")
                                     .arg(path, wal.fileName(), leftUnchanged(path)));
        }
    }
    return {};
}

Status JournalStore::open(const QString &path, const QString &connectionName, int targetVersion)
{
    close();
    const QByteArray native = QFile::encodeName(path);
    if (QFileInfo::exists(path)) {
        if (Status s = validateExisting(path); !s)
            return s;
    } else {
        // Create the file ourselves so it is private from its first byte.
        const int fd = ::open(native.constData(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0 && errno != EEXIST) {
            return makeError(ErrorCode::JournalUnavailable,
                             QStringLiteral("The journal %1 cannot be created: %2")
                                     .arg(path, QString::fromLocal8Bit(std::strerror(errno))));
        }
        if (fd >= 0)
            ::close(fd);
    }

    m_path = path;
    const QString walPath = path + QStringLiteral("-wal");
    const QString shmPath = path + QStringLiteral("-shm");
    const bool hadWal = QFileInfo::exists(walPath);
    const bool hadShm = QFileInfo::exists(shmPath);
    // Checked on a read-only connection first: closing it never checkpoints the WAL into the
    // file, so a journal refused here keeps its bytes (and its WAL) exactly as they were.
    bool exclusive = false;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const JournalStamp::Verdict verdict = JournalStamp(path).judge(now);
    const bool full = verdict.checkInFull;
    m_checkedInFull = full;
    m_lastFullCheckMs = full ? now : verdict.lastFullCheckMs;
    Status status = connect(connectionName, true, exclusive);
    if (status)
        status = checkIntegrity(full);
    if (!status && (status.error().code == ErrorCode::DiskFull
                    || status.error().code == ErrorCode::Storage)) {
        // Reading a WAL journal needs its shared-memory index (the -shm file), which cannot be
        // created on a full disk. With exclusive locking SQLite keeps that index in memory
        // instead: this process alone uses the journal while it is open, and can read it.
        // (SQLite allows that only on a read-write connection.)
        qCInfo(lcJournal).noquote() << "cannot read the journal with a shared index, trying "
                                       "exclusive access:"
                                    << status.errorMessage();
        exclusive = true;
        status = connect(connectionName, false, exclusive);
        if (status)
            status = checkIntegrity(full);
    }
    if (status)
        status = connect(connectionName, false, exclusive);
    if (status)
        status = configure();
    if (status)
        status = migrate(targetVersion < 0 ? latestJournalSchemaVersion() : targetVersion);
    if (!status) {
        close();
        // A refused journal is left as it was found: without the empty log and the index
        // SQLite made beside it to read it (a log with anything in it stays).
        if (!hadWal && QFileInfo(walPath).size() == 0 && QFile::remove(walPath) && !hadShm)
            QFile::remove(shmPath);
        return status;
    }
    tightenFileMode(path);
    m_stampOnClose = true;
    JournalStamp(path).enter(m_lastFullCheckMs);
    qCInfo(lcJournal) << "journal open" << path << "schema" << schemaVersion()
                      << (full ? "checked in full" : "not in doubt: not checked in full");
    return {};
}

Status JournalStore::connect(const QString &connectionName, bool readOnly, bool exclusive)
{
    close();
    m_connectionName = connectionName;
    m_exclusive = exclusive;
    QString openError;
    QSqlError sqlOpenError;
    {
        // No QSqlDatabase handle may outlive this block, or close() cannot remove the connection.
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName);
        db.setDatabaseName(m_path);
        QString options = QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(kBusyTimeoutMs);
        if (readOnly)
            options += QStringLiteral(";QSQLITE_OPEN_READONLY");
        db.setConnectOptions(options);
        if (!db.open()) {
            sqlOpenError = db.lastError();
            openError = sqlOpenError.text();
        }
    }
    if (!openError.isNull()) {
        close();
        // The disk failing (or full) says nothing against the file: not "move it aside".
        const int primary = primaryCode(sqlOpenError);
        if (primary == kSqliteIoErr || primary == kSqliteFull)
            return failure(QStringLiteral("cannot open the journal"), sqlOpenError);
        return makeError(ErrorCode::JournalUnavailable,
                         QStringLiteral("The journal %1 cannot be opened: %2. %3")
                                 .arg(m_path, openError, leftUnchanged(m_path)));
    }
    if (exclusive) {
        QSqlQuery q(database());
        if (!q.exec(QStringLiteral("PRAGMA locking_mode = EXCLUSIVE"))) {
            const Error e = sqlError(QStringLiteral("cannot lock the journal"), q);
            close();
            return e;
        }
    }
    return {};
}

Status JournalStore::checkIntegrity(bool full)
{
    QSqlQuery q(database());
    if (!q.exec(full ? QStringLiteral("PRAGMA quick_check") : QStringLiteral("PRAGMA schema_version"))) {
        // A full disk or an I/O error says nothing about the file's bytes: not "damaged".
        const int primary = primaryCode(q.lastError());
        if (primary == kSqliteFull || primary == kSqliteIoErr)
            return sqlError(QStringLiteral("cannot read the journal"), q);
        const ErrorCode code =
                primary == kSqliteNotADb ? ErrorCode::JournalNotSqlite : ErrorCode::JournalCorrupt;
        return makeError(code, QStringLiteral("The journal %1 is damaged (integrity check failed: "
                                              "%2). %3")
                                       .arg(m_path, q.lastError().text().trimmed(),
                                            leftUnchanged(m_path)));
    }
    QStringList problems;
    while (full && q.next()) {
        const QString line = q.value(0).toString();
        if (line != QLatin1String("ok"))
            problems.append(line);
    }
    if (!problems.isEmpty()) {
        return makeError(ErrorCode::JournalCorrupt,
                         QStringLiteral("The journal %1 fails its integrity check (%2). %3")
                                 .arg(m_path, problems.mid(0, 3).join(QStringLiteral("; ")),
                                      leftUnchanged(m_path)));
    }
    // Refuse, before writing anything, a journal from a newer Spool.
    QSqlQuery v(database());
    if (v.exec(QStringLiteral("SELECT MAX(version) FROM schema_migrations")) && v.next()) {
        const int found = v.value(0).toInt();
        if (found > latestJournalSchemaVersion()) {
            return makeError(ErrorCode::JournalUnavailable,
                             QStringLiteral("The journal %1 has schema version %2, newer than "
                                            "this Spool understands (%3). %4")
                                     .arg(m_path)
                                     .arg(found)
                                     .arg(latestJournalSchemaVersion())
                                     .arg(leftUnchanged(m_path)));
        }
    }
    return {};
}

Status JournalStore::configure()
{
    // busy_timeout first, so every later statement waits for a lock instead of failing. WAL lets
    // the GUI read while a CLI run writes.
    const QStringList pragmas = {
        QStringLiteral("PRAGMA busy_timeout = %1").arg(kBusyTimeoutMs),
        QStringLiteral("PRAGMA journal_mode = WAL"),
        m_durability == Durability::Full ? QStringLiteral("PRAGMA synchronous = FULL")
                                         : QStringLiteral("PRAGMA synchronous = NORMAL"),
        QStringLiteral("PRAGMA foreign_keys = ON"),
    };
    for (const QString &pragma : pragmas) {
        QSqlQuery q(database());
        // Switching a new file to WAL needs it to itself, and SQLite answers "locked" at once,
        // without its busy handler, while another process opening the same new journal holds
        // it: try again for as long as any other statement would wait.
        QDeadlineTimer patience(kBusyTimeoutMs);
        while (!q.exec(pragma)) {
            const bool locked = q.lastError().nativeErrorCode() == QLatin1String("5")
                    || q.lastError().nativeErrorCode() == QLatin1String("6");
            if (!locked || patience.hasExpired())
                return failure(QStringLiteral("cannot configure the journal (%1)").arg(pragma),
                                    q.lastError());
            QThread::msleep(10);
        }
    }
    return {};
}

int JournalStore::schemaVersion() const
{
    QSqlQuery q(database());
    if (q.exec(QStringLiteral("SELECT MAX(version) FROM schema_migrations")) && q.next())
        return q.value(0).toInt();
    return 0;
}

Status JournalStore::migrate(int targetVersion)
{
    {
        QSqlQuery q(database());
        if (!q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_migrations("
                                   "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                   "applied_at INTEGER NOT NULL)"))) {
            return failure(QStringLiteral("cannot create schema_migrations"), q.lastError());
        }
    }
    // Every step not applied yet, by its own number: branches that add steps in parallel land in
    // any order, so a journal may have a later step before an earlier one.
    auto isApplied = [this](int version) {
        QSqlQuery q(database());
        q.prepare(QStringLiteral("SELECT 1 FROM schema_migrations WHERE version = ?"));
        q.addBindValue(version);
        return q.exec() && q.next();
    };
    for (const Migration &m : journalMigrations()) {
        if (m.version > targetVersion || isApplied(m.version))
            continue;
        bool applied = false;
        Status s = transaction([&]() -> Status {
            // Another process opening the same new journal may have applied it meanwhile; the
            // transaction's write lock makes this second look the deciding one.
            if (isApplied(m.version))
                return {};
            applied = true;
            for (const QString &sql : m.statements) {
                QSqlQuery q(database());
                if (!q.exec(sql)) {
                    return failure(
                            QStringLiteral("migration %1 (%2) failed").arg(m.version).arg(m.name),
                            q.lastError());
                }
            }
            return exec(QStringLiteral("INSERT INTO schema_migrations(version, name, applied_at) "
                                       "VALUES (?, ?, ?)"),
                        {m.version, m.name, QDateTime::currentMSecsSinceEpoch()})
                    .error();
        });
        if (!s)
            return s;
        if (applied)
            qCInfo(lcJournal) << "applied migration" << m.version << m.name;
    }
    return {};
}

void JournalStore::close()
{
    m_appendQuery.reset();
    m_cache.clear();
    if (m_connectionName.isEmpty())
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
    m_connectionName.clear();
    if (std::exchange(m_stampOnClose, false))
        JournalStamp(m_path).leave();
    m_exclusive = false;
    m_transactionDepth = 0;
    m_commits = {};
}

Status JournalStore::transaction(const std::function<Status()> &work, Commit commit)
{
    if (m_transactionDepth > 0) {
        ++m_transactionDepth;
        Status s = work();
        --m_transactionDepth;
        return s;
    }
    // SQLite applies `synchronous` to each commit, and refuses to change it inside a
    // transaction: a deferred one lowers it for its own commit only. In WAL mode the next
    // durable commit's sync covers the frames written before it.
    const bool defer = commit == Commit::Deferred && m_durability == Durability::Full;
    if (defer) {
        if (auto q = execCached(QStringLiteral("PRAGMA synchronous = NORMAL")); !q)
            return q.error();
    }
    QSqlQuery begin(database());
    // IMMEDIATE takes the write lock up front, so a transaction that started reading never
    // fails half-way when another process writes (SQLITE_BUSY_SNAPSHOT).
    Status s;
    if (!begin.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
        s = failure(QStringLiteral("cannot start a transaction"), begin.lastError());
    } else {
        m_transactionDepth = 1;
        s = work();
        m_transactionDepth = 0;
        QSqlQuery end(database());
        if (!s) {
            if (!end.exec(QStringLiteral("ROLLBACK")))
                qCWarning(lcJournal) << "rollback failed:" << end.lastError().text();
        } else if (!end.exec(QStringLiteral("COMMIT"))) {
            s = failure(QStringLiteral("cannot commit"), end.lastError());
            QSqlQuery rollback(database());
            rollback.exec(QStringLiteral("ROLLBACK"));
        } else if (defer || m_durability == Durability::Normal) {
            ++m_commits.deferred;
        } else {
            ++m_commits.synced;
        }
    }
    if (defer) {
        // Every other write (also those outside transaction()) commits durably again.
        if (auto q = execCached(QStringLiteral("PRAGMA synchronous = FULL")); !q) {
            qCWarning(lcJournal) << "cannot restore synchronous=FULL:" << q.errorMessage();
            if (s)
                s = q.error();
        }
    }
    return s;
}

Result<QSqlQuery> JournalStore::exec(const QString &sql, const QVariantList &binds) const
{
    QSqlQuery q(database());
    if (!q.prepare(sql))
        return failure(QStringLiteral("cannot prepare statement"), q.lastError());
    bindAll(q, binds);
    if (!q.exec())
        return failure(QStringLiteral("statement failed"), q.lastError());
    return q;
}

Result<QSqlQuery *> JournalStore::execCached(const QString &sql, const QVariantList &binds) const
{
    auto it = m_cache.find(sql);
    if (it == m_cache.end()) {
        QSqlQuery q(database());
        if (!q.prepare(sql))
            return failure(QStringLiteral("cannot prepare statement"), q.lastError());
        it = m_cache.emplace(sql, std::move(q)).first;
    }
    QSqlQuery &q = it->second;
    q.finish();
    bindAll(q, binds);
    if (!q.exec())
        return failure(QStringLiteral("statement failed"), q.lastError());
    return &q;
}

Result<TapeEvent> JournalStore::appendTape(const QString &runId, const QString &kind,
                                           const QJsonObject &payload, qint64 createdAt)
{
    TapeEvent event;
    event.runId = runId;
    event.kind = kind;
    event.createdAt = createdAt >= 0 ? createdAt : QDateTime::currentMSecsSinceEpoch();
    event.payload = m_redactor.redact(payload);

    if (!m_appendQuery) {
        m_appendQuery.emplace(database());
        // seq is computed by the insert itself: the statement is atomic under SQLite's write
        // lock, so concurrent appends to one run can never collide or leave a gap.
        if (!m_appendQuery->prepare(QStringLiteral(
                    "INSERT INTO orchestrator_tape(run_id, seq, kind, created_at, payload) "
                    "VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM orchestrator_tape "
                    "WHERE run_id = ?), ?, ?, ?) RETURNING seq"))) {
            const Error e = sqlError(QStringLiteral("cannot prepare tape append"), *m_appendQuery);
            m_appendQuery.reset();
            return e;
        }
    }
    QSqlQuery &q = *m_appendQuery;
    q.bindValue(0, runId);
    q.bindValue(1, runId);
    q.bindValue(2, kind);
    q.bindValue(3, event.createdAt);
    q.bindValue(4, QString::fromUtf8(QJsonDocument(event.payload).toJson(QJsonDocument::Compact)));
    if (!q.exec()) {
        const Error e = sqlError(QStringLiteral("cannot append %1 to the tape of run %2")
                                         .arg(kind, runId),
                                 q);
        q.finish();
        return e;
    }
    if (!q.next()) {
        q.finish();
        return makeError(ErrorCode::Storage, QStringLiteral("tape append returned no seq"));
    }
    event.seq = q.value(0).toLongLong();
    q.finish();
    return event;
}

Result<QList<TapeEvent>> JournalStore::tape(const QString &runId, qint64 fromSeq, int limit,
                                            const QStringList &kinds) const
{
    QString sql = QStringLiteral("SELECT seq, kind, created_at, payload FROM orchestrator_tape "
                                 "WHERE run_id = ? AND seq >= ?");
    QVariantList binds{runId, fromSeq};
    if (!kinds.isEmpty()) {
        QStringList marks;
        for (const QString &k : kinds) {
            marks.append(QStringLiteral("?"));
            binds.append(k);
        }
        sql += QStringLiteral(" AND kind IN (") + marks.join(QLatin1Char(',')) + QLatin1Char(')');
    }
    sql += QStringLiteral(" ORDER BY seq LIMIT ?");
    binds.append(limit < 0 ? -1 : limit);
    auto q = execCached(sql, binds);
    if (!q)
        return q.error();
    QList<TapeEvent> events;
    while ((*q)->next()) {
        TapeEvent e;
        e.runId = runId;
        e.seq = (*q)->value(0).toLongLong();
        e.kind = (*q)->value(1).toString();
        e.createdAt = (*q)->value(2).toLongLong();
        e.payload = QJsonDocument::fromJson((*q)->value(3).toString().toUtf8()).object();
        events.append(std::move(e));
    }
    (*q)->finish();
    return events;
}

namespace {

// "?,?,?" for `kinds`, whose values join `binds`.
QString kindMarks(const QStringList &kinds, QVariantList &binds)
{
    QStringList marks;
    for (const QString &k : kinds) {
        marks.append(QStringLiteral("?"));
        binds.append(k);
    }
    return marks.join(QLatin1Char(','));
}

} // namespace

Result<QList<TapeEvent>> JournalStore::tapeFields(const QString &runId, const QStringList &kinds,
                                                  const QStringList &fields) const
{
    // json_extract with several paths answers a JSON array of their values, typed as stored.
    // (With one path it answers the bare value instead: an extra path that is never there
    // keeps the array.)
    QStringList paths;
    for (const QString &f : fields)
        paths.append(QStringLiteral("'$.%1'").arg(f));
    if (paths.size() == 1)
        paths.append(QStringLiteral("'$.\"\"'"));
    QVariantList binds{runId};
    const QString sql = QStringLiteral("SELECT seq, kind, created_at, json_extract(payload, %1) "
                                       "FROM orchestrator_tape WHERE run_id = ? AND kind IN (%2) "
                                       "ORDER BY seq")
                                .arg(paths.join(QStringLiteral(", ")), kindMarks(kinds, binds));
    auto q = exec(sql, binds);
    if (!q)
        return q.error();
    QList<TapeEvent> events;
    while (q->next()) {
        TapeEvent e;
        e.runId = runId;
        e.seq = q->value(0).toLongLong();
        e.kind = q->value(1).toString();
        e.createdAt = q->value(2).toLongLong();
        const QJsonArray array = QJsonDocument::fromJson(q->value(3).toString().toUtf8()).array();
        for (int i = 0; i < fields.size() && i < array.size(); ++i) {
            if (!array.at(i).isNull())
                e.payload.insert(fields.at(i), array.at(i));
        }
        events.append(std::move(e));
    }
    return events;
}

Result<qint64> JournalStore::tapeSeqFromEnd(const QString &runId, const QStringList &kinds,
                                            int offset) const
{
    QVariantList binds{runId};
    const QString marks = kindMarks(kinds, binds);
    binds.append(offset);
    auto q = exec(QStringLiteral("SELECT seq FROM orchestrator_tape WHERE run_id = ? AND kind IN "
                                 "(%1) ORDER BY seq DESC LIMIT 1 OFFSET ?")
                          .arg(marks),
                  binds);
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Result<qint64> JournalStore::tapeCount(const QString &runId, qint64 beforeSeq,
                                       const QStringList &kinds) const
{
    QVariantList binds{runId, beforeSeq};
    const QString marks = kindMarks(kinds, binds);
    auto q = exec(QStringLiteral("SELECT COUNT(*) FROM orchestrator_tape WHERE run_id = ? AND "
                                 "seq < ? AND kind IN (%1)")
                          .arg(marks),
                  binds);
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Result<qint64> JournalStore::tapeLength(const QString &runId) const
{
    auto q = exec(QStringLiteral("SELECT COALESCE(MAX(seq), 0) FROM orchestrator_tape "
                                 "WHERE run_id = ?"),
                  {runId});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Result<QList<TapeRow>> JournalStore::tapeRows(const QString &runId, qint64 afterSeq, int limit,
                                              const TapeFilter &filter) const
{
    QString sql = QStringLiteral("SELECT seq, kind, created_at, payload FROM orchestrator_tape "
                                 "WHERE run_id = ? AND seq > ?");
    QVariantList binds{runId, afterSeq};
    if (!filter.kinds.isEmpty()) {
        QStringList marks;
        for (const QString &k : filter.kinds) {
            marks.append(QStringLiteral("?"));
            binds.append(k);
        }
        sql += QStringLiteral(" AND kind IN (") + marks.join(QLatin1Char(',')) + QLatin1Char(')');
    }
    if (!filter.text.isEmpty()) {
        QString like = filter.text;
        like.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
                .replace(QLatin1Char('%'), QStringLiteral("\\%"))
                .replace(QLatin1Char('_'), QStringLiteral("\\_"));
        sql += QStringLiteral(" AND (payload LIKE ? ESCAPE '\\' OR kind LIKE ? ESCAPE '\\')");
        binds << QString(QLatin1Char('%') + like + QLatin1Char('%'))
              << QString(QLatin1Char('%') + like + QLatin1Char('%'));
    }
    sql += QStringLiteral(" ORDER BY seq LIMIT ?");
    binds.append(limit);
    auto q = execCached(sql, binds);
    if (!q)
        return q.error();
    QList<TapeRow> rows;
    rows.reserve(limit);
    TapeEvent e;
    e.runId = runId;
    while ((*q)->next()) {
        e.seq = (*q)->value(0).toLongLong();
        e.kind = (*q)->value(1).toString();
        e.createdAt = (*q)->value(2).toLongLong();
        e.payload = QJsonDocument::fromJson((*q)->value(3).toString().toUtf8()).object();
        rows.append(TapeRow{e.seq, e.kind, e.createdAt, e.summary()});
    }
    (*q)->finish();
    return rows;
}

Result<TapeEvent> JournalStore::tapeEvent(const QString &runId, qint64 seq) const
{
    auto events = tape(runId, seq, 1);
    if (!events)
        return events.error();
    if (events->isEmpty() || events->constFirst().seq != seq)
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("run %1 has no event %2").arg(runId).arg(seq));
    return events->constFirst();
}

qint64 JournalStore::dataVersion() const
{
    QSqlQuery q(database());
    if (q.exec(QStringLiteral("PRAGMA data_version")) && q.next())
        return q.value(0).toLongLong();
    return -1;
}

bool JournalStore::hasRoom() const
{
    auto pages = exec(QStringLiteral("PRAGMA page_count"));
    auto limit = exec(QStringLiteral("PRAGMA max_page_count"));
    if (!pages || !limit || !pages->next() || !limit->next())
        return false;
    if (pages->value(0).toLongLong() >= limit->value(0).toLongLong())
        return false;
    constexpr qint64 kRoomBytes = 1024 * 1024; // WAL frames for a run, and a checkpoint
    const QStorageInfo disk(QFileInfo(m_path).absolutePath());
    return !disk.isValid() || disk.bytesAvailable() >= kRoomBytes;
}

Result<JournalHealth> JournalStore::health(bool runQuickCheck) const
{
    JournalHealth h;
    h.path = m_path;
    h.fileBytes = QFileInfo(m_path).size();
    h.walBytes = QFileInfo(m_path + QStringLiteral("-wal")).size();
    h.schemaVersion = schemaVersion();
    h.syncedCommits = m_commits.synced;
    h.deferredCommits = m_commits.deferred;
    h.check = QStringLiteral("not checked");
    h.lastFullCheckMs = m_lastFullCheckMs;
    if (runQuickCheck) {
        QSqlQuery q(database());
        if (!q.exec(QStringLiteral("PRAGMA quick_check")))
            return failure(QStringLiteral("integrity check failed"), q.lastError());
        QStringList lines;
        while (q.next())
            lines.append(q.value(0).toString());
        h.check = lines.join(QStringLiteral("; "));
    }
    auto count = exec(QStringLiteral("SELECT COUNT(*) FROM orchestrator_tape"));
    if (count && count->next())
        h.tapeEvents = count->value(0).toLongLong();
    return h;
}

} // namespace Spool
