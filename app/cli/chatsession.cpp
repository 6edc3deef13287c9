#include "cli/chatsession.h"

#include "journal/tapeevent.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
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
    connect(&engine, &Engine::mcpQuestionAsked, this, &ChatSession::onQuestion, Qt::QueuedConnection);
    connect(&engine, &Engine::mcpQuestionAnswered, this, &ChatSession::onQuestionAnswered,
            Qt::QueuedConnection);
    connect(&engine, &Engine::mcpSignInRequested, this, &ChatSession::onSignIn, Qt::QueuedConnection);
    // Someone at a terminal can answer an MCP server's questions; otherwise they are declined.
    engine.mcp().setUserPresent(interactive);

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
    QString where;
    if (approval.preview.value(QStringLiteral("kind")).toString() == QLatin1String("mcp")) {
        const QJsonObject p = approval.preview;
        where = QStringLiteral(" on the MCP server \"%1\" (%2%3)")
                        .arg(p.value(QStringLiteral("server")).toString(), p.value(QStringLiteral("target")).toString(),
                             p.value(QStringLiteral("sandbox")).toString() == QLatin1String("bwrap")
                                     ? QStringLiteral(", in the sandbox")
                                     : QString());
    }
    note(QStringLiteral("? Tool call \"%1\"%2 (risk %3) wants to run with %4\n  %5")
                 .arg(approval.tool, where, approval.risk, args, approval.explanation));
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
    enableStdin();
}

void ChatSession::enableStdin()
{
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
        if (m_question) {
            note(QStringLiteral("  no answer on stdin; the question is cancelled"));
            answerQuestion(QStringLiteral("cancel"));
            return;
        }
        note(QStringLiteral("  no answer on stdin; the approval stays pending"));
        return;
    }
    m_line += QString::fromLocal8Bit(buffer, int(n));
    const int nl = m_line.indexOf(QLatin1Char('\n'));
    if (nl < 0)
        return;
    const QString raw = m_line.left(nl).trimmed();
    m_line = m_line.mid(nl + 1);
    if (m_question) {
        // Answers typed ahead (or pasted) are taken one line per field.
        questionLine(raw);
        while (m_question && m_line.contains(QLatin1Char('\n'))) {
            const int next = m_line.indexOf(QLatin1Char('\n'));
            const QString more = m_line.left(next).trimmed();
            m_line = m_line.mid(next + 1);
            questionLine(more);
        }
        return;
    }
    m_line.clear();
    const QString answer = raw.toLower();
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

// --- questions of MCP servers (elicitation) -------------------------------------------------

namespace {

// The choices of an enum field as (value, label), from enum (+ enumNames) or oneOf/anyOf.
QList<std::pair<QString, QString>> choicesOf(const QJsonObject &schema)
{
    QList<std::pair<QString, QString>> out;
    const QJsonArray values = schema.value(QStringLiteral("enum")).toArray();
    const QJsonArray names = schema.value(QStringLiteral("enumNames")).toArray();
    for (int i = 0; i < values.size(); ++i)
        out.append({values.at(i).toString(), names.at(i).toString(values.at(i).toString())});
    for (const char *key : {"oneOf", "anyOf"}) {
        for (const QJsonValue &v : schema.value(QLatin1String(key)).toArray()) {
            const QJsonObject o = v.toObject();
            out.append({o.value(QStringLiteral("const")).toString(),
                        o.value(QStringLiteral("title")).toString(o.value(QStringLiteral("const")).toString())});
        }
    }
    return out;
}

// One typed answer as a choice: its number in the list, or its value or label.
std::optional<QString> pick(const QList<std::pair<QString, QString>> &choices, const QString &typed)
{
    bool isNumber = false;
    const int n = typed.toInt(&isNumber);
    if (isNumber && n >= 1 && n <= choices.size())
        return choices.at(n - 1).first;
    for (const auto &[value, label] : choices) {
        if (typed.compare(value, Qt::CaseInsensitive) == 0 || typed.compare(label, Qt::CaseInsensitive) == 0)
            return value;
    }
    return std::nullopt;
}

QString valueText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isArray() || v.isObject())
        return QString::fromUtf8(v.isArray() ? QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact)
                                              : QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return v.toVariant().toString();
}

} // namespace

void ChatSession::onQuestion(const McpUserQuestion &question)
{
    if (!question.runId.isEmpty() && !mine(question.runId))
        return;
    if (m_app.json())
        m_app.printJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("question")},
                                    {QStringLiteral("question"), question.toJson()}});
    if (!m_interactive)
        return; // the engine declines it: no one is here
    if (m_question) {
        m_queuedQuestions.append(question);
        return;
    }
    OpenQuestion open;
    open.question = question;
    const QJsonObject properties = question.schema.value(QStringLiteral("properties")).toObject();
    const QJsonArray required = question.schema.value(QStringLiteral("required")).toArray();
    // Required fields first, then the rest, each group by name.
    for (const QJsonValue &r : required) {
        if (properties.contains(r.toString()))
            open.fields.append(r.toString());
    }
    for (auto it = properties.begin(); it != properties.end(); ++it) {
        if (!open.fields.contains(it.key()))
            open.fields.append(it.key());
    }
    m_question = open;
    note(QStringLiteral("? The MCP server \"%1\" asks you%2:\n  %3")
                 .arg(question.server,
                      question.tool.isEmpty() ? QString() : QStringLiteral(" (during the call of %1)").arg(question.tool),
                      question.message));
    if (question.mode == QLatin1String("url"))
        note(QStringLiteral("  It asks you to open: %1").arg(question.url));
    askQuestion();
}

void ChatSession::askQuestion()
{
    if (!m_question)
        return;
    OpenQuestion &q = *m_question;
    QTextStream &err = m_app.err();
    if (q.index < 0) {
        err << (q.question.mode == QLatin1String("url")
                        ? QStringLiteral("  [y] done, I opened it  [d] decline  [c] cancel > ")
                        : QStringLiteral("  [a] answer  [d] decline  [c] cancel > "));
        err.flush();
        enableStdin();
        return;
    }
    if (q.index >= q.fields.size()) {
        answerQuestion(QStringLiteral("accept"));
        return;
    }
    const QString name = q.fields.at(q.index);
    const QJsonObject p = q.question.schema.value(QStringLiteral("properties")).toObject().value(name).toObject();
    const bool required = q.question.schema.value(QStringLiteral("required")).toArray().contains(name);
    const QString type = p.value(QStringLiteral("type")).toString();
    QString line = QStringLiteral("  %1").arg(p.value(QStringLiteral("title")).toString(name));
    if (!p.value(QStringLiteral("description")).toString().isEmpty())
        line += QStringLiteral(" \u2014 ") + p.value(QStringLiteral("description")).toString();
    const auto choices = choicesOf(type == QLatin1String("array") ? p.value(QStringLiteral("items")).toObject() : p);
    if (!choices.isEmpty()) {
        QStringList numbered;
        for (int i = 0; i < choices.size(); ++i)
            numbered << QStringLiteral("%1) %2").arg(i + 1).arg(choices.at(i).second);
        line += QStringLiteral("\n    ") + numbered.join(QStringLiteral("  "));
        if (type == QLatin1String("array"))
            line += QStringLiteral("\n    (several: separate them with commas)");
    } else if (type == QLatin1String("boolean")) {
        line += QStringLiteral(" [y/n]");
    } else if (type == QLatin1String("integer") || type == QLatin1String("number")) {
        if (p.contains(QStringLiteral("minimum")) || p.contains(QStringLiteral("maximum")))
            line += QStringLiteral(" (%1 to %2)")
                            .arg(p.contains(QStringLiteral("minimum")) ? valueText(p.value(QStringLiteral("minimum"))) : QStringLiteral("…"),
                                 p.contains(QStringLiteral("maximum")) ? valueText(p.value(QStringLiteral("maximum"))) : QStringLiteral("…"));
    } else if (!p.value(QStringLiteral("format")).toString().isEmpty()) {
        line += QStringLiteral(" (%1)").arg(p.value(QStringLiteral("format")).toString());
    }
    if (p.contains(QStringLiteral("default")))
        line += QStringLiteral(" [Enter: %1]").arg(valueText(p.value(QStringLiteral("default"))));
    else if (!required)
        line += QStringLiteral(" [Enter: leave out]");
    err << line << QStringLiteral("\n  > ");
    err.flush();
    enableStdin();
}

void ChatSession::questionLine(const QString &line)
{
    if (!m_question)
        return;
    OpenQuestion &q = *m_question;
    if (q.index < 0) {
        const QString a = line.toLower();
        if (a == QLatin1String("d") || a == QLatin1String("decline")) {
            answerQuestion(QStringLiteral("decline"));
        } else if (a == QLatin1String("c") || a == QLatin1String("cancel")) {
            answerQuestion(QStringLiteral("cancel"));
        } else if (q.question.mode == QLatin1String("url") && (a == QLatin1String("y") || a == QLatin1String("yes"))) {
            answerQuestion(QStringLiteral("accept"));
        } else if (q.question.mode != QLatin1String("url") && (a == QLatin1String("a") || a == QLatin1String("answer")
                                                                || a == QLatin1String("y") || a == QLatin1String("yes"))) {
            q.index = 0;
            askQuestion();
        } else {
            askQuestion();
        }
        return;
    }
    const QString name = q.fields.at(q.index);
    const QJsonObject p = q.question.schema.value(QStringLiteral("properties")).toObject().value(name).toObject();
    const bool required = q.question.schema.value(QStringLiteral("required")).toArray().contains(name);
    const QString type = p.value(QStringLiteral("type")).toString();
    auto again = [this](const QString &why) {
        note(QStringLiteral("  ") + why);
        askQuestion();
    };
    if (line.isEmpty()) {
        // The schema's default is filled in by the engine; a field without one may be left out.
        if (required && !p.contains(QStringLiteral("default"))) {
            again(QStringLiteral("an answer is required"));
            return;
        }
        ++q.index;
        askQuestion();
        return;
    }
    QJsonValue value;
    if (type == QLatin1String("boolean")) {
        const QString a = line.toLower();
        if (a == QLatin1String("y") || a == QLatin1String("yes") || a == QLatin1String("true") || a == QLatin1String("1"))
            value = true;
        else if (a == QLatin1String("n") || a == QLatin1String("no") || a == QLatin1String("false") || a == QLatin1String("0"))
            value = false;
        else
            return again(QStringLiteral("answer y or n"));
    } else if (type == QLatin1String("integer") || type == QLatin1String("number")) {
        bool ok = false;
        const double d = type == QLatin1String("integer") ? double(line.toLongLong(&ok)) : line.toDouble(&ok);
        if (!ok)
            return again(type == QLatin1String("integer") ? QStringLiteral("a whole number, please") : QStringLiteral("a number, please"));
        if ((p.contains(QStringLiteral("minimum")) && d < p.value(QStringLiteral("minimum")).toDouble())
            || (p.contains(QStringLiteral("maximum")) && d > p.value(QStringLiteral("maximum")).toDouble()))
            return again(QStringLiteral("out of range"));
        value = type == QLatin1String("integer") ? QJsonValue(qint64(d)) : QJsonValue(d);
    } else if (type == QLatin1String("array")) {
        const auto choices = choicesOf(p.value(QStringLiteral("items")).toObject());
        QJsonArray picked;
        for (const QString &part : line.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const auto v = pick(choices, part.trimmed());
            if (!v)
                return again(QStringLiteral("\"%1\" is not one of the choices").arg(part.trimmed()));
            picked.append(*v);
        }
        const int minItems = p.value(QStringLiteral("minItems")).toInt(0);
        const int maxItems = p.value(QStringLiteral("maxItems")).toInt(INT_MAX);
        if (picked.size() < minItems || picked.size() > maxItems)
            return again(QStringLiteral("choose between %1 and %2").arg(minItems).arg(maxItems == INT_MAX ? int(picked.size()) : maxItems));
        value = picked;
    } else if (const auto choices = choicesOf(p); !choices.isEmpty()) {
        const auto v = pick(choices, line);
        if (!v)
            return again(QStringLiteral("choose one of the numbers shown"));
        value = *v;
    } else {
        value = line;
    }
    q.content.insert(name, value);
    ++q.index;
    askQuestion();
}

void ChatSession::answerQuestion(const QString &action)
{
    if (!m_question)
        return;
    const OpenQuestion q = *m_question;
    m_question.reset();
    if (m_stdin)
        m_stdin->setEnabled(false);
    auto r = m_app.engine().mcp().answer(q.question.id, action,
                                              action == QLatin1String("accept") ? q.content : QJsonObject(),
                                              QStringLiteral("cli"));
    if (!r)
        note(QStringLiteral("  %1").arg(r.errorMessage()));
    else
        note(QStringLiteral("  sent to %1: %2").arg(q.question.server, action));
    if (!m_queuedQuestions.isEmpty())
        onQuestion(m_queuedQuestions.takeFirst());
}

void ChatSession::onQuestionAnswered(const McpUserQuestion &question)
{
    m_queuedQuestions.removeIf([&question](const McpUserQuestion &q) { return q.id == question.id; });
    if (!m_question || m_question->question.id != question.id)
        return;
    // Closed by the engine (the call ended) or answered by another front end.
    m_question.reset();
    if (m_stdin)
        m_stdin->setEnabled(false);
    note(QStringLiteral("\n  the question of %1 was closed: %2 by %3")
                 .arg(question.server, question.action, question.answeredBy));
    if (!m_queuedQuestions.isEmpty())
        onQuestion(m_queuedQuestions.takeFirst());
}

void ChatSession::onSignIn(const QString &server, const QUrl &url)
{
    note(QStringLiteral("? The MCP server \"%1\" asks you to sign in. Open this address in a browser:\n  %2")
                 .arg(server, url.toString()));
    if (!qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        QProcess::startDetached(QStringLiteral("xdg-open"), {url.toString()});
}

} // namespace Spool::Cli
