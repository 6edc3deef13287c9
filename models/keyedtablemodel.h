#pragma once

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

namespace Spool {

// Rows of T identified by a key (an id), updated in place: a refreshed list becomes removals,
// moves, inserts and dataChanged for the rows that changed, so views keep their selection and
// scroll position. resetRows() is for when the whole content changes (another session).
template<typename T>
class KeyedTableModel : public QAbstractTableModel
{
public:
    using QAbstractTableModel::QAbstractTableModel;

    int rowCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : int(m_rows.size());
    }

    const QList<T> &rows() const { return m_rows; }
    const T &rowAt(int row) const { return m_rows.at(row); }

    int rowOf(const QString &key) const
    {
        for (int i = 0; i < m_rows.size(); ++i) {
            if (keyOf(m_rows.at(i)) == key)
                return i;
        }
        return -1;
    }

    void resetRows(const QList<T> &rows)
    {
        beginResetModel();
        m_rows = rows;
        endResetModel();
    }

    // Makes the rows equal to `next` with the fewest signals.
    void setRows(const QList<T> &next)
    {
        QHash<QString, int> wanted;
        for (int i = 0; i < next.size(); ++i)
            wanted.insert(keyOf(next.at(i)), i);
        for (int i = int(m_rows.size()) - 1; i >= 0; --i) {
            if (!wanted.contains(keyOf(m_rows.at(i)))) {
                beginRemoveRows({}, i, i);
                m_rows.removeAt(i);
                endRemoveRows();
            }
        }
        for (int i = 0; i < next.size(); ++i) {
            const T &item = next.at(i);
            const QString key = keyOf(item);
            if (i < m_rows.size() && keyOf(m_rows.at(i)) == key) {
                replaceAt(i, item);
                continue;
            }
            int from = -1;
            for (int j = i + 1; j < m_rows.size(); ++j) {
                if (keyOf(m_rows.at(j)) == key) {
                    from = j;
                    break;
                }
            }
            if (from >= 0) {
                beginMoveRows({}, from, from, {}, i);
                m_rows.move(from, i);
                endMoveRows();
                replaceAt(i, item);
            } else {
                beginInsertRows({}, i, i);
                m_rows.insert(i, item);
                endInsertRows();
            }
        }
    }

    // Updates the row with this item's key, or inserts it where `before` says it belongs.
    template<typename Before>
    void upsert(const T &item, Before before)
    {
        const int existing = rowOf(keyOf(item));
        if (existing >= 0) {
            replaceAt(existing, item);
            return;
        }
        int at = 0;
        while (at < m_rows.size() && !before(item, m_rows.at(at)))
            ++at;
        beginInsertRows({}, at, at);
        m_rows.insert(at, item);
        endInsertRows();
    }

    void removeKey(const QString &key)
    {
        const int row = rowOf(key);
        if (row < 0)
            return;
        beginRemoveRows({}, row, row);
        m_rows.removeAt(row);
        endRemoveRows();
    }

protected:
    virtual QString keyOf(const T &item) const = 0;
    // The roles that differ between two versions of a row; empty when nothing shown changed.
    virtual QList<int> changedRoles(const T &before, const T &after) const = 0;

    void replaceAt(int row, const T &item)
    {
        const QList<int> roles = changedRoles(m_rows.at(row), item);
        m_rows[row] = item;
        if (!roles.isEmpty())
            emit this->dataChanged(this->index(row, 0), this->index(row, this->columnCount() - 1), roles);
    }

    QList<T> m_rows;
};

} // namespace Spool
