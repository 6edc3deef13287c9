#include "cli/chatsession.h"

#include <QDir>
#include <QFile>

#include <unistd.h>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool chat [--session KEY | --session-id ID | --new] [--agent NAME] "
        "[--workspace DIR] [--approve | --deny] [--json] TEXT...   (TEXT \"-\" reads the message from stdin)");

// Broken policies deny every tool call: say so before the run, not only in its tape.
void warnAboutPolicyProblems(CliApp &app)
{
    const QList<PolicyProblem> problems = app.engine().policyProblems();
    if (problems.isEmpty())
        return;
    QTextStream &err = app.err();
    err << QStringLiteral("spool: warning: the tool policies have %1 problem%2, so every tool call "
                          "is denied until they are fixed:\n")
                   .arg(problems.size())
                   .arg(problems.size() == 1 ? QString() : QStringLiteral("s"));
    for (const PolicyProblem &p : problems)
        err << QStringLiteral("  %1\n").arg(p.toString());
    err << QStringLiteral("  (the files are in %1; `spool policy check` checks them again)\n")
                   .arg(app.config().configDir.isEmpty()
                                ? QStringLiteral("the policy folder")
                                : QDir(app.config().configDir).filePath(QStringLiteral("policies")));
    err.flush();
}

} // namespace

int runChat(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption session(QStringLiteral("session"),
                                     QStringLiteral("Continue (or create) the session with this key."),
                                     QStringLiteral("KEY"));
    const QCommandLineOption sessionId(QStringLiteral("session-id"),
                                       QStringLiteral("Continue the session with this id."),
                                       QStringLiteral("ID"));
    const QCommandLineOption newSession(QStringLiteral("new"),
                                        QStringLiteral("Start a new session (the default)."));
    const QCommandLineOption agent(QStringLiteral("agent"), QStringLiteral("Agent to use."),
                                   QStringLiteral("NAME"));
    const QCommandLineOption workspace(QStringLiteral("workspace"),
                                       QStringLiteral("The folder the session's tools work in (set for the session)."),
                                       QStringLiteral("DIR"));
    const QCommandLineOption approve(QStringLiteral("approve"),
                                     QStringLiteral("Allow every tool call that asks, once."));
    const QCommandLineOption deny(QStringLiteral("deny"),
                                  QStringLiteral("Deny every tool call that asks."));
    parser.addOptions({session, sessionId, newSession, agent, workspace, approve, deny});
    parser.addPositionalArgument(QStringLiteral("text"), QStringLiteral("The message, or - for stdin."),
                                 QStringLiteral("TEXT..."));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    if (parser.isSet(newSession) && (parser.isSet(session) || parser.isSet(sessionId)))
        return app.usageError(QStringLiteral("--new cannot be combined with --session or --session-id"),
                              kUsage);
    if (parser.isSet(approve) && parser.isSet(deny))
        return app.usageError(QStringLiteral("--approve and --deny exclude each other"), kUsage);

    QString text = parser.positionalArguments().join(QLatin1Char(' '));
    const bool fromStdin = text == QLatin1String("-");
    if (fromStdin) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly))
            return app.fail(makeError(ErrorCode::InvalidArgument, QStringLiteral("cannot read stdin")));
        text = QString::fromUtf8(in.readAll());
    }
    if (text.trimmed().isEmpty())
        return app.usageError(QStringLiteral("no message given"), kUsage);

    // A `spool chat` also carries on runs other processes left waiting for an approval.
    if (int rc = app.openEngine(QStringLiteral("cli"), true); rc != ExitOk)
        return rc;
    warnAboutPolicyProblems(app);

    RunRequest request;
    request.session.key = parser.value(session);
    request.session.id = parser.value(sessionId);
    request.createSession = true;
    request.agent = parser.value(agent);
    request.text = text;
    request.source = QStringLiteral("cli");
    if (parser.isSet(workspace)) {
        // The session exists first, so its runs see the folder from the start.
        const QString folder = parser.value(workspace);
        const SessionSelector selector = request.session;
        const QString agentName = request.agent;
        auto set = app.withEngine([selector, folder, agentName](Engine &g) -> Result<SessionInfo> {
            auto s = g.resolveSession(selector, true, agentName);
            if (!s)
                return s.error();
            return g.setSessionWorkspace(s->session.id, folder);
        });
        if (!set)
            return app.fail(set.error());
        request.session = SessionSelector{set->id, {}};
    }
    const ApprovalAnswer answer = parser.isSet(approve) ? ApprovalAnswer::Approve
            : parser.isSet(deny)                        ? ApprovalAnswer::Deny
                                                        : ApprovalAnswer::Ask;
    ChatSession chat(app, answer, !fromStdin && ::isatty(STDIN_FILENO));
    const int rc = chat.exec(request);
    // Runs it adopted go on to their end, or to their next approval, before it exits.
    app.settleRuns();
    return rc;
}

} // namespace Spool::Cli
