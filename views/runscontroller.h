#pragma once

#include <QObject>
#include <QPointer>

class QWidget;

namespace Spool {

struct Attachment;
class Composer;
class EngineClient;
class RunPanel;
class SessionBar;
class TranscriptModel;
struct RunInfo;
struct TapeEvent;

// The runs of the session on screen: sends what the composer submits (creating the session
// with its first message), stops and retries runs, and carries the engine's live events to
// the transcript, the run panel (runs, timeline, tape) and the session header's token count.
// Owns the transcript model; the views belong to the window.
class RunsController : public QObject
{
    Q_OBJECT
public:
    // `window` is the parent of the message boxes.
    RunsController(EngineClient &engine, QWidget *window, QObject *parent = nullptr);

    TranscriptModel *transcript() const { return m_transcript; }
    void setComposer(Composer *composer);
    void setRunPanel(RunPanel *panel);
    void setSessionBar(SessionBar *bar);

    // Another session is shown (empty: a new session that its first message will create).
    void setSession(const QString &sessionId);
    QString sessionId() const { return m_sessionId; }
    // The shown session's run in progress, if any.
    QString activeRunId() const { return m_activeRunId; }
    bool isRunning() const { return !m_activeRunId.isEmpty(); }

    // Sends the text with the composer's attachments.
    void send(const QString &text);
    void stop();
    // Sends a run's input again.
    void retry(const QString &runId);
    // Shows a run's tape in the run panel (the selected run's, or the newest, when empty).
    void showTape(const QString &runId = {});
    // Shows any run (the Memory view's "open run"): its session, then the run in the run panel.
    void openRun(const QString &runId);
    // Another process wrote to the journal: catch up with its runs.
    void catchUp();

signals:
    void runningChanged(bool running);
    // The window should show this session: a new session's first message created it, or one
    // of its runs was opened.
    void sessionToShow(const QString &sessionId);
    // A run of this window started (the session's activity and title changed).
    void runStarted(const QString &sessionId);
    void status(const QString &message, int timeoutMs);

private:
    void startRunIn(const QString &sessionId, const QString &text, const QList<Attachment> &attachments);
    void onRunUpdated(const RunInfo &run);
    void onTapeEvent(const TapeEvent &event);
    // Puts the text and the attachments back in the composer: nothing is lost.
    void sendFailed(const QString &text, const QList<Attachment> &attachments, const QString &error);

    EngineClient &m_engine;
    QPointer<QWidget> m_window;
    TranscriptModel *m_transcript = nullptr;
    QPointer<Composer> m_composer;
    QPointer<RunPanel> m_runPanel;
    QPointer<SessionBar> m_sessionBar;
    QString m_sessionId;
    QString m_activeRunId;
};

} // namespace Spool
