#include "journal/journalwatcher.h"

#include "journal/journalstore.h"

#include <QDateTime>
#include <QTimer>

namespace Spool {

JournalWatcher::JournalWatcher(const JournalStore &journal, QObject *parent)
    : QObject(parent), m_journal(journal)
{
}

void JournalWatcher::start(int heartbeatMs, int pollMs)
{
    m_version = m_journal.dataVersion();
    m_heartbeat = new QTimer(this);
    connect(m_heartbeat, &QTimer::timeout, this,
            [this] { emit heartbeat(QDateTime::currentMSecsSinceEpoch()); });
    m_heartbeat->start(heartbeatMs);
    m_poll = new QTimer(this);
    connect(m_poll, &QTimer::timeout, this, &JournalWatcher::poll);
    m_poll->start(pollMs);
}

void JournalWatcher::stop()
{
    if (m_heartbeat)
        m_heartbeat->stop();
    if (m_poll)
        m_poll->stop();
}

void JournalWatcher::poll()
{
    const qint64 version = m_journal.dataVersion();
    if (version == m_version)
        return;
    m_version = version;
    emit changedElsewhere();
}

} // namespace Spool
