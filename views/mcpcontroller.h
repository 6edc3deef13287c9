#pragma once

#include "mcp/mcpuserquestion.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <functional>

class QWidget;

namespace Spool {

class EngineClient;
class McpQuestionDialog;

// The window's side of MCP: once the engine is ready it starts the user's servers and tells
// the engine someone is here to answer their questions; a server's question opens a
// McpQuestionDialog (closed again if the question ends elsewhere); a remote server's sign-in
// opens the system browser on its page, where the engine's loopback listener gets the answer.
class McpController : public QObject
{
    Q_OBJECT
public:
    McpController(EngineClient *engine, QWidget *window);

    McpQuestionDialog *questionDialog(const QString &questionId) const;
    QList<QString> openQuestions() const { return m_dialogs.keys(); }
    // How a sign-in page is opened (tests replace the system browser).
    void setBrowser(std::function<void(const QUrl &)> open) { m_open = std::move(open); }

signals:
    // For the status bar: a server asked the user to sign in.
    void signInRequested(const QString &server, const QUrl &url);
    void questionShown(const QString &questionId);

private:
    void onReady();
    void ask(const McpUserQuestion &question);
    void closed(const McpUserQuestion &question);

    QPointer<EngineClient> m_engine;
    QPointer<QWidget> m_window;
    QHash<QString, QPointer<McpQuestionDialog>> m_dialogs;
    std::function<void(const QUrl &)> m_open;
};

} // namespace Spool
