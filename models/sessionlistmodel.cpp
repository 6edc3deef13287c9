#include "sessionlistmodel.h"

#include <QDateTime>

namespace Spool {

SessionListModel::SessionListModel(QObject *parent)
    : KeyedTableModel<SessionInfo>(parent), m_today(QDate::currentDate())
{
}

int SessionListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : 1;
}

void SessionListModel::setToday(const QDate &today)
{
    if (today == m_today)
        return;
    m_today = today;
    if (!m_rows.isEmpty())
        emit dataChanged(index(0, 0), index(rowCount() - 1, 0), {GroupRole});
}

QString SessionListModel::groupOf(const SessionInfo &s) const
{
    if (s.isArchived())
        return tr("Archived");
    const QDate day = QDateTime::fromMSecsSinceEpoch(s.lastActivityAt).date();
    const qint64 age = day.daysTo(m_today);
    if (age <= 0)
        return tr("Today");
    if (age == 1)
        return tr("Yesterday");
    if (age < 7)
        return tr("Previous 7 days");
    if (age < 30)
        return tr("Previous 30 days");
    return tr("Older");
}

QVariant SessionListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const SessionInfo &s = m_rows.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case TitleRole:
        if (role == TitleRole)
            return s.title;
        // A fork shows as a branch of its parent.
        return QString((s.isFork() ? QStringLiteral("\u2387 ") : QString())
                       + (s.title.isEmpty() ? (s.key.isEmpty() ? tr("New session") : s.key) : s.title));
    case Qt::ToolTipRole: {
        QString tip = s.title.isEmpty() ? tr("Untitled session") : s.title;
        if (s.isFork()) {
            QString parent = s.parentSessionId;
            for (const SessionInfo &other : m_rows) {
                if (other.id == s.parentSessionId)
                    parent = other.title.isEmpty() ? other.id : other.title;
            }
            tip += QLatin1Char('\n') + tr("Branch of \u201c%1\u201d from its run %2").arg(parent).arg(s.forkOrdinal);
        }
        if (!s.key.isEmpty())
            tip += QLatin1Char('\n') + tr("Key: %1").arg(s.key);
        tip += QLatin1Char('\n') + tr("%n run(s), last active %1", nullptr, s.runCount)
                                           .arg(QLocale().toString(QDateTime::fromMSecsSinceEpoch(s.lastActivityAt), QLocale::ShortFormat));
        return tip;
    }
    case Qt::AccessibleTextRole:
        return tr("%1, %2").arg(data(index, Qt::DisplayRole).toString(), groupOf(s));
    case IdRole: return s.id;
    case KeyRole: return s.key;
    case LastActivityRole: return s.lastActivityAt;
    case ArchivedRole: return s.isArchived();
    case RunCountRole: return s.runCount;
    case GroupRole: return groupOf(s);
    case SessionRole: return QVariant::fromValue(s);
    default: return {};
    }
}

QHash<int, QByteArray> SessionListModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractTableModel::roleNames();
    names.insert(IdRole, "sessionId");
    names.insert(KeyRole, "key");
    names.insert(TitleRole, "title");
    names.insert(LastActivityRole, "lastActivity");
    names.insert(ArchivedRole, "archived");
    names.insert(RunCountRole, "runCount");
    names.insert(GroupRole, "group");
    return names;
}

QList<int> SessionListModel::changedRoles(const SessionInfo &a, const SessionInfo &b) const
{
    QList<int> roles;
    if (a.title != b.title || a.key != b.key)
        roles << Qt::DisplayRole << TitleRole << KeyRole << Qt::ToolTipRole << Qt::AccessibleTextRole;
    if (a.lastActivityAt != b.lastActivityAt)
        roles << LastActivityRole << GroupRole << Qt::ToolTipRole;
    if (a.archivedAt != b.archivedAt)
        roles << ArchivedRole << GroupRole;
    if (a.runCount != b.runCount)
        roles << RunCountRole << Qt::ToolTipRole;
    if (a.contextFloor != b.contextFloor || a.model != b.model || a.agent != b.agent)
        roles << SessionRole;
    return roles;
}

} // namespace Spool
