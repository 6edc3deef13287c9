#include "sessions/sessiondesk.h"

#include "core/logging.h"
#include "sessions/sessionstore.h"

#include <QFileInfo>

namespace Spool {

SessionDesk::SessionDesk(JournalStore &journal, const SessionBinding &binding, QObject *parent)
    : QObject(parent), m_binding(binding), m_store(std::make_unique<SessionStore>(journal)),
      m_resolver(std::make_unique<SessionResolver>(*m_store))
{
}

SessionDesk::~SessionDesk() = default;

template<typename R>
R SessionDesk::changedIf(R result)
{
    if (result)
        emit changed();
    return result;
}

Result<SessionResolution> SessionDesk::resolve(const SessionSelector &selector, bool create,
                                               const QString &agentForNew)
{
    auto r = m_resolver->resolve(selector, m_binding, create, agentForNew);
    if (r && r->created)
        emit changed();
    return r;
}

Result<SessionInfo> SessionDesk::find(const QString &idOrKey) const
{
    auto s = m_store->find(idOrKey);
    if (s && s->principal != m_binding.principal) {
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("session %1 belongs to principal \"%2\"")
                                 .arg(s->id, s->principal));
    }
    return s;
}

Result<QList<SessionInfo>> SessionDesk::list(SessionFilter filter) const
{
    filter.principal = m_binding.principal;
    return m_store->list(filter);
}

Result<SessionInfo> SessionDesk::rename(const QString &idOrKey, const QString &title)
{
    auto s = find(idOrKey);
    return s ? changedIf(m_store->rename(s->id, title)) : s;
}

Result<SessionInfo> SessionDesk::archive(const QString &idOrKey)
{
    auto s = find(idOrKey);
    return s ? changedIf(m_store->archive(s->id)) : s;
}

Result<SessionInfo> SessionDesk::restore(const QString &idOrKey)
{
    auto s = m_store->find(idOrKey);
    return s ? changedIf(m_store->restore(s->id)) : s;
}

Status SessionDesk::remove(const QString &id)
{
    return changedIf(m_store->remove(id));
}

Result<SessionInfo> SessionDesk::reset(const QString &idOrKey)
{
    auto s = find(idOrKey);
    return s ? changedIf(m_store->reset(s->id)) : s;
}

Result<SessionInfo> SessionDesk::setModel(const QString &idOrKey, const QString &model)
{
    auto s = find(idOrKey);
    return s ? changedIf(m_store->setModel(s->id, model.trimmed())) : s;
}

Result<SessionInfo> SessionDesk::setWorkspace(const QString &idOrKey, const QString &folder)
{
    auto s = find(idOrKey);
    if (!s)
        return s;
    QString path;
    if (!folder.trimmed().isEmpty()) {
        const QFileInfo info(folder);
        if (!info.isAbsolute())
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("the workspace must be an absolute path: %1").arg(folder));
        if (!info.isDir())
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("the workspace %1 is not an existing folder").arg(folder));
        path = info.canonicalFilePath();
    }
    return changedIf(m_store->setWorkspace(s->id, path));
}

void SessionDesk::noteInput(const QString &id, const QString &text, qint64 when)
{
    // Bookkeeping: a failure is logged, the run goes on.
    if (Status s = m_store->setAutoTitle(id, SessionStore::titleFromText(text)); !s)
        qCWarning(lcSessions) << "cannot set the session title:" << s.errorMessage();
    if (Status s = m_store->touch(id, when); !s)
        qCWarning(lcSessions) << "cannot update the session:" << s.errorMessage();
    emit changed();
}

} // namespace Spool
