#include "memorylistmodel.h"

#include <QDateTime>
#include <QFileInfo>

namespace Spool {

MemoryListModel::MemoryListModel(QObject *parent) : KeyedTableModel<MemoryHit>(parent) {}

int MemoryListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MemoryListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const MemoryHit &h = m_rows.at(index.row());
    const MemoryItem &m = h.item;
    switch (role) {
    case IdRole: return m.id;
    case ItemRole: return QVariant::fromValue(m);
    case RunIdRole: return m.runId;
    case PinnedRole: return m.pinned;
    case ScoreRole: return m_search ? QVariant(h.score) : QVariant();
    case Qt::ToolTipRole:
        return index.column() == TextColumn ? m.text.left(2000) : QVariant();
    default: break;
    }
    if (role != Qt::DisplayRole && role != Qt::AccessibleTextRole)
        return {};
    switch (index.column()) {
    case PinnedColumn:
        return m.pinned ? (role == Qt::AccessibleTextRole ? tr("pinned") : QStringLiteral("\u2605")) : QString();
    case TextColumn: return m.snippet(200);
    case ScopeColumn: return m.scopeLabel();
    case SourceColumn:
        if (m.source == MemorySource::File)
            return QStringLiteral("%1 #%2").arg(QFileInfo(m.sourceRef).fileName()).arg(m.chunk + 1);
        return memorySourceName(m.source);
    case ScoreColumn: return m_search ? QString::number(h.score, 'f', 3) : QString();
    case CreatedColumn:
        return QDateTime::fromMSecsSinceEpoch(m.createdAt).toString(QStringLiteral("yyyy-MM-dd HH:mm"));
    }
    return {};
}

QVariant MemoryListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case PinnedColumn: return QStringLiteral("\u2605");
    case TextColumn: return tr("Memory");
    case ScopeColumn: return tr("Scope");
    case SourceColumn: return tr("Source");
    case ScoreColumn: return tr("Score");
    case CreatedColumn: return tr("Created");
    }
    return {};
}

void MemoryListModel::setItems(const QList<MemoryItem> &items)
{
    QList<MemoryHit> rows;
    rows.reserve(items.size());
    for (const MemoryItem &m : items)
        rows.append(MemoryHit{m, 0, 0, 0, 0, 0});
    if (m_search) {
        m_search = false;
        resetRows(rows);
        return;
    }
    setRows(rows);
}

void MemoryListModel::setHits(const QList<MemoryHit> &hits)
{
    m_search = true;
    resetRows(hits);
}

QList<int> MemoryListModel::changedRoles(const MemoryHit &a, const MemoryHit &b) const
{
    const MemoryItem &x = a.item;
    const MemoryItem &y = b.item;
    if (x.text != y.text || x.pinned != y.pinned || x.scope != y.scope || x.scopeKey != y.scopeKey
        || x.tags != y.tags || x.updatedAt != y.updatedAt || x.hasVector != y.hasVector || a.score != b.score)
        return {Qt::DisplayRole, ItemRole, PinnedRole, ScoreRole};
    return {};
}

} // namespace Spool
