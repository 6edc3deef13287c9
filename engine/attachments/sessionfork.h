#pragma once

#include "core/result.h"
#include "sessions/sessioninfo.h"

namespace Spool {

class JournalStore;
class SessionStore;

// "Fork from here" (SPEC §4): a new session whose context is its parent's runs up to a run,
// then its own. Nothing of the tape is copied: the fork links to the parent (ContextBuilder
// follows the link), and the parent cannot be deleted while a fork needs it.
class SessionFork
{
public:
    SessionFork(JournalStore &journal, SessionStore &sessions);

    // `atOrdinal` is the ordinal of the parent's last run the fork keeps (1..parent.runCount).
    Result<SessionInfo> fork(const SessionInfo &parent, int atOrdinal, const QString &principal,
                             const QString &deviceId);

    static QString forkTitle(const SessionInfo &parent, int atOrdinal);

private:
    JournalStore &m_journal;
    SessionStore &m_sessions;
};

} // namespace Spool
