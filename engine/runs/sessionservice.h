#pragma once

#include "sessions/sessions.h"

#include <QObject>

namespace Spool {

class Agents;
class InstanceTracker;
class RunStore;
class SessionDesk;
class SessionExchange;
class SessionFork;

// The sessions as front ends see them: the SessionDesk's sessions, with what needs the runs
// (their usage, a delete refused while one is in flight, a fork at a run), the agents (a new
// session's must exist) and the attachments library (forks, export, import).
class SessionService : public QObject, public Sessions
{
    Q_OBJECT
public:
    struct Areas
    {
        SessionDesk &sessions;
        const Agents &agents;
        const RunStore &runs;
        const InstanceTracker &instances;
        SessionFork &fork;
        SessionExchange &exchange;
    };
    struct Binding
    {
        QString principal;
        QString deviceId;
        // Where a session without a folder of its own works: <root>/<session id>.
        QString workspaceRoot;
    };
    SessionService(Areas areas, Binding binding, QObject *parent = nullptr);

    Result<SessionResolution> resolve(const SessionSelector &selector, bool create,
                                      const QString &agent = {}) override;
    Result<SessionInfo> find(const QString &idOrKey) const override;
    Result<QList<SessionInfo>> list(const SessionFilter &filter = {}) const override;
    Result<SessionInfo> rename(const QString &idOrKey, const QString &title) override;
    Result<SessionInfo> archive(const QString &idOrKey) override;
    Result<SessionInfo> restore(const QString &idOrKey) override;
    Status remove(const QString &idOrKey) override;
    Result<SessionInfo> reset(const QString &idOrKey) override;
    Result<SessionInfo> setModel(const QString &idOrKey, const QString &model) override;
    Result<SessionInfo> setWorkspace(const QString &idOrKey, const QString &folder) override;
    QString effectiveWorkspace(const SessionInfo &session) const override;
    Result<TokenUsage> usage(const QString &sessionId) const override;
    Result<SessionInfo> fork(const QString &idOrKey, const QString &atRun = {}) override;
    Result<ExportReport> exportSessions(const ExportRequest &request,
                                        QIODevice *device = nullptr) const override;
    Result<ImportReport> importSessions(const QString &path) override;

signals:
    // Any session was created, changed or removed.
    void changed();

private:
    Areas m_areas;
    Binding m_binding;
};

} // namespace Spool
