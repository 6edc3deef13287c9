#pragma once

#include "journal/tapeevent.h"

#include <QAbstractTableModel>
#include <QPointer>

namespace Spool {

class EngineClient;

// The events of one run for the tape inspector, paged in from the engine like QSqlQueryModel
// (canFetchMore / fetchMore, 256 rows a page) so a 100,000-event run opens at once and only
// summaries are held, never the payloads. While the run goes on, new events are appended live.
class TapeModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { SeqColumn, TimeColumn, DeltaColumn, KindColumn, SummaryColumn, ColumnCount };
    enum Role { SeqRole = Qt::UserRole + 1, KindRole, CreatedAtRole };

    static constexpr int kPageSize = 256;

    explicit TapeModel(EngineClient *engine, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    QString runId() const { return m_runId; }
    const TapeFilter &filter() const { return m_filter; }
    void setRun(const QString &runId);
    void setFilter(const TapeFilter &filter);
    // Loads pages until `seq` is in the model (or the end), then reports its row (-1 if the
    // filter hides it).
    void locate(qint64 seq, QObject *context, const std::function<void(int row)> &done);
    int rowOfSeq(qint64 seq) const;
    qint64 seqAt(int row) const { return m_rows.at(row).seq; }
    bool isLoading() const { return m_loading; }
    bool atEnd() const { return m_atEnd; }

    void applyEvent(const TapeEvent &event);

signals:
    void pageLoaded();

private:
    void restart();
    bool matches(const TapeEvent &event) const;

    QPointer<EngineClient> m_engine;
    QString m_runId;
    TapeFilter m_filter;
    QList<TapeRow> m_rows;
    bool m_loading = false;
    bool m_atEnd = true;
    int m_generation = 0;
};

} // namespace Spool
