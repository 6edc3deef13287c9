#pragma once

#include "core/result.h"
#include "sessions/sessioninfo.h"

#include <QList>

namespace Spool {

class JournalStore;

// Persistence of sessions in the journal. Binding rules live in SessionResolver.
class SessionStore
{
public:
    explicit SessionStore(JournalStore &journal);

    // 1-128 characters of A-Za-z0-9._:-
    static Status validateKey(const QString &key);
    // A title from a first message: its first line, trimmed to a readable length.
    static QString titleFromText(const QString &text);

    Result<SessionInfo> create(const QString &key, const QString &principal,
                               const QString &deviceId, const QString &agent);
    Result<SessionInfo> byId(const QString &id) const;
    // Live sessions only: archived ones have released their key.
    Result<SessionInfo> byLiveKey(const QString &key) const;
    // By id, or else by live key, or else by a unique id prefix (for typing on a terminal).
    Result<SessionInfo> find(const QString &idOrKey) const;
    Result<QList<SessionInfo>> list(const SessionFilter &filter = {}) const;

    Result<SessionInfo> rename(const QString &id, const QString &title);
    // Sets the title from the first message unless the user has named the session.
    Status setAutoTitle(const QString &id, const QString &title);
    Result<SessionInfo> archive(const QString &id);
    Result<SessionInfo> restore(const QString &id);
    // Refused while forks link to the session.
    Status remove(const QString &id);
    // Makes `id` a fork of `parentId`: its context starts with the parent's runs in
    // (floor, ordinal].
    Status setForkOrigin(const QString &id, const QString &parentId, int ordinal, int floor);
    Result<SessionInfo> reset(const QString &id);
    Result<SessionInfo> setModel(const QString &id, const QString &model);
    Result<SessionInfo> setWorkspace(const QString &id, const QString &folder);
    Status touch(const QString &id, qint64 when);
    // Sessions not archived.
    Result<qint64> countLive() const;

private:
    Result<QList<SessionInfo>> query(const QString &where, const QVariantList &binds,
                                     const QString &tail = {}) const;
    Result<SessionInfo> single(const QString &where, const QVariantList &binds,
                               const QString &notFound) const;

    JournalStore &m_journal;
};

} // namespace Spool
