#pragma once

#include <QPointer>
#include <QWidget>

class QTableView;

namespace Spool {

class EngineClient;
class RunListModel;
class RunTimelineWidget;
class TapeInspector;
struct RunInfo;
struct TapeEvent;

// The run side of the window: the session's runs (state, duration, tokens), the live timeline
// of the selected run, and its tape.
class RunPanel : public QWidget
{
    Q_OBJECT
public:
    RunPanel(EngineClient *engine, QWidget *parent = nullptr);

    void setSession(const QString &sessionId);
    void selectRun(const QString &runId);
    QString selectedRunId() const { return m_runId; }
    void applyRun(const RunInfo &run);
    void applyEvent(const TapeEvent &event);
    void refreshFromJournal();

    RunListModel *runs() const { return m_runs; }
    QTableView *runTable() const { return m_table; }
    RunTimelineWidget *timeline() const { return m_timeline; }
    TapeInspector *tape() const { return m_tape; }

signals:
    void status(const QString &message);

private:
    void loadRuns(bool selectNewest);
    void showRun(const QString &runId);

    QPointer<EngineClient> m_engine;
    QString m_sessionId;
    QString m_runId;
    RunListModel *m_runs = nullptr;
    QTableView *m_table = nullptr;
    RunTimelineWidget *m_timeline = nullptr;
    TapeInspector *m_tape = nullptr;
    int m_generation = 0;
};

} // namespace Spool
