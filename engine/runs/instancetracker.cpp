#include "runs/instancetracker.h"

#include "core/processidentity.h"
#include "core/ulid.h"
#include "journal/journalstore.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QSqlQuery>

namespace Spool {

InstanceTracker::InstanceTracker(JournalStore &journal) : m_journal(journal) {}

Status InstanceTracker::write(const QString &sql, const QVariantList &values)
{
    // Liveness only: who is alive is read from the process table as much as from here, so
    // these rows need no sync of their own (a power cut ends the processes they describe).
    // Each rides on the next durable commit, which saves a one-shot command three syncs.
    return m_journal.transaction([&] { return m_journal.exec(sql, values).error(); },
                                 JournalStore::Commit::Deferred);
}

Status InstanceTracker::registerSelf(const QString &frontEnd)
{
    const qint64 t = QDateTime::currentMSecsSinceEpoch();
    m_self = InstanceRecord{};
    m_self.id = Ulid::generate();
    m_self.pid = QCoreApplication::applicationPid();
    m_self.host = ProcessIdentity::currentHost();
    m_self.procStart = ProcessIdentity::startTime(m_self.pid);
    m_self.frontEnd = frontEnd;
    m_self.startedAt = t;
    m_self.heartbeatAt = t;
    return write(QStringLiteral("INSERT INTO instances(id, pid, host, proc_start, front_end, "
                                "started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                 {m_self.id, m_self.pid, m_self.host, m_self.procStart, frontEnd, t, t});
}

Status InstanceTracker::heartbeat(qint64 when)
{
    m_self.heartbeatAt = when;
    // Inserts the row too when registerSelf() could not (a full disk at start), so this
    // process is known again as soon as the disk has room.
    return write(QStringLiteral("INSERT INTO instances(id, pid, host, proc_start, front_end, "
                                "started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                                "ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at"),
                 {m_self.id, m_self.pid, m_self.host, m_self.procStart, m_self.frontEnd,
                  m_self.startedAt, when});
}

Status InstanceTracker::markStopped()
{
    if (m_self.id.isEmpty())
        return {};
    return write(QStringLiteral("UPDATE instances SET stopped_at = ? WHERE id = ?"),
                 {QDateTime::currentMSecsSinceEpoch(), m_self.id});
}

Result<InstanceRecord> InstanceTracker::get(const QString &id) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT id, pid, host, proc_start, front_end, "
                                           "started_at, heartbeat_at, COALESCE(stopped_at, 0) "
                                           "FROM instances WHERE id = ?"),
                            {id});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no instance %1").arg(id));
    InstanceRecord r;
    r.id = q->value(0).toString();
    r.pid = q->value(1).toLongLong();
    r.host = q->value(2).toString();
    r.procStart = q->value(3).toString();
    r.frontEnd = q->value(4).toString();
    r.startedAt = q->value(5).toLongLong();
    r.heartbeatAt = q->value(6).toLongLong();
    r.stoppedAt = q->value(7).toLongLong();
    return r;
}

bool InstanceTracker::isAlive(const InstanceRecord &instance, qint64 now,
                              qint64 staleAfterMs) const
{
    if (instance.id == m_self.id)
        return true;
    if (instance.stoppedAt != 0)
        return false;
    if (instance.host == m_self.host) {
        if (instance.procStart.isEmpty())
            return now - instance.heartbeatAt < staleAfterMs;
        return ProcessIdentity::startTime(instance.pid) == instance.procStart;
    }
    // Same host name but another boot: that process is gone.
    const QString hostName = instance.host.section(QLatin1Char('/'), 0, 0);
    if (hostName == m_self.host.section(QLatin1Char('/'), 0, 0))
        return false;
    return now - instance.heartbeatAt < staleAfterMs;
}

} // namespace Spool
