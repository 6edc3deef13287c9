#include "sessionscontroller.h"

#include "attachments/exportreport.h"
#include "attachments/exportrequest.h"
#include "attachments/importreport.h"
#include "client/engineclient.h"
#include "elidedlabel.h"
#include "messageboxes.h"
#include "sessionbar.h"
#include "sessionlistmodel.h"
#include "sessionrail.h"

#include <QDate>
#include <QFileDialog>
#include <QInputDialog>
#include <QListView>

namespace Spool {

SessionsController::SessionsController(EngineClient &engine, QWidget *window, QObject *parent)
    : QObject(parent), m_engine(engine), m_window(window)
{
    m_sessions = new SessionListModel(this);
    connect(&engine, &EngineClient::ready, this, &SessionsController::reload);
    connect(&engine, &EngineClient::sessionsChanged, this, &SessionsController::reload);
    // Another process (a `spool chat` in a terminal, say) wrote: catch up.
    connect(&engine, &EngineClient::journalChanged, this, &SessionsController::reload);
}

void SessionsController::setRail(SessionRail *rail)
{
    m_rail = rail;
    connect(rail, &SessionRail::sessionActivated, this, &SessionsController::selectSession);
    connect(rail, &SessionRail::newSessionRequested, this, &SessionsController::startNewSession);
    connect(rail, &SessionRail::searchChanged, this, &SessionsController::reload);
    connect(rail, &SessionRail::showArchivedChanged, this, &SessionsController::reload);
    connect(rail, &SessionRail::renameRequested, this, &SessionsController::askToRename);
    connect(rail, &SessionRail::archiveRequested, this, &SessionsController::setArchived);
    connect(rail, &SessionRail::resetRequested, this, &SessionsController::resetContext);
    connect(rail, &SessionRail::deleteRequested, this, &SessionsController::askToDelete);
}

void SessionsController::setHeader(ElidedLabel *title, SessionBar *bar)
{
    m_title = title;
    m_bar = bar;
    describeCurrent();
}

QString SessionsController::nameOf(const QString &sessionId) const
{
    const int row = m_sessions->rowOf(sessionId);
    return row >= 0 ? m_sessions->data(m_sessions->index(row, 0)).toString() : QString();
}

QString SessionsController::currentTitle() const
{
    return m_sessionId.isEmpty() ? tr("New session") : nameOf(m_sessionId);
}

void SessionsController::reload()
{
    if (!m_engine.isReady())
        return;
    SessionFilter filter;
    if (m_rail) {
        filter.search = m_rail->searchText();
        filter.archived = m_rail->showArchived() ? SessionFilter::Archived::Include
                                                 : SessionFilter::Archived::Exclude;
    }
    m_engine.call(this, [filter](Engine &g) { return g.sessions().list(filter); },
                  [this](Result<QList<SessionInfo>> list) {
                      if (!list)
                          return;
                      m_sessions->setToday(QDate::currentDate());
                      m_sessions->setRows(*list);
                      if (m_rail)
                          m_rail->selectSession(m_sessionId);
                      describeCurrent();
                  });
}

void SessionsController::selectSession(const QString &sessionId)
{
    if (sessionId == m_sessionId && !sessionId.isEmpty())
        return;
    m_sessionId = sessionId;
    if (m_bar)
        m_bar->setSession(sessionId);
    if (m_rail)
        m_rail->selectSession(sessionId);
    emit currentSessionChanged(sessionId);
    describeCurrent();
}

void SessionsController::startNewSession()
{
    // The session is created by its first message, so abandoned drafts leave nothing behind.
    if (m_rail) {
        m_rail->list()->clearSelection();
        m_rail->list()->setCurrentIndex({});
    }
    selectSession(QString());
}

void SessionsController::describeCurrent()
{
    const QString title = currentTitle();
    if (m_title)
        m_title->setFullText(title);
    emit titleChanged(title);
    if (m_sessionId.isEmpty()) {
        emit composerHintChanged(tr("Your first message starts a new session."));
        emit agentDescribed(QString());
        return;
    }
    const int row = m_sessions->rowOf(m_sessionId);
    if (row < 0)
        return; // not listed (yet): described when the list comes
    const SessionInfo s = m_sessions->rowAt(row);
    if (s.contextFloor > 0)
        emit composerHintChanged(tr("Context was reset: the model starts fresh from here."));
    else if (s.isFork())
        emit composerHintChanged(tr("A branch: the model also sees its parent's first %n run(s).", nullptr,
                                    s.forkOrdinal));
    else
        emit composerHintChanged(QString());
    const int generation = ++m_describeGeneration;
    const QString agentName = s.agent;
    const QString sessionModel = s.model;
    m_engine.call(this, [agentName](Engine &g) { return g.agents().get(agentName); },
                  [this, generation, sessionModel](Result<Agent> agent) {
                      if (!agent || generation != m_describeGeneration)
                          return;
                      emit agentDescribed(tr("Agent %1 \u00b7 %2 / %3")
                                                  .arg(agent->name, agent->provider,
                                                       sessionModel.isEmpty() ? agent->model : sessionModel));
                  });
}

void SessionsController::askToRename(const QString &sessionId)
{
    if (sessionId.isEmpty() || !m_window)
        return;
    auto *dialog = new QInputDialog(m_window);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Rename session"));
    dialog->setLabelText(tr("Title:"));
    dialog->setTextValue(m_sessions->rowOf(sessionId) >= 0
                                 ? m_sessions->rowAt(m_sessions->rowOf(sessionId)).title
                                 : QString());
    dialog->setAccessibleName(tr("Rename session"));
    connect(dialog, &QInputDialog::textValueSelected, this, [this, sessionId](const QString &title) {
        if (!title.trimmed().isEmpty())
            rename(sessionId, title);
    });
    dialog->open();
}

void SessionsController::rename(const QString &sessionId, const QString &title)
{
    m_engine.call(this,
                  [sessionId, title](Engine &g) { return g.sessions().rename(sessionId, title); },
                  [this](Result<SessionInfo> s) {
                      if (!s)
                          showWarning(m_window, tr("Cannot rename"), s.errorMessage());
                  });
}

void SessionsController::setArchived(const QString &sessionId, bool archived)
{
    if (sessionId.isEmpty())
        return;
    m_engine.call(this,
                  [sessionId, archived](Engine &g) {
                      return archived ? g.sessions().archive(sessionId)
                                      : g.sessions().restore(sessionId);
                  },
                  [this, sessionId, archived](Result<SessionInfo> s) {
                      if (!s) {
                          showWarning(m_window, archived ? tr("Cannot archive") : tr("Cannot restore"),
                                      s.errorMessage());
                          return;
                      }
                      emit status(archived ? tr("Archived \u201c%1\u201d").arg(s->displayName())
                                           : tr("Restored \u201c%1\u201d").arg(s->displayName()),
                                  4000);
                      if (archived && sessionId == m_sessionId && !(m_rail && m_rail->showArchived()))
                          selectSession(QString());
                  });
}

void SessionsController::resetContext(const QString &sessionId)
{
    if (sessionId.isEmpty())
        return;
    m_engine.call(this, [sessionId](Engine &g) { return g.sessions().reset(sessionId); },
                  [this](Result<SessionInfo> s) {
                      if (s)
                          emit status(tr("Context reset: the next message starts without the earlier turns"), 4000);
                      else
                          showWarning(m_window, tr("Cannot reset"), s.errorMessage());
                  });
}

void SessionsController::fork(const QString &runId)
{
    if (runId.isEmpty())
        return;
    m_engine.call(this,
                  [runId](Engine &g) -> Result<SessionInfo> {
                      auto run = g.run(runId);
                      if (!run)
                          return run.error();
                      return g.sessions().fork(run->sessionId, run->id);
                  },
                  [this](Result<SessionInfo> fork) {
                      if (!fork) {
                          showWarning(m_window, tr("Cannot fork"), fork.errorMessage());
                          return;
                      }
                      reload();
                      selectSession(fork->id);
                      emit status(tr("Forked: this session continues from run %1 of its parent")
                                          .arg(fork->forkOrdinal),
                                  6000);
                  });
}

void SessionsController::askToExport(bool all)
{
    const QString sessionId = m_sessionId;
    if ((!all && sessionId.isEmpty()) || !m_window)
        return;
    auto *dialog = new QFileDialog(m_window, all ? tr("Export All Sessions") : tr("Export Session"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    const QString markdown = tr("Markdown, files beside it (*.md)");
    const QString json = tr("JSON with the whole tape (*.json)");
    dialog->setNameFilters({markdown, json});
    connect(dialog, &QFileDialog::fileSelected, this, [this, dialog, all, sessionId, json](const QString &path) {
        ExportRequest request;
        request.all = all;
        if (!all)
            request.sessions = {sessionId};
        request.path = path;
        request.format = path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive)
                                 || dialog->selectedNameFilter() == json
                ? ExportRequest::Format::Json
                : ExportRequest::Format::Markdown;
        emit status(tr("Exporting\u2026"), 0);
        m_engine.call(this, [request](Engine &g) { return g.sessions().exportSessions(request); },
                      [this](Result<ExportReport> r) {
                          if (!r) {
                              emit status(tr("Export failed"), 4000);
                              showWarning(m_window, tr("Cannot export"), r.errorMessage());
                              return;
                          }
                          emit status(tr("Exported %n session(s) to %1", nullptr, r->sessions).arg(r->path), 8000);
                      });
    });
    dialog->open();
}

void SessionsController::askToImport()
{
    if (!m_window)
        return;
    auto *dialog = new QFileDialog(m_window, tr("Import Sessions"), QString(), tr("Spool exports (*.json)"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::ExistingFile);
    connect(dialog, &QFileDialog::fileSelected, this, [this](const QString &path) {
        m_engine.call(this, [path](Engine &g) { return g.sessions().importSessions(path); },
                      [this](Result<ImportReport> r) {
                          if (!r) {
                              showWarning(m_window, tr("Cannot import"), r.errorMessage());
                              return;
                          }
                          reload();
                          emit status(tr("Imported %n session(s)", nullptr, int(r->sessionIds.size())), 8000);
                          if (!r->sessionIds.isEmpty())
                              selectSession(r->sessionIds.constLast());
                      });
    });
    dialog->open();
}

void SessionsController::askToDelete(const QString &sessionId)
{
    if (sessionId.isEmpty() || !m_window)
        return;
    const QString name = nameOf(sessionId);
    askToConfirm(m_window, tr("Delete session"),
                 tr("Delete \u201c%1\u201d with all its runs and their tape? This cannot be undone.")
                         .arg(name.isEmpty() ? sessionId : name),
                 tr("&Delete"), this, [this, sessionId] { deleteSession(sessionId); });
}

void SessionsController::deleteSession(const QString &sessionId)
{
    m_engine.call(this, [sessionId](Engine &g) { return g.sessions().remove(sessionId); },
                  [this, sessionId](Status s) {
                      if (!s) {
                          showWarning(m_window, tr("Cannot delete"), s.errorMessage());
                          return;
                      }
                      if (sessionId == m_sessionId)
                          selectSession(QString());
                  });
}

} // namespace Spool
