#pragma once

#include "sessions/sessioninfo.h"

#include <QAbstractListModel>
#include <QList>

namespace Spool {

// The sessions of the rail, newest activity first. Fed by the engine client on the GUI thread.
class SessionListModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role { IdRole = Qt::UserRole + 1, KeyRole, TitleRole, LastActivityRole, ArchivedRole, RunCountRole };

    explicit SessionListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Replaces the whole list (switching filters); see update() for changes in place.
    void setSessions(const QList<SessionInfo> &sessions);
    const SessionInfo &sessionAt(int row) const { return m_sessions.at(row); }
    int rowOf(const QString &sessionId) const;

private:
    QList<SessionInfo> m_sessions;
};

} // namespace Spool
