#pragma once

#include <QObject>

class QTimer;

namespace Spool {

class JournalStore;

// Keeps an eye on the journal for the process that owns it: ticks a heartbeat, and notices
// when another process (a CLI next to the window, say) has committed, with PRAGMA
// data_version, which moves only when another connection wrote. Cheap enough to poll often,
// so cancel requests and decisions made elsewhere arrive within a poll.
class JournalWatcher : public QObject
{
    Q_OBJECT
public:
    JournalWatcher(const JournalStore &journal, QObject *parent = nullptr);

    // Timers belong to the calling thread: start on the thread that owns the journal.
    void start(int heartbeatMs, int pollMs);
    void stop();

signals:
    void heartbeat(qint64 now);
    // Another connection committed since the last poll.
    void changedElsewhere();

private:
    void poll();

    const JournalStore &m_journal;
    QTimer *m_heartbeat = nullptr;
    QTimer *m_poll = nullptr;
    qint64 m_version = -1;
};

} // namespace Spool
