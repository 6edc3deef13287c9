#include "mainwindow.h"

#include "gateway/engineclient.h"
#include "sessionlistmodel.h"

#include <QListView>
#include <QStatusBar>

namespace Spool {

MainWindow::MainWindow(EngineClient &engine, QWidget *parent)
    : QMainWindow(parent), m_engine(engine)
{
    setWindowTitle(tr("Spool"));
    m_sessions = new SessionListModel(this);
    m_rail = new QListView(this);
    m_rail->setModel(m_sessions);
    m_rail->setAccessibleName(tr("Sessions"));
    setCentralWidget(m_rail);
    statusBar()->showMessage(tr("Starting the engine\u2026"));
    connect(&m_engine, &EngineClient::ready, this, [this] {
        statusBar()->showMessage(tr("Journal: %1").arg(m_engine.config().journalPath()));
        reloadSessions();
    });
    connect(&m_engine, &EngineClient::sessionsChanged, this, &MainWindow::reloadSessions);
    connect(&m_engine, &EngineClient::journalChanged, this, &MainWindow::reloadSessions);
}

void MainWindow::reloadSessions()
{
    m_engine.call(this, [](Gateway &g) { return g.sessions(); },
                  [this](Result<QList<SessionInfo>> list) {
                      if (list)
                          m_sessions->setSessions(*list);
                  });
}

} // namespace Spool
