#include "runpanel.h"

#include "client/engineclient.h"
#include "recordtable.h"
#include "runlistmodel.h"
#include "runtimelinewidget.h"
#include "tapeinspector.h"

#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace Spool {

RunPanel::RunPanel(EngineClient *engine, QWidget *parent) : QWidget(parent), m_engine(engine)
{
    m_runs = new RunListModel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_runs);
    setUpRecordTable(m_table, tr("Runs of this session"));
    m_table->setColumnHidden(RunListModel::SessionColumn, true);
    m_table->setColumnWidth(RunListModel::OrdinalColumn, 48);
    m_table->setColumnWidth(RunListModel::StateColumn, 84);
    m_table->setColumnWidth(RunListModel::StartedColumn, 70);
    m_table->setColumnWidth(RunListModel::DurationColumn, 70);
    m_table->setColumnWidth(RunListModel::TokensColumn, 80);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid())
                    showRun(current.data(RunListModel::IdRole).toString());
            });

    m_timeline = new RunTimelineWidget(this);
    auto *timelineScroll = new QScrollArea(this);
    timelineScroll->setWidget(m_timeline);
    timelineScroll->setWidgetResizable(true);
    timelineScroll->setFrameShape(QFrame::NoFrame);
    m_tape = new TapeInspector(engine, this);
    connect(m_timeline, &RunTimelineWidget::spanActivated, m_tape, &TapeInspector::selectSeq);
    connect(m_tape, &TapeInspector::status, this, &RunPanel::status);

    auto *timer = new QTimer(this);
    connect(timer, &QTimer::timeout, m_runs, &RunListModel::tick);
    timer->start(1000);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName(QStringLiteral("runPanelSplitter"));
    splitter->addWidget(m_table);
    splitter->addWidget(timelineScroll);
    splitter->addWidget(m_tape);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 2);
    splitter->setStretchFactor(2, 5);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 6, 6, 6);
    layout->addWidget(splitter);
}

void RunPanel::setSession(const QString &sessionId)
{
    m_sessionId = sessionId;
    ++m_generation;
    m_runs->resetRows({});
    showRun(QString());
    if (!sessionId.isEmpty())
        loadRuns(true);
}

void RunPanel::loadRuns(bool selectNewest)
{
    if (!m_engine)
        return;
    const QString session = m_sessionId;
    const int generation = m_generation;
    m_engine->call(this,
                   [session](Engine &g) {
                       RunFilter f;
                       f.sessionId = session;
                       f.limit = 500;
                       return g.runs(f);
                   },
                   [this, generation, selectNewest](Result<QList<RunInfo>> runs) {
                       if (!runs || generation != m_generation)
                           return;
                       m_runs->setRows(*runs);
                       if (selectNewest && !runs->isEmpty() && m_runId.isEmpty())
                           selectRun(runs->constFirst().id);
                   });
}

void RunPanel::refreshFromJournal()
{
    if (!m_sessionId.isEmpty())
        loadRuns(false);
}

void RunPanel::selectRun(const QString &runId)
{
    const int row = m_runs->rowOf(runId);
    if (row >= 0)
        m_table->selectRow(row);
    else
        showRun(runId);
}

void RunPanel::showRun(const QString &runId)
{
    if (runId == m_runId && !runId.isEmpty())
        return;
    m_runId = runId;
    m_tape->setRun(runId);
    if (runId.isEmpty() || !m_engine) {
        m_timeline->setRun(QString(), {}, false);
        return;
    }
    const int row = m_runs->rowOf(runId);
    const bool live = row >= 0 && !m_runs->rowAt(row).isTerminal();
    m_engine->call(this, [runId](Engine &g) { return g.inspection().timeline(runId); },
                   [this, runId, live](Result<QList<TimelineSpan>> spans) {
                       if (runId == m_runId && spans)
                           m_timeline->setRun(runId, *spans, live);
                   });
}

void RunPanel::applyRun(const RunInfo &run)
{
    if (run.sessionId != m_sessionId)
        return;
    const bool isNew = m_runs->rowOf(run.id) < 0;
    m_runs->updateRun(run);
    if (isNew) {
        // Follow the newest run as it starts.
        selectRun(run.id);
    }
    if (run.id == m_runId)
        m_timeline->setLive(!run.isTerminal());
}

void RunPanel::applyEvent(const TapeEvent &event)
{
    if (event.runId != m_runId)
        return;
    m_timeline->addEvent(event);
    m_tape->applyEvent(event);
}

} // namespace Spool
