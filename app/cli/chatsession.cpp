#include "cli/chatsession.h"

#include "journal/tapeevent.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace Spool::Cli {

namespace {

int g_signalPipe[2] = {-1, -1};

void onSigint(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(g_signalPipe[1], &byte, 1);
}

} // namespace

ChatSession::ChatSession(CliApp &app, ApprovalAnswer answer, bool interactive)
    : m_app(app), m_answer(answer), m_interactive(interactive)
{
    // Queued, though the engine lives on this thread: what the engine announces while it
    // starts the run arrives in this session's loop, after the run's id is known.
    Engine &engine = app.engine();
    connect(&engine, &Engine::textDelta, this, &ChatSession::onDelta, Qt::QueuedConnection);
    connect(&engine, &Engine::tapeAppended, this, &ChatSession::onEvent, Qt::QueuedConnection);
    connect(&engine, &Engine::approvalRequested, this, &ChatSession::onApproval,
            Qt::QueuedConnection);
    connect(&engine, &Engine::approvalResolved, this, &ChatSession::onApprovalResolved,
            Qt::QueuedConnection);
    connect(&engine, &Engine::runUpdated, this, &ChatSession::onRun, Qt::QueuedConnection);

    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_signalPipe) == 0) {
        m_sigint = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, this);
        connect(m_sigint, &QSocketNotifier::activated, this, &ChatSession::onInterrupt);
        struct sigaction sa {};
        sa.sa_handler = onSigint;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        ::sigaction(SIGINT, &sa, nullptr);
    }
}

ChatSession::~ChatSession()
{
    ::signal(SIGINT, SIG_DFL);
    delete m_sigint;
    for (int &fd : g_signalPipe) {
        if (fd >= 0)
            ::close(fd);
        fd = -1;
    }
}

int ChatSession::exec(const RunRequest &request)
{
    return exec([request](Engine &e) { return e.startRun(request); });
}

int ChatSession::exec(const std::function<Result<RunInfo>(Engine &)> &start)
{
    auto run = start(m_app.engine());
    if (!run)
        return m_app.fail(run.error());
    m_run = *run;
    if (m_app.json())
        m_app.printJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("run")},
                                    {QStringLiteral("run"), m_run.toJson()}});
    if (m_run.isTerminal()) // it failed as it started (the journal refused its input)
        onRun(m_run);
    else
        m_loop.exec(); // the command's one loop, until the run ends
    return m_exitCode;
}

void ChatSession::onDelta(const QString &runId, const QString &text)
{
    if (!mine(runId) || m_output == Output::ToolOutput)
        return;
    if (m_app.json()) {
        m_app.printJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("delta")},
                                    {QStringLiteral("text"), text}});
        return;
    }
    m_app.out() << text;
    m_app.out().flush();
    m_midLine = !text.endsWith(QLatin1Char('\n'));
}

void ChatSession::note(const QString &line)
{
    if (m_midLine) {
        m_app.out() << '\n';
        m_app.out().flush();
        m_midLine = false;
    }
    m_app.err() << line << '\n';
    m_app.err().flush();
}

void ChatSession::onEvent(const TapeEvent &event)
{
    if (!mine(event.runId))
        return;
    if (event.kind == TapeKind::AssistantMessage)
        m_finalText = event.payload.value(QStringLiteral("text")).toString();
    if (m_output == Output::ToolOutput && event.kind == TapeKind::ToolOutput && !m_toolOk) {
        m_toolOk = event.payload.value(QStringLiteral("ok")).toBool();
        m_finalText = event.payload.value(QStringLiteral("output")).toString();
        if (!m_app.json()) {
            (*m_toolOk ? m_app.out() : m_app.err()) << m_finalText
                                                    << (m_finalText.endsWith(QLatin1Char('\n')) ? "" : "\n");
            m_app.out().flush();
            m_app.err().flush();
        }
    }
    if (m_app.json()) {
        m_app.printJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("event")},
                                    {QStringLiteral("event"), event.toJson()}});
        return;
    }
    if (event.kind == TapeKind::ToolCall || event.kind == TapeKind::PolicyDecision
        || event.kind == TapeKind::ApprovalDecision || event.kind == TapeKind::ToolOutput
        || event.kind == TapeKind::ProviderError) {
        note(QStringLiteral("  [%1] %2").arg(event.kind, event.summary(200)));
    }
}

void ChatSession::onApproval(const PendingToolApproval &approval)
{
    if (!mine(approval.runId))
        return;
    m_pendingApproval = approval.id;
    if (m_app.json())
        m_app.printJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("approval")},
                                    {QStringLiteral("approval"), approval.toJson()}});
    if (m_answer != ApprovalAnswer::Ask) {
        decide(approval.id, m_answer == ApprovalAnswer::Approve, ApprovalScope::Once);
        return;
    }
    const QString args = QString::fromUtf8(
            QJsonDocument(approval.arguments).toJson(QJsonDocument::Compact));
    note(QStringLiteral("? Tool call \"%1\" (risk %2) wants to run with %3\n  %4")
                 .arg(approval.tool, approval.risk, args, approval.explanation));
    if (m_interactive) {
        prompt();
    } else {
        note(QStringLiteral("  waiting for a decision: spool approvals decide %1 allow|deny "
                            "(expires %2)")
                     .arg(approval.id, formatTime(approval.expiresAt)));
    }
}

void ChatSession::prompt()
{
    m_app.err() << QStringLiteral("  [y] allow once  [s] allow for this session  [a] allow exactly "
                                  "this call always  [n] deny > ");
    m_app.err().flush();
    if (!m_stdin) {
        m_stdin = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, this);
        connect(m_stdin, &QSocketNotifier::activated, this, &ChatSession::onStdin);
    }
    m_stdin->setEnabled(true);
}

void ChatSession::onStdin()
{
    char buffer[256];
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n <= 0) {
        m_stdin->setEnabled(false); // end of input: leave the approval to time out or others
        note(QStringLiteral("  no answer on stdin; the approval stays pending"));
        return;
    }
    m_line += QString::fromLocal8Bit(buffer, int(n));
    const int nl = m_line.indexOf(QLatin1Char('\n'));
    if (nl < 0)
        return;
    const QString answer = m_line.left(nl).trimmed().toLower();
    m_line.clear();
    if (m_pendingApproval.isEmpty())
        return;
    if (answer == QLatin1String("y") || answer == QLatin1String("yes"))
        decide(m_pendingApproval, true, ApprovalScope::Once);
    else if (answer == QLatin1String("s") || answer == QLatin1String("session"))
        decide(m_pendingApproval, true, ApprovalScope::Session);
    else if (answer == QLatin1String("a") || answer == QLatin1String("always"))
        decide(m_pendingApproval, true, ApprovalScope::Always);
    else if (answer == QLatin1String("n") || answer == QLatin1String("no"))
        decide(m_pendingApproval, false, ApprovalScope::Once);
    else
        prompt();
}

void ChatSession::decide(const QString &approvalId, bool allow, ApprovalScope scope)
{
    if (m_stdin)
        m_stdin->setEnabled(false);
    auto r = m_app.engine().decideApproval(approvalId, allow, scope, QStringLiteral("cli"));
    if (!r) {
        note(QStringLiteral("  %1").arg(r.errorMessage()));
        // Still pending (e.g. no "always" for this call): ask again.
        if (m_interactive && !m_pendingApproval.isEmpty()
            && r.error().code == ErrorCode::InvalidArgument)
            prompt();
    } else if (!r->grantId.isEmpty()) {
        note(QStringLiteral("  granted always (grant %1; `spool approvals revoke %1` takes it back)")
                     .arg(r->grantId));
    }
}

void ChatSession::onApprovalResolved(const PendingToolApproval &approval)
{
    if (approval.id != m_pendingApproval)
        return;
    m_pendingApproval.clear();
    if (m_stdin && m_stdin->isEnabled()) {
        m_stdin->setEnabled(false);
        note(QStringLiteral("\n  decided elsewhere: %1 by %2")
                     .arg(approvalStatusName(approval.status), approval.decidedBy));
    }
}

void ChatSession::onRun(const RunInfo &run)
{
    if (!mine(run.id))
        return;
    m_run = run;
    if (!run.isTerminal())
        return;
    if (m_app.json()) {
        m_app.printJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("result")},
                                    {QStringLiteral("run"), run.toJson()},
                                    {QStringLiteral("text"), m_finalText}});
    } else {
        if (m_midLine) {
            m_app.out() << '\n';
            m_app.out().flush();
            m_midLine = false;
        }
        if (run.state != RunState::Succeeded) {
            m_app.err() << QStringLiteral("spool: run %1 %2 (%3)%4\n")
                                   .arg(run.id, runStateName(run.state), run.reason,
                                        run.detail.isEmpty() ? QString()
                                                             : QStringLiteral(": ") + run.detail);
        }
        if (::isatty(STDERR_FILENO)) {
            m_app.err() << QStringLiteral("[run %1 · %2 · %3 · %4+%5 tokens · session %6]\n")
                                   .arg(run.id, runStateName(run.state),
                                        formatDuration(run.durationMs(run.endedAt)))
                                   .arg(run.promptTokens)
                                   .arg(run.completionTokens)
                                   .arg(run.sessionId);
        }
        m_app.err().flush();
    }
    switch (run.state) {
    case RunState::Succeeded:
        m_exitCode = (m_output == Output::ToolOutput && m_toolOk != true) ? ExitFailure : ExitOk;
        break;
    case RunState::Cancelled: m_exitCode = m_interrupted ? ExitInterrupted : ExitCancelled; break;
    default: m_exitCode = ExitFailure; break;
    }
    m_loop.quit();
}

void ChatSession::onInterrupt()
{
    char drain[16];
    [[maybe_unused]] const ssize_t n = ::read(g_signalPipe[0], drain, sizeof drain);
    if (m_interrupted) {
        // A second Ctrl-C: stop waiting.
        m_exitCode = ExitInterrupted;
        m_loop.quit();
        return;
    }
    m_interrupted = true;
    note(QStringLiteral("\n  cancelling (Ctrl-C again to quit at once)"));
    (void)m_app.engine().cancelRun(m_run.id, QStringLiteral("cli")); // the run's end says how
}

} // namespace Spool::Cli
