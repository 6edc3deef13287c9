#include "runs/sessionservice.h"

#include "agents/agents.h"
#include "attachments/exportreport.h"
#include "attachments/exportrequest.h"
#include "attachments/importreport.h"
#include "attachments/sessionexchange.h"
#include "attachments/sessionfork.h"
#include "runs/instancetracker.h"
#include "runs/runstore.h"
#include "sessions/sessiondesk.h"
#include "tools/workspace.h"

namespace Spool {

SessionService::SessionService(Areas areas, Binding binding, QObject *parent)
    : QObject(parent), m_areas(areas), m_binding(std::move(binding))
{
    connect(&m_areas.sessions, &SessionDesk::changed, this, &SessionService::changed);
}

Result<SessionResolution> SessionService::resolve(const SessionSelector &selector, bool create,
                                                  const QString &agent)
{
    const QString agentName = agent.isEmpty() ? Agent::defaultName() : agent;
    if (auto a = m_areas.agents.get(agentName); !a)
        return a.error();
    return m_areas.sessions.resolve(selector, create, agentName);
}

Result<SessionInfo> SessionService::find(const QString &idOrKey) const
{
    return m_areas.sessions.find(idOrKey);
}

Result<QList<SessionInfo>> SessionService::list(const SessionFilter &filter) const
{
    return m_areas.sessions.list(filter);
}

Result<SessionInfo> SessionService::rename(const QString &idOrKey, const QString &title)
{
    return m_areas.sessions.rename(idOrKey, title);
}

Result<SessionInfo> SessionService::archive(const QString &idOrKey)
{
    return m_areas.sessions.archive(idOrKey);
}

Result<SessionInfo> SessionService::restore(const QString &idOrKey)
{
    return m_areas.sessions.restore(idOrKey);
}

Status SessionService::remove(const QString &idOrKey)
{
    auto s = m_areas.sessions.find(idOrKey);
    if (!s)
        return s.error();
    auto active = m_areas.runs.list(RunFilter{s->id, true, {}, 1, true});
    if (active && !active->isEmpty()) {
        const bool here = active->constFirst().ownerInstance == m_areas.instances.self().id;
        const QString where = here ? QString() : QStringLiteral(" in another process");
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("session %1 has a run in progress%2; cancel it first")
                                 .arg(s->id, where));
    }
    return m_areas.sessions.remove(s->id);
}

Result<SessionInfo> SessionService::reset(const QString &idOrKey)
{
    return m_areas.sessions.reset(idOrKey);
}

Result<SessionInfo> SessionService::setModel(const QString &idOrKey, const QString &model)
{
    return m_areas.sessions.setModel(idOrKey, model);
}

Result<SessionInfo> SessionService::setWorkspace(const QString &idOrKey, const QString &folder)
{
    return m_areas.sessions.setWorkspace(idOrKey, folder);
}

QString SessionService::effectiveWorkspace(const SessionInfo &session) const
{
    if (!session.workspace.isEmpty())
        return session.workspace;
    return Workspace::defaultFolder(m_binding.workspaceRoot, session.id);
}

Result<TokenUsage> SessionService::usage(const QString &sessionId) const
{
    return m_areas.runs.sessionUsage(sessionId);
}

Result<SessionInfo> SessionService::fork(const QString &idOrKey, const QString &atRun)
{
    auto parent = m_areas.sessions.find(idOrKey);
    if (!parent)
        return parent;
    int ordinal = parent->runCount;
    if (!atRun.isEmpty()) {
        auto run = m_areas.runs.find(atRun);
        if (!run)
            return run.error();
        if (run->sessionId != parent->id)
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("run %1 belongs to another session, not %2")
                                     .arg(run->id, parent->displayName()));
        ordinal = run->ordinal;
    }
    auto fork = m_areas.fork.fork(*parent, ordinal, m_binding.principal, m_binding.deviceId);
    if (fork)
        emit changed();
    return fork;
}

Result<ExportReport> SessionService::exportSessions(const ExportRequest &request,
                                                    QIODevice *device) const
{
    auto chosen = SessionExchange::exportOrder(request, m_areas.sessions);
    if (!chosen)
        return chosen.error();
    return m_areas.exchange.exportSessions(*chosen, request.format, request.path, device);
}

Result<ImportReport> SessionService::importSessions(const QString &path)
{
    auto report = m_areas.exchange.importFile(path, m_binding.principal, m_binding.deviceId,
                                              m_areas.instances.self().id);
    if (report)
        emit changed();
    return report;
}

} // namespace Spool
