#pragma once

#include "cli/cliapp.h"

#include <QEventLoop>
#include <QJsonObject>
#include <QObject>
#include <QUrl>

#include <functional>
#include <optional>

class QSocketNotifier;

namespace Spool::Cli {

enum class ApprovalAnswer { Ask, Approve, Deny };

// One message sent from the terminal: streams the reply to stdout, reports tool activity on
// stderr, answers approvals (by flag, by prompt on a terminal, or leaves them to another front
// end), puts an MCP server's questions to the user field by field on a terminal (without one
// the engine declines them), prints the address of a remote server's sign-in, and turns
// Ctrl-C into a cancel.
class ChatSession : public QObject
{
public:
    ChatSession(CliApp &app, ApprovalAnswer answer, bool interactive);
    ~ChatSession() override;

    // What goes to stdout: the streamed reply, or (for `spool tools run`) the output of the
    // run's first tool call, with the exit code saying whether the tool succeeded.
    enum class Output { Reply, ToolOutput };
    void setOutput(Output output) { m_output = output; }

    // Starts the run and returns its exit code once it ends.
    int exec(const RunRequest &request);
    // The same for a run that start(Engine &) starts (e.g. runTool).
    int exec(const std::function<Result<RunInfo>(Engine &)> &start);
    const RunInfo &run() const { return m_run; }

private:
    bool mine(const QString &runId) const { return !m_run.id.isEmpty() && runId == m_run.id; }
    void onDelta(const QString &runId, const QString &text);
    void note(const QString &line);
    void onEvent(const TapeEvent &event);
    void onApproval(const PendingToolApproval &approval);
    void prompt();
    void onStdin();
    void decide(const QString &approvalId, bool allow, ApprovalScope scope);
    void onApprovalResolved(const PendingToolApproval &approval);
    void onRun(const RunInfo &run);
    void onInterrupt();
    void onQuestion(const McpUserQuestion &question);
    void onQuestionAnswered(const McpUserQuestion &question);
    void onSignIn(const QString &server, const QUrl &url);
    void askQuestion();
    void questionLine(const QString &line);
    void answerQuestion(const QString &action);
    void enableStdin();

    CliApp &m_app;
    ApprovalAnswer m_answer;
    bool m_interactive;
    RunInfo m_run;
    QEventLoop m_loop;
    QString m_finalText;
    QString m_pendingApproval;
    QString m_line;
    QSocketNotifier *m_sigint = nullptr;
    QSocketNotifier *m_stdin = nullptr;
    bool m_midLine = false;
    bool m_interrupted = false;
    int m_exitCode = ExitFailure;
    Output m_output = Output::Reply;
    std::optional<bool> m_toolOk;

    // The MCP question being asked: its fields in order, the one asked now (-1: whether to
    // answer at all), what was answered so far.
    struct OpenQuestion
    {
        McpUserQuestion question;
        QStringList fields;
        int index = -1;
        QJsonObject content;
    };
    std::optional<OpenQuestion> m_question;
    QList<McpUserQuestion> m_queuedQuestions;
};

} // namespace Spool::Cli
