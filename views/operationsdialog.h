#pragma once

#include <QDialog>
#include <QPointer>
#include <QTimer>

class QLabel;
class QPushButton;
class QTableView;

namespace Spool {

class EngineClient;
class RunListModel;
struct GatewayStatus;

// Operations: the runs in progress anywhere (with cancel), the engine's counters, and the
// journal's path, size and health.
class OperationsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit OperationsDialog(EngineClient *engine, QWidget *parent = nullptr);

    RunListModel *activeRuns() const { return m_runs; }
    QTableView *runTable() const { return m_table; }
    QString countersText() const;
    QString journalText() const;
    void refresh(bool checkJournal = false);

private:
    void showStatus(const GatewayStatus &status);
    void cancelSelected();

    QPointer<EngineClient> m_engine;
    RunListModel *m_runs = nullptr;
    QTableView *m_table = nullptr;
    QPushButton *m_cancel = nullptr;
    QLabel *m_counters = nullptr;
    QLabel *m_journal = nullptr;
    QPushButton *m_check = nullptr;
    QTimer m_refresh;
};

} // namespace Spool
