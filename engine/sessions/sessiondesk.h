#pragma once

#include "core/result.h"
#include "sessions/sessioninfo.h"
#include "sessions/sessionresolver.h"

#include <QObject>

#include <memory>

namespace Spool {

class JournalStore;
class SessionStore;

// The sessions of one principal on one device (SPEC §4): resolution by key or id, and every
// change a front end makes, refused for a session bound to someone else. Announces changes.
class SessionDesk : public QObject
{
    Q_OBJECT
public:
    SessionDesk(JournalStore &journal, const SessionBinding &binding, QObject *parent = nullptr);
    ~SessionDesk() override;

    SessionStore &store() { return *m_store; }
    const SessionStore &store() const { return *m_store; }

    // Finds or (when `create`) creates the session; a new one is bound to `agentForNew`.
    Result<SessionResolution> resolve(const SessionSelector &selector, bool create,
                                      const QString &agentForNew);
    // A session of this principal, by id, live key or unique id prefix.
    Result<SessionInfo> find(const QString &idOrKey) const;
    Result<QList<SessionInfo>> list(SessionFilter filter) const;
    Result<SessionInfo> rename(const QString &idOrKey, const QString &title);
    Result<SessionInfo> archive(const QString &idOrKey);
    // Archived sessions have released their key: found by id or a unique id prefix.
    Result<SessionInfo> restore(const QString &idOrKey);
    Status remove(const QString &id);
    Result<SessionInfo> reset(const QString &idOrKey);
    Result<SessionInfo> setModel(const QString &idOrKey, const QString &model);
    // An existing absolute folder, stored canonical; empty goes back to the default.
    Result<SessionInfo> setWorkspace(const QString &idOrKey, const QString &folder);
    // A run was started with `text`: the automatic title and the last activity follow.
    void noteInput(const QString &id, const QString &text, qint64 when);

signals:
    void changed();

private:
    // Announces a change when `result` succeeded.
    template<typename R>
    R changedIf(R result);

    SessionBinding m_binding;
    std::unique_ptr<SessionStore> m_store;
    std::unique_ptr<SessionResolver> m_resolver;
};

} // namespace Spool
