#pragma once

#include "journal/tapeevent.h"
#include "runs/runinfo.h"
#include "transcriptentry.h"

#include <QAbstractListModel>
#include <QHash>
#include <QPointer>
#include <QSet>
#include <QTimer>

namespace Spool {

class EngineClient;
struct SessionTranscript;

// The conversation of one session, rebuilt from its runs' tape events and kept live: tape
// events (from this process, or polled from another after journalChanged) and streamed text
// deltas. Deltas are appended at once but announced coalesced (10 ms after the last one, at
// least every 40 ms), so a fast stream costs one repaint per frame, not one per token.
class TranscriptModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role {
        EntryRole = Qt::UserRole + 1,
        KindRole,
        TextRole,
        StreamingRole,
        RunIdRole,
        ToolStateRole,
    };

    explicit TranscriptModel(EngineClient *engine, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    QString sessionId() const { return m_sessionId; }
    // Shows another session (a reset); an empty id shows nothing.
    void setSession(const QString &sessionId);
    bool hasEarlier() const { return m_hasEarlier; }
    void loadEarlier();
    bool isLoading() const { return m_loading; }
    const TranscriptEntry &entryAt(int row) const { return m_entries.at(row); }

    // Live input, from the engine client's signals.
    void applyRun(const RunInfo &run);
    void applyEvent(const TapeEvent &event);
    void appendDelta(const QString &runId, const QString &text);
    // A running tool's progress (connected to the engine client by the model itself).
    void applyProgress(const QString &runId, const QString &callId, double progress, double total,
                       const QString &message);
    // Another process wrote to the journal: fetch what is new for this session.
    void refreshFromJournal();
    // Delivers pending streamed text now (tests, benchmarks).
    void flushDeltas();

    static constexpr int kRunsPerPage = 30;

signals:
    void loaded();

private:
    void loadPage(int beforeOrdinal, bool prepend);
    void applyTranscript(const SessionTranscript &t, bool prepend);
    // Applies one event to `entries`; returns the row it changed or inserted, -1 for none.
    void apply(QList<TranscriptEntry> &entries, const TapeEvent &event, bool live);
    int findTool(const QList<TranscriptEntry> &entries, const QString &runId, const QString &callId) const;
    int streamingRow(const QString &runId) const;
    void changed(int row, const QList<int> &roles = {});
    void insertEntry(QList<TranscriptEntry> &entries, const TranscriptEntry &entry, bool live);

    QPointer<EngineClient> m_engine;
    QString m_sessionId;
    QList<TranscriptEntry> m_entries;
    QSet<QString> m_runIds;
    QHash<QString, qint64> m_lastSeq; // per run: events up to here are applied
    int m_firstOrdinal = 0;
    bool m_hasEarlier = false;
    bool m_loading = false;
    int m_generation = 0; // answers for an earlier session are dropped

    // Live input that arrives while the first page loads, replayed after it: the page may not
    // know yet the run these belong to.
    struct Pending
    {
        TapeEvent event; // or, with an empty kind, a text delta
        QString runId;
        QString text;
    };
    QList<Pending> m_pending;
    // Per run: the kind of the last event applied, and whether the run has ended. Streamed
    // text is taken only while a provider call is open.
    QHash<QString, QString> m_lastKind;
    QSet<QString> m_ended;
    bool acceptsDelta(const QString &runId) const;

    QSet<int> m_dirtyRows;
    QTimer m_shortTimer;
    QTimer m_longTimer;
};

} // namespace Spool
