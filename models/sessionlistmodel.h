#pragma once

#include "keyedtablemodel.h"
#include "sessions/sessioninfo.h"

#include <QDate>

namespace Spool {

// The sessions of the rail, newest activity first, each with its recency group (Today,
// Yesterday, Previous 7 days, Older) for the rail's section headers.
class SessionListModel : public KeyedTableModel<SessionInfo>
{
    Q_OBJECT
public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        KeyRole,
        TitleRole,
        LastActivityRole,
        ArchivedRole,
        RunCountRole,
        GroupRole,
        SessionRole,
    };

    explicit SessionListModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // For tests and for the day changing while the window is open.
    void setToday(const QDate &today);
    QString groupOf(const SessionInfo &session) const;

protected:
    QString keyOf(const SessionInfo &s) const override { return s.id; }
    QList<int> changedRoles(const SessionInfo &a, const SessionInfo &b) const override;

private:
    QDate m_today;
};

} // namespace Spool
