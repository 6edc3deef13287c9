#include "attachments/sessionfork.h"

#include "journal/journalstore.h"
#include "sessions/sessionstore.h"

namespace Spool {

SessionFork::SessionFork(JournalStore &journal, SessionStore &sessions)
    : m_journal(journal), m_sessions(sessions)
{
}

QString SessionFork::forkTitle(const SessionInfo &parent, int atOrdinal)
{
    const QString name = parent.title.isEmpty() ? parent.displayName() : parent.title;
    return QStringLiteral("%1 (fork at #%2)").arg(name).arg(atOrdinal);
}

Result<SessionInfo> SessionFork::fork(const SessionInfo &parent, int atOrdinal,
                                      const QString &principal, const QString &deviceId)
{
    if (atOrdinal < 1 || atOrdinal > parent.runCount)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("session %1 has no run #%2 to fork from")
                                 .arg(parent.displayName())
                                 .arg(atOrdinal));
    // The parent's context as it stood for that run: its reset floor if it came before.
    const int floor = parent.contextFloor < atOrdinal ? parent.contextFloor : 0;
    QString id;
    Status done = m_journal.transaction([&]() -> Status {
        auto created = m_sessions.create(QString(), principal, deviceId, parent.agent);
        if (!created)
            return created.error();
        id = created->id;
        if (Status s = m_sessions.setForkOrigin(id, parent.id, atOrdinal, floor); !s)
            return s;
        if (auto r = m_sessions.rename(id, forkTitle(parent, atOrdinal)); !r)
            return r.error();
        if (!parent.model.isEmpty()) {
            if (auto r = m_sessions.setModel(id, parent.model); !r)
                return r.error();
        }
        if (!parent.workspace.isEmpty()) {
            if (auto r = m_sessions.setWorkspace(id, parent.workspace); !r)
                return r.error();
        }
        return {};
    });
    if (!done)
        return done.error();
    return m_sessions.byId(id);
}

} // namespace Spool
