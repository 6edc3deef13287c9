#pragma once

#include "keyedtablemodel.h"
#include "runs/runinfo.h"

namespace Spool {

// Runs, newest first: a session's runs in the run panel, or the active runs of every session
// in the operations view.
class RunListModel : public KeyedTableModel<RunInfo>
{
    Q_OBJECT
public:
    enum Column { OrdinalColumn, StateColumn, StartedColumn, DurationColumn, TokensColumn,
                  InputColumn, SessionColumn, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1, StateRole, RunRole, SessionIdRole, ActiveRole };

    explicit RunListModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // A run changed (from the engine): updated in place or inserted by creation time.
    void updateRun(const RunInfo &run);
    // Running durations grow: tells views to repaint them (called about once a second).
    void tick();

    static QString stateLabel(RunState state);

protected:
    QString keyOf(const RunInfo &r) const override { return r.id; }
    QList<int> changedRoles(const RunInfo &a, const RunInfo &b) const override;
};

} // namespace Spool
