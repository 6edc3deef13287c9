#include "mcpcontroller.h"

#include "client/engineclient.h"
#include "mcpquestiondialog.h"

#include <QDesktopServices>
#include <QWidget>

namespace Spool {

McpQuestionDialog *McpController::questionDialog(const QString &questionId) const
{
    return m_dialogs.value(questionId);
}

McpController::McpController(EngineClient *engine, QWidget *window)
    : QObject(window), m_engine(engine), m_window(window)
{
    m_open = [](const QUrl &url) { QDesktopServices::openUrl(url); };
    if (!m_engine)
        return;
    connect(m_engine, &EngineClient::mcpQuestionAsked, this, &McpController::ask);
    connect(m_engine, &EngineClient::mcpQuestionAnswered, this, &McpController::closed);
    connect(m_engine, &EngineClient::mcpSignInRequested, this, [this](const QString &server, const QUrl &url) {
        emit signInRequested(server, url);
        if (m_open)
            m_open(url);
    });
    if (m_engine->isReady())
        onReady();
    else
        connect(m_engine, &EngineClient::ready, this, &McpController::onReady);
}

void McpController::onReady()
{
    m_engine->post([](Engine &e) {
        e.mcp().setUserPresent(true);
        e.mcp().startAll();
    });
}

void McpController::ask(const McpUserQuestion &question)
{
    if (m_dialogs.contains(question.id))
        return;
    auto *dialog = new McpQuestionDialog(question, m_window);
    m_dialogs.insert(question.id, dialog);
    connect(dialog, &McpQuestionDialog::answered, this,
            [this](const QString &id, const QString &action, const QJsonObject &content) {
                m_dialogs.remove(id);
                if (!m_engine)
                    return;
                m_engine->call(this, [id, action, content](Engine &e) {
                    return e.mcp().answer(id, action, content, QStringLiteral("gui"));
                }, [](const Status &) {});
            });
    connect(dialog, &QObject::destroyed, this, [this, id = question.id] { m_dialogs.remove(id); });
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
    emit questionShown(question.id);
}

void McpController::closed(const McpUserQuestion &question)
{
    if (McpQuestionDialog *dialog = m_dialogs.take(question.id))
        dialog->closedElsewhere();
}

} // namespace Spool
