#include "runscontroller.h"

#include "client/engineclient.h"
#include "composer.h"
#include "messageboxes.h"
#include "runlistmodel.h"
#include "runpanel.h"
#include "sessionbar.h"
#include "tapeinspector.h"
#include "transcriptmodel.h"

#include <QPlainTextEdit>
#include <QTableView>

namespace Spool {

RunsController::RunsController(EngineClient &engine, QWidget *window, QObject *parent)
    : QObject(parent), m_engine(engine), m_window(window)
{
    m_transcript = new TranscriptModel(&engine, this);
    connect(&engine, &EngineClient::runUpdated, this, &RunsController::onRunUpdated);
    connect(&engine, &EngineClient::tapeAppended, this, &RunsController::onTapeEvent);
    connect(&engine, &EngineClient::textDelta, m_transcript, &TranscriptModel::appendDelta);
    connect(&engine, &EngineClient::journalChanged, this, &RunsController::catchUp);
}

void RunsController::setComposer(Composer *composer)
{
    m_composer = composer;
    connect(composer, &Composer::submitted, this, &RunsController::send);
    connect(composer, &Composer::stopRequested, this, &RunsController::stop);
}

void RunsController::setRunPanel(RunPanel *panel)
{
    m_runPanel = panel;
}

void RunsController::setSessionBar(SessionBar *bar)
{
    m_sessionBar = bar;
}

void RunsController::setSession(const QString &sessionId)
{
    m_sessionId = sessionId;
    m_activeRunId.clear();
    m_transcript->setSession(sessionId);
    if (m_runPanel)
        m_runPanel->setSession(sessionId);
    if (m_composer)
        m_composer->setRunning(false);
    emit runningChanged(false);
    if (sessionId.isEmpty())
        return;
    // Is a run of this session in progress (in this process or another)?
    m_engine.call(this,
                  [sessionId](Engine &g) {
                      RunFilter f;
                      f.sessionId = sessionId;
                      f.activeOnly = true;
                      f.limit = 1;
                      return g.runs(f);
                  },
                  [this, sessionId](Result<QList<RunInfo>> runs) {
                      if (sessionId == m_sessionId && runs && !runs->isEmpty())
                          onRunUpdated(runs->constFirst());
                  });
}

void RunsController::send(const QString &text)
{
    const QList<Attachment> attachments = m_composer ? m_composer->attachments() : QList<Attachment>();
    if ((text.trimmed().isEmpty() && attachments.isEmpty()) || !m_engine.isReady() || isRunning())
        return;
    if (m_composer) {
        m_composer->clear();
        m_composer->setRunning(true);
    }
    if (!m_sessionId.isEmpty()) {
        startRunIn(m_sessionId, text, attachments);
        return;
    }
    // A new session: create it first and show it, so its transcript follows the run from its
    // first event.
    m_engine.call(this, [](Engine &g) { return g.sessions().resolve({}, true); },
                  [this, text, attachments](Result<SessionResolution> r) {
                      if (!r) {
                          sendFailed(text, attachments, r.errorMessage());
                          return;
                      }
                      emit sessionToShow(r->session.id); // shows it: setSession() follows
                      if (m_composer)
                          m_composer->setRunning(true);
                      startRunIn(r->session.id, text, attachments);
                  });
}

void RunsController::startRunIn(const QString &sessionId, const QString &text,
                                const QList<Attachment> &attachments)
{
    RunRequest request;
    request.session.id = sessionId;
    request.createSession = false;
    request.text = text;
    request.attachments = attachments;
    request.source = QStringLiteral("gui");
    m_engine.call(this, [request](Engine &g) { return g.startRun(request); },
                  [this, text, attachments](Result<RunInfo> run) {
                      if (!run) {
                          sendFailed(text, attachments, run.errorMessage());
                          return;
                      }
                      if (run->sessionId != m_sessionId)
                          emit sessionToShow(run->sessionId);
                      onRunUpdated(*run);
                      emit runStarted(run->sessionId);
                  });
}

void RunsController::sendFailed(const QString &text, const QList<Attachment> &attachments,
                                const QString &error)
{
    if (m_composer) {
        m_composer->setRunning(false);
        m_composer->editor()->setPlainText(text);
        m_composer->setAttachments(attachments);
    }
    showWarning(m_window, tr("Cannot send"), error);
}

void RunsController::stop()
{
    if (!isRunning())
        return;
    const QString runId = m_activeRunId;
    emit status(tr("Stopping the run\u2026"), 4000);
    m_engine.call(this, [runId](Engine &g) { return g.cancelRun(runId, QStringLiteral("gui")); },
                  [this](Result<RunInfo> r) {
                      if (!r)
                          emit status(r.errorMessage(), 8000);
                  });
}

void RunsController::retry(const QString &runId)
{
    // A new run of the session with the same input, linked to the one it retries.
    m_engine.call(this, [runId](Engine &g) { return g.retryRun(runId); },
                  [this](Result<RunInfo> r) {
                      if (!r)
                          emit status(tr("Cannot retry: %1").arg(r.errorMessage()), 8000);
                  });
}

void RunsController::showTape(const QString &runId)
{
    if (!m_runPanel)
        return;
    m_runPanel->setVisible(true);
    if (!runId.isEmpty())
        m_runPanel->selectRun(runId);
    else if (m_runPanel->selectedRunId().isEmpty() && m_runPanel->runs()->rowCount() > 0)
        m_runPanel->selectRun(m_runPanel->runs()->rowAt(0).id);
    m_runPanel->tape()->table()->setFocus(Qt::ShortcutFocusReason);
}

void RunsController::openRun(const QString &runId)
{
    m_engine.call(this, [runId](Engine &g) { return g.run(runId); }, [this](const Result<RunInfo> &run) {
        if (!run)
            return emit status(run.errorMessage(), 4000);
        emit sessionToShow(run->sessionId); // setSession() follows, and clears the panel
        showTape(run->id);
    });
}

void RunsController::onRunUpdated(const RunInfo &run)
{
    m_transcript->applyRun(run);
    if (m_runPanel)
        m_runPanel->applyRun(run);
    if (m_sessionBar)
        m_sessionBar->applyRun(run);
    if (run.sessionId != m_sessionId)
        return;
    const bool wasRunning = isRunning();
    if (!run.isTerminal()) {
        m_activeRunId = run.id;
    } else if (run.id == m_activeRunId) {
        m_activeRunId.clear();
        if (run.state == RunState::Failed)
            emit status(tr("The run failed: %1").arg(run.detail.isEmpty() ? run.reason : run.detail), 8000);
        else if (run.state == RunState::Cancelled)
            emit status(tr("The run was stopped"), 4000);
    }
    if (m_composer)
        m_composer->setRunning(isRunning());
    if (wasRunning != isRunning())
        emit runningChanged(isRunning());
}

void RunsController::onTapeEvent(const TapeEvent &event)
{
    m_transcript->applyEvent(event);
    if (m_runPanel)
        m_runPanel->applyEvent(event);
}

void RunsController::catchUp()
{
    m_transcript->refreshFromJournal();
    if (m_runPanel)
        m_runPanel->refreshFromJournal();
    if (m_sessionId.isEmpty())
        return;
    const QString sessionId = m_sessionId;
    m_engine.call(this,
                  [sessionId](Engine &g) {
                      RunFilter f;
                      f.sessionId = sessionId;
                      f.limit = 3;
                      return g.runs(f);
                  },
                  [this, sessionId](Result<QList<RunInfo>> runs) {
                      if (!runs || sessionId != m_sessionId)
                          return;
                      for (auto it = runs->crbegin(); it != runs->crend(); ++it)
                          onRunUpdated(*it);
                  });
}

} // namespace Spool
