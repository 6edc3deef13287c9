#pragma once

#include "core/redactor.h"
#include "core/result.h"
#include "journal/journalhealth.h"
#include "journal/tapeevent.h"

#include <QList>
#include <QSqlQuery>
#include <QString>
#include <QVariantList>

#include <functional>
#include <map>
#include <optional>

class QSqlDatabase;
class QSqlError;

namespace Spool {

// The SQLite journal: one named QSQLITE connection, owned by the thread that opened it.
//
// open() never modifies a file that is not a healthy SQLite database: a file that is not
// SQLite, fails `PRAGMA quick_check` (run on a read-only connection, which never checkpoints),
// has a write-ahead log with a damaged header, or carries a newer schema is left byte-for-byte
// as it was, with its WAL, and reported with its path.
//
// quick_check reads every page (0.2 s for a 100 MB journal), so it runs only when the journal
// is in doubt (JournalStamp says when: after a crash, a copy, or a change by anything but
// Spool, and at least weekly). Other opens check the header, the schema and the WAL's header;
// damage in a page they do not read is reported, naming the file, by the first statement that
// reads it. Otherwise it turns on WAL,
// synchronous=FULL, foreign keys and a busy timeout, and applies pending migrations. On a full
// disk it still opens for reading (see isExclusive()); writes then fail with
// ErrorCode::DiskFull and a message naming the data folder.
class JournalStore
{
public:
    JournalStore();
    ~JournalStore();
    JournalStore(const JournalStore &) = delete;
    JournalStore &operator=(const JournalStore &) = delete;

    // targetVersion < 0 means the latest schema; tests open older schemas on purpose.
    Status open(const QString &path, const QString &connectionName, int targetVersion = -1);
    void close();
    bool isOpen() const { return !m_connectionName.isEmpty(); }
    // Whether the last open() ran quick_check over the whole journal (see above).
    bool checkedInFull() const { return m_checkedInFull; }

    // True when open() could read the journal only with exclusive locking (its shared-memory
    // index could not be created, as on a full disk): other processes wait until close().
    bool isExclusive() const { return m_exclusive; }

    QString path() const { return m_path; }
    QString connectionName() const { return m_connectionName; }
    QSqlDatabase database() const;
    int schemaVersion() const;

    // How one transaction's commit reaches the disk when the journal is at Durability::Full.
    // Durable: the commit syncs the WAL, and with it every commit written before it. Deferred:
    // the commit is written to the WAL without a sync, so it survives Spool being killed and
    // becomes durable with the next durable commit; an OS crash or power cut before that may
    // lose it, never the journal's consistency. A run groups its steps this way (SPEC §10):
    // durable when accepted, before a tool acts on the world, and at its end.
    enum class Commit { Durable, Deferred };

    // Runs `work` inside BEGIN IMMEDIATE ... COMMIT; rolls back when it fails. Nested calls join
    // the outer transaction (and its kind of commit).
    Status transaction(const std::function<Status()> &work, Commit commit = Commit::Durable);

    // Commits made through transaction() since open(), by whether they synced the disk.
    struct CommitCounts
    {
        qint64 synced = 0;
        qint64 deferred = 0;
    };
    CommitCounts commitCounts() const { return m_commits; }

    // Prepares, binds positionally and executes one statement.
    Result<QSqlQuery> exec(const QString &sql, const QVariantList &binds = {}) const;
    // Like exec(), for hot statements: prepared once per connection and reused. The caller
    // reads the rows before it runs the same statement again, and must not keep the query.
    Result<QSqlQuery *> execCached(const QString &sql, const QVariantList &binds = {}) const;

    // How commits reach the disk (PRAGMA synchronous), set before open(). FULL (the default)
    // syncs the WAL on every commit: nothing committed is lost even on power loss. NORMAL syncs
    // at checkpoints only: a crash of Spool loses nothing, an OS crash or power cut may lose the
    // last commits. Both keep the journal consistent.
    enum class Durability { Full, Normal };
    void setDurability(Durability durability) { m_durability = durability; }

    void setRedactor(const Redactor &redactor) { m_redactor = redactor; }
    const Redactor &redactor() const { return m_redactor; }

    // Appends one event to the run's tape; seq is assigned by the insert itself. The payload is
    // redacted first. createdAt < 0 means now.
    Result<TapeEvent> appendTape(const QString &runId, const QString &kind,
                                 const QJsonObject &payload, qint64 createdAt = -1);
    Result<QList<TapeEvent>> tape(const QString &runId, qint64 fromSeq = 1, int limit = -1,
                                  const QStringList &kinds = {}) const;
    Result<qint64> tapeLength(const QString &runId) const;
    // A page of rows after `afterSeq`, matching the filter, in seq order.
    Result<QList<TapeRow>> tapeRows(const QString &runId, qint64 afterSeq, int limit,
                                    const TapeFilter &filter = {}) const;
    Result<TapeEvent> tapeEvent(const QString &runId, qint64 seq) const;
    // The run's events of `kinds` in seq order, each payload holding only `fields` (read by
    // SQLite, so a long run is not parsed whole).
    Result<QList<TapeEvent>> tapeFields(const QString &runId, const QStringList &kinds,
                                        const QStringList &fields) const;
    // The seq of the event `offset` places before the newest of `kinds` (0: the newest), or 0
    // when the run has no more than `offset` of them.
    Result<qint64> tapeSeqFromEnd(const QString &runId, const QStringList &kinds, int offset) const;
    // How many events of `kinds` come before `beforeSeq`.
    Result<qint64> tapeCount(const QString &runId, qint64 beforeSeq, const QStringList &kinds) const;

    // PRAGMA data_version: changes whenever another connection (another process) commits.
    qint64 dataVersion() const;
    Result<JournalHealth> health(bool runQuickCheck) const;

    // Whether a write that needs new pages can go through: the journal is under its own size
    // limit (max_page_count) and its disk has a megabyte free. A small write succeeding
    // (a heartbeat rewriting a page) does not say so after a full disk.
    bool hasRoom() const;

    // Called with every write the full disk refuses, for a front end to show.
    void setDiskFullObserver(std::function<void(const Error &)> observer)
    {
        m_storageObserver = std::move(observer);
    }

private:
    Error failure(const QString &what, const QSqlError &error) const;
    Error sqlError(const QString &what, const QSqlQuery &query) const;
    Status validateExisting(const QString &path) const;
    Status connect(const QString &connectionName, bool readOnly, bool exclusive);
    Status checkIntegrity(bool full);
    Status configure();
    Status migrate(int targetVersion);

    QString m_path;
    QString m_connectionName;
    Redactor m_redactor;
    Durability m_durability = Durability::Full;
    bool m_exclusive = false;
    bool m_checkedInFull = false;
    qint64 m_lastFullCheckMs = 0; // since the epoch, carried in the stamp
    bool m_stampOnClose = false;  // opened: a clean close leaves the JournalStamp
    int m_transactionDepth = 0;
    CommitCounts m_commits;
    std::optional<QSqlQuery> m_appendQuery;
    mutable std::map<QString, QSqlQuery> m_cache;
    std::function<void(const Error &)> m_storageObserver;
};

} // namespace Spool
