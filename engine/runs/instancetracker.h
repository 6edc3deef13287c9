#pragma once

#include "core/result.h"

#include <QString>
#include <QVariantList>

namespace Spool {

class JournalStore;

// A process that opened the journal. Several may share one journal (the GUI and a `spool chat`
// in a terminal); each owns the runs it started.
struct InstanceRecord
{
    QString id;
    qint64 pid = 0;
    QString host;      // host name and boot id: a reboot ends every earlier instance
    QString procStart; // the process start time from /proc, to tell a reused pid apart
    QString frontEnd;  // "gui", "cli", "api", "test"
    qint64 startedAt = 0;
    qint64 heartbeatAt = 0;
    qint64 stoppedAt = 0;
};

// Registers this process in the journal, keeps its heartbeat, and judges whether the owner of
// a run is still alive: on the same machine by its pid and start time (so a `kill -9` is seen
// at once), elsewhere by a heartbeat older than the stale limit.
class InstanceTracker
{
public:
    explicit InstanceTracker(JournalStore &journal);

    Status registerSelf(const QString &frontEnd);
    Status heartbeat(qint64 when);
    Status markStopped();

    const InstanceRecord &self() const { return m_self; }
    Result<InstanceRecord> get(const QString &id) const;
    bool isAlive(const InstanceRecord &instance, qint64 now, qint64 staleAfterMs) const;

private:
    Status write(const QString &sql, const QVariantList &values);

    JournalStore &m_journal;
    InstanceRecord m_self;
};

} // namespace Spool
