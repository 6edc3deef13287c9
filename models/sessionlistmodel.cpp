#include "sessionlistmodel.h"

namespace Spool {

SessionListModel::SessionListModel(QObject *parent) : QAbstractListModel(parent) {}

int SessionListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_sessions.size());
}

QVariant SessionListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SessionInfo &s = m_sessions.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return s.title.isEmpty() ? tr("New session") : s.title;
    case Qt::ToolTipRole:
        return s.key.isEmpty() ? s.id : tr("%1 (key %2)").arg(s.id, s.key);
    case IdRole: return s.id;
    case KeyRole: return s.key;
    case TitleRole: return s.title;
    case LastActivityRole: return s.lastActivityAt;
    case ArchivedRole: return s.isArchived();
    case RunCountRole: return s.runCount;
    default: return {};
    }
}

QHash<int, QByteArray> SessionListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(IdRole, "sessionId");
    names.insert(KeyRole, "key");
    names.insert(TitleRole, "title");
    names.insert(LastActivityRole, "lastActivity");
    names.insert(ArchivedRole, "archived");
    names.insert(RunCountRole, "runCount");
    return names;
}

void SessionListModel::setSessions(const QList<SessionInfo> &sessions)
{
    beginResetModel();
    m_sessions = sessions;
    endResetModel();
}

int SessionListModel::rowOf(const QString &sessionId) const
{
    for (int i = 0; i < m_sessions.size(); ++i) {
        if (m_sessions.at(i).id == sessionId)
            return i;
    }
    return -1;
}

} // namespace Spool
