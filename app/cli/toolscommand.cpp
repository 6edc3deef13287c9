#include "cli/chatsession.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <unistd.h>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool tools list\n"
        "       spool tools run NAME --args JSON [--session KEY] [--workspace DIR] [--approve | --deny]");

} // namespace

int runTools(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption args(QStringLiteral("args"), QStringLiteral("The call's arguments, a JSON object."),
                                  QStringLiteral("JSON"), QStringLiteral("{}"));
    const QCommandLineOption session(QStringLiteral("session"),
                                     QStringLiteral("Session to run it in (default: the session \"tools\")."),
                                     QStringLiteral("KEY"), QStringLiteral("tools"));
    const QCommandLineOption workspace(QStringLiteral("workspace"),
                                       QStringLiteral("Set the session's workspace folder first."),
                                       QStringLiteral("DIR"));
    const QCommandLineOption approve(QStringLiteral("approve"), QStringLiteral("Allow the call once if it asks."));
    const QCommandLineOption deny(QStringLiteral("deny"), QStringLiteral("Deny the call if it asks."));
    parser.addOptions({args, session, workspace, approve, deny});
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("list or run"));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0, QStringLiteral("list"));
    if (action != QLatin1String("list") && action != QLatin1String("run"))
        return app.usageError(QStringLiteral("unknown tools action \"%1\"").arg(action), kUsage);
    QJsonObject callArguments;
    if (action == QLatin1String("run")) {
        if (positional.size() != 2)
            return app.usageError(QStringLiteral("tools run needs a tool name"), kUsage);
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(parser.value(args).toUtf8(), &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject())
            return app.usageError(QStringLiteral("--args must be a JSON object (%1)")
                                          .arg(error.error != QJsonParseError::NoError ? error.errorString()
                                                                                         : QStringLiteral("not an object")),
                                  kUsage);
        callArguments = doc.object();
        if (parser.isSet(approve) && parser.isSet(deny))
            return app.usageError(QStringLiteral("--approve and --deny exclude each other"), kUsage);
    }
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;

    if (action == QLatin1String("list")) {
        const QList<ToolSpec> specs = app.engine().toolSpecs();
        if (app.json()) {
            QJsonArray out;
            for (const ToolSpec &s : specs)
                out.append(s.toJson());
            app.printJson(out);
            return ExitOk;
        }
        for (const ToolSpec &s : specs) {
            app.out() << QStringLiteral("%1  risk %2  %3%4\n    %5\n")
                                 .arg(s.name.leftJustified(11), toolRiskName(s.risk).leftJustified(6),
                                      s.capabilities.isEmpty() ? QStringLiteral("(no capabilities)")
                                                               : s.capabilities.join(QStringLiteral(", ")),
                                      s.requiresApproval ? QStringLiteral("  \u00b7 asks by default") : QString(),
                                      s.description);
        }
        return ExitOk;
    }

    const QString tool = positional.at(1);
    SessionSelector selector;
    selector.key = parser.value(session);
    if (parser.isSet(workspace)) {
        const QString folder = parser.value(workspace);
        auto set = app.withEngine([selector, folder](Engine &g) -> Result<SessionInfo> {
            auto s = g.sessions().resolve(selector, true);
            if (!s)
                return s.error();
            return g.sessions().setWorkspace(s->session.id, folder);
        });
        if (!set)
            return app.fail(set.error());
    }
    const ApprovalAnswer answer = parser.isSet(approve) ? ApprovalAnswer::Approve
            : parser.isSet(deny)                        ? ApprovalAnswer::Deny
                                                        : ApprovalAnswer::Ask;
    ChatSession chat(app, answer, ::isatty(STDIN_FILENO));
    chat.setOutput(ChatSession::Output::ToolOutput);
    return chat.exec([tool, callArguments, selector](Engine &g) {
        return g.runTool(tool, callArguments, selector, QStringLiteral("cli"));
    });
}

} // namespace Spool::Cli
