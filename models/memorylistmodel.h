#pragma once

#include "keyedtablemodel.h"
#include "memory/memoryhit.h"

namespace Spool {

// The Memory view's rows: memory items as the engine lists them (pinned first, newest first),
// or the hits of a ranked search with their scores. Refreshing keeps selection and scroll
// position (KeyedTableModel); a new search or filter resets the rows.
class MemoryListModel : public KeyedTableModel<MemoryHit>
{
    Q_OBJECT
public:
    enum Column { PinnedColumn, TextColumn, ScopeColumn, SourceColumn, ScoreColumn, CreatedColumn, ColumnCount };
    enum Role { IdRole = Qt::UserRole + 1, ItemRole, RunIdRole, PinnedRole, ScoreRole };

    explicit MemoryListModel(QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    // Browsing: the items, scores hidden.
    void setItems(const QList<MemoryItem> &items);
    // Searching: the hits in rank order, with their scores.
    void setHits(const QList<MemoryHit> &hits);
    bool isSearch() const { return m_search; }
    MemoryItem itemAt(int row) const { return rowAt(row).item; }

protected:
    QString keyOf(const MemoryHit &h) const override { return QString::number(h.item.id); }
    QList<int> changedRoles(const MemoryHit &a, const MemoryHit &b) const override;

private:
    bool m_search = false;
};

} // namespace Spool
