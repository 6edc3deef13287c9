#include "tapemodel.h"

#include "client/engineclient.h"

#include <QDateTime>
#include <QLocale>

namespace Spool {

TapeModel::TapeModel(EngineClient *engine, QObject *parent)
    : QAbstractTableModel(parent), m_engine(engine)
{
}

int TapeModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int TapeModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TapeModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TapeRow &r = m_rows.at(index.row());
    switch (role) {
    case SeqRole: return r.seq;
    case KindRole: return r.kind;
    case CreatedAtRole: return r.createdAt;
    case Qt::TextAlignmentRole:
        if (index.column() == SeqColumn || index.column() == DeltaColumn)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == SummaryColumn)
            return r.summary;
        return {};
    case Qt::DisplayRole:
    case Qt::AccessibleTextRole:
        break;
    default:
        return {};
    }
    switch (index.column()) {
    case SeqColumn: return r.seq;
    case TimeColumn:
        return QDateTime::fromMSecsSinceEpoch(r.createdAt).toString(QStringLiteral("HH:mm:ss.zzz"));
    case DeltaColumn: {
        if (index.row() == 0)
            return QString();
        const qint64 delta = r.createdAt - m_rows.at(index.row() - 1).createdAt;
        return delta < 1000 ? tr("+%1 ms").arg(delta)
                            : tr("+%1 s").arg(QLocale().toString(delta / 1000.0, 'f', 2));
    }
    case KindColumn: return r.kind;
    case SummaryColumn: return r.summary;
    }
    return {};
}

QVariant TapeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case SeqColumn: return tr("Seq");
    case TimeColumn: return tr("Time");
    case DeltaColumn: return tr("Delta");
    case KindColumn: return tr("Kind");
    case SummaryColumn: return tr("Summary");
    }
    return {};
}

void TapeModel::setRun(const QString &runId)
{
    m_runId = runId;
    restart();
}

void TapeModel::setFilter(const TapeFilter &filter)
{
    m_filter = filter;
    restart();
}

void TapeModel::restart()
{
    ++m_generation;
    beginResetModel();
    m_rows.clear();
    m_loading = false;
    m_atEnd = m_runId.isEmpty();
    endResetModel();
    if (!m_atEnd)
        fetchMore({});
}

bool TapeModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && !m_atEnd && !m_loading;
}

void TapeModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent) || !m_engine)
        return;
    m_loading = true;
    const QString runId = m_runId;
    const qint64 after = m_rows.isEmpty() ? 0 : m_rows.constLast().seq;
    const TapeFilter filter = m_filter;
    const int generation = m_generation;
    m_engine->call(
            this,
            [runId, after, filter](Engine &g) { return g.inspection().tapeRows(runId, after, kPageSize, filter); },
            [this, generation](Result<QList<TapeRow>> page) {
                if (generation != m_generation)
                    return;
                m_loading = false;
                if (!page) {
                    m_atEnd = true;
                    emit pageLoaded();
                    return;
                }
                // Live events may have arrived meanwhile; keep seq order, no duplicates.
                QList<TapeRow> fresh;
                const qint64 last = m_rows.isEmpty() ? 0 : m_rows.constLast().seq;
                for (const TapeRow &r : *page) {
                    if (r.seq > last)
                        fresh.append(r);
                }
                m_atEnd = page->size() < kPageSize;
                if (!fresh.isEmpty()) {
                    beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + fresh.size()) - 1);
                    m_rows.append(fresh);
                    endInsertRows();
                }
                emit pageLoaded();
            });
}

int TapeModel::rowOfSeq(qint64 seq) const
{
    auto it = std::lower_bound(m_rows.cbegin(), m_rows.cend(), seq,
                               [](const TapeRow &r, qint64 s) { return r.seq < s; });
    if (it != m_rows.cend() && it->seq == seq)
        return int(it - m_rows.cbegin());
    return -1;
}

void TapeModel::locate(qint64 seq, QObject *context, const std::function<void(int)> &done)
{
    const bool beyond = m_rows.isEmpty() || m_rows.constLast().seq < seq;
    if (!beyond || m_atEnd) {
        done(rowOfSeq(seq));
        return;
    }
    // Keep paging until the seq is in; the connection dies with the context or on the answer.
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = connect(this, &TapeModel::pageLoaded, context, [this, seq, done, connection] {
        if ((!m_rows.isEmpty() && m_rows.constLast().seq >= seq) || m_atEnd) {
            disconnect(*connection);
            done(rowOfSeq(seq));
        } else {
            fetchMore({});
        }
    });
    fetchMore({});
}

bool TapeModel::matches(const TapeEvent &event) const
{
    if (!m_filter.kinds.isEmpty() && !m_filter.kinds.contains(event.kind))
        return false;
    if (m_filter.text.isEmpty())
        return true;
    return event.kind.contains(m_filter.text, Qt::CaseInsensitive)
            || event.summary(100000).contains(m_filter.text, Qt::CaseInsensitive);
}

void TapeModel::applyEvent(const TapeEvent &event)
{
    // Only when everything before it is loaded; otherwise paging will bring it.
    if (event.runId != m_runId || !m_atEnd || m_loading || !matches(event))
        return;
    if (!m_rows.isEmpty() && event.seq <= m_rows.constLast().seq)
        return;
    const int row = int(m_rows.size());
    beginInsertRows({}, row, row);
    m_rows.append(TapeRow{event.seq, event.kind, event.createdAt, event.summary()});
    endInsertRows();
}

} // namespace Spool
