#pragma once

#include <QMainWindow>

class QListView;

namespace Spool {

class EngineClient;
class SessionListModel;

// The main window: session rail, transcript, run panel.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(EngineClient &engine, QWidget *parent = nullptr);

private:
    void reloadSessions();

    EngineClient &m_engine;
    SessionListModel *m_sessions = nullptr;
    QListView *m_rail = nullptr;
};

} // namespace Spool
