#pragma once

#include <QObject>
#include <QPointer>

class QWidget;

namespace Spool {

class ElidedLabel;
class EngineClient;
class SessionBar;
class SessionListModel;
class SessionRail;
struct SessionInfo;

// Which session the window shows, and what can be done to sessions: the rail (search,
// archived, its context menu) and the Session menu both come here to select, start, rename,
// archive or restore, reset the context of, fork, export, import and delete a session, one
// method per action. Keeps the session header (title, model, folder,
// tokens) on the shown session. Owns the session list model; the views belong to the window.
class SessionsController : public QObject
{
    Q_OBJECT
public:
    // `window` is the parent of the dialogs this opens.
    SessionsController(EngineClient &engine, QWidget *window, QObject *parent = nullptr);

    SessionListModel *sessions() const { return m_sessions; }
    void setRail(SessionRail *rail);
    // The session header: the title, and the bar with the model, folder and token count.
    void setHeader(ElidedLabel *title, SessionBar *bar);

    // The session shown; empty for a new one that does not exist until its first message.
    QString currentSessionId() const { return m_sessionId; }
    QString currentTitle() const;

    void selectSession(const QString &sessionId);
    void startNewSession();
    // Asks for a new title (a dialog that does not block), then renames.
    void askToRename(const QString &sessionId);
    void rename(const QString &sessionId, const QString &title);
    void setArchived(const QString &sessionId, bool archived);
    void resetContext(const QString &sessionId);
    // Asks for confirmation (a dialog that does not block), then deletes.
    void askToDelete(const QString &sessionId);
    void deleteSession(const QString &sessionId);
    // A new session whose context is the conversation up to and including `runId` (in the
    // session that run belongs to: a branch's transcript also shows its parent's runs), shown
    // at once.
    void fork(const QString &runId);
    // Ask where (dialogs that do not block), then export the shown session or all of them
    // (Markdown or JSON, by the file's type), or import a JSON export as new sessions.
    void askToExport(bool all);
    void askToImport();

    // Lists the sessions again (search, archived, another process's changes).
    void reload();

signals:
    void currentSessionChanged(const QString &sessionId);
    // The shown session's title, its hint for the composer, its agent and model.
    void titleChanged(const QString &title);
    void composerHintChanged(const QString &hint);
    void agentDescribed(const QString &text);
    void status(const QString &message, int timeoutMs);

private:
    void describeCurrent();
    QString nameOf(const QString &sessionId) const;

    EngineClient &m_engine;
    QPointer<QWidget> m_window;
    SessionListModel *m_sessions = nullptr;
    QPointer<SessionRail> m_rail;
    QPointer<ElidedLabel> m_title;
    QPointer<SessionBar> m_bar;
    QString m_sessionId;
    int m_describeGeneration = 0;
};

} // namespace Spool
