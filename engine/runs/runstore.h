#pragma once

#include "core/result.h"
#include "journal/tapeevent.h"
#include "providers/providertypes.h"
#include "runs/runinfo.h"

#include <QJsonObject>
#include <QList>
#include <QMap>

namespace Spool {

class JournalStore;

struct NewRun
{
    QString sessionId;
    QString agent;
    QString provider;
    QString model;
    QString inputPreview;
    QString ownerInstance;
    // The `input` event's payload, written with the run so the run is never without it.
    QJsonObject input;
    QString retryOf; // the run it retries: linked both ways on the tapes
};

// Run rows in the journal. Every state change goes through transition(), which checks the
// RunStateMachine and writes the row and its `run.status` tape event in one transaction.
class RunStore
{
public:
    explicit RunStore(JournalStore &journal);

    // Persists the run as `accepted`, with its first `run.status` event and its `input` event,
    // in one durable commit: the run is on disk before any work starts.
    Result<RunInfo> create(const NewRun &run);
    Result<RunInfo> get(const QString &id) const;
    // By full id or a unique prefix of at least 4 characters.
    Result<RunInfo> find(const QString &idOrPrefix) const;
    Result<QList<RunInfo>> list(const RunFilter &filter = {}) const;

    // Moves a run from its current state to `to`. An illegal change is refused with
    // ErrorCode::IllegalTransition and changes nothing. A terminal state is committed durably
    // (it is final before anyone is told); `running` is deferred to the run's next durable
    // commit (JournalStore::Commit).
    Result<TapeEvent> transition(const QString &id, RunState to, const QString &reason,
                                 const QString &detail = {}, const QJsonObject &extra = {});

    // Deferred, like the run's steps.
    Status addUsage(const QString &id, qint64 prompt, qint64 completion);
    // Records a cancel request; the owning process acts on it (possibly another process).
    Status requestCancel(const QString &id, const QString &by);
    Result<QList<RunInfo>> cancelRequests(const QString &ownerInstance) const;
    Status heartbeat(const QString &ownerInstance, qint64 when);

    // Runs that wait for an approval (running, with a pending or decided but not applied
    // approval), oldest first, whoever owns them.
    Result<QList<RunInfo>> waitingRuns() const;
    // Hands a running run from `from` to `to` (empty: nobody, a released run), only if `from`
    // still owns it, with a `run.owner` event carrying `payload`. Conflict otherwise: two
    // processes can never both take a run.
    Result<TapeEvent> changeOwner(const QString &id, const QString &from, const QString &to,
                                  const QJsonObject &payload);

    // Runs of the whole journal by state name.
    Result<QMap<QString, qint64>> countByState() const;
    // Tokens used by all the session's runs.
    Result<TokenUsage> sessionUsage(const QString &sessionId) const;
    // The ids of a session's runs with afterOrdinal < ordinal < beforeOrdinal, newest first, at
    // most `limit`.
    Result<QStringList> idsBefore(const QString &sessionId, int beforeOrdinal, int limit,
                                  int afterOrdinal = 0) const;

private:
    JournalStore &m_journal;
};

} // namespace Spool
