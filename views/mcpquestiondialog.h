#pragma once

#include "mcp/mcpuserquestion.h"

#include <QDialog>
#include <QHash>

class QLabel;
class QPushButton;

namespace Spool {

// A question an MCP server asks during a tool call (elicitation): its message and a form built
// from the flat schema it sent (text, numbers, yes/no, one or several choices), filled with the
// schema's defaults. Send is the default button; Decline says no; Esc (or closing) cancels.
// For a URL question the page is shown with a button that opens it in the browser. If the
// question is closed elsewhere (the call ended, the terminal answered), the dialog closes.
class McpQuestionDialog : public QDialog
{
    Q_OBJECT
public:
    explicit McpQuestionDialog(const McpUserQuestion &question, QWidget *parent = nullptr);

    QString questionId() const { return m_question.id; }
    // The content the form holds now, as it would be sent.
    QJsonObject content() const;
    // A field's editor, by property name (tests fill the form through it).
    QWidget *field(const QString &name) const { return m_fields.value(name); }
    QPushButton *sendButton() const { return m_send; }
    QPushButton *declineButton() const { return m_decline; }
    void closedElsewhere();

signals:
    void answered(const QString &questionId, const QString &action, const QJsonObject &content);

protected:
    void reject() override;

private:
    void answer(const QString &action);
    bool validate(QString *problem) const;

    McpUserQuestion m_question;
    QHash<QString, QWidget *> m_fields;
    QPushButton *m_send = nullptr;
    QPushButton *m_decline = nullptr;
    QLabel *m_problem = nullptr;
    bool m_answered = false;
};

} // namespace Spool
