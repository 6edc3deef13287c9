#include "cli/cliapp.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSaveFile>

#include <termios.h>
#include <unistd.h>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool mcp list\n"
        "       spool mcp add NAME (--url URL | -- COMMAND [ARG...]) [--env NAME=VALUE]...\n"
        "             [--secret-env NAME]... [--header NAME=VALUE]... [--secret-header NAME]...\n"
        "             [--sandbox [--sandbox-network] [--read PATH]... [--write PATH]...]\n"
        "             [--agent NAME]... [--cwd DIR] [--timeout SECONDS] [--max-tools N]\n"
        "             [--oauth-client-id ID] [--disabled]\n"
        "       spool mcp remove NAME\n"
        "       spool mcp test NAME [--wait SECONDS]\n"
        "       spool mcp tools NAME [--wait SECONDS]\n"
        "       spool mcp enable|disable NAME [TOOL]\n"
        "       spool mcp import FILE|- [--replace]\n"
        "       spool mcp export [--with-secrets] [--output FILE]\n"
        "Servers are kept in mcp.json in the config folder (the mcpServers form of Claude Desktop);\n"
        "secret values are never arguments: --secret-env and --secret-header read them from stdin\n"
        "(asked without echo on a terminal; piped, one line each in the order given) and keep them\n"
        "in the keychain. `add` on an existing name replaces its definition.");

// NAME=VALUE pairs of repeated options.
std::optional<QMap<QString, QString>> pairs(const QStringList &values, QString *bad)
{
    QMap<QString, QString> map;
    for (const QString &v : values) {
        const int eq = v.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            *bad = v;
            return std::nullopt;
        }
        map.insert(v.left(eq), v.mid(eq + 1));
    }
    return map;
}

// One secret from stdin: typed without echo on a terminal, else the next line piped in.
std::optional<QString> readSecret(CliApp &app, const QString &what, QTextStream &in)
{
    QString value;
    if (::isatty(STDIN_FILENO)) {
        app.err() << QStringLiteral("%1 (not shown): ").arg(what);
        app.err().flush();
        termios saved{};
        const bool canHide = ::tcgetattr(STDIN_FILENO, &saved) == 0;
        if (canHide) {
            termios hidden = saved;
            hidden.c_lflag &= ~tcflag_t(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden);
        }
        value = in.readLine();
        if (canHide)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        app.err() << '\n';
    } else {
        value = in.readLine();
    }
    if (value.isNull() || value.trimmed().isEmpty())
        return std::nullopt;
    return value.trimmed();
}

QString stateWords(const McpServerStatus &s)
{
    QString words = s.state;
    if (s.state == QLatin1String("restarting") && s.restartAt > 0)
        words += QStringLiteral(" (at %1)").arg(formatTime(s.restartAt));
    return words;
}

int listServers(CliApp &app)
{
    const QList<McpServerStatus> servers = app.engine().mcp().servers();
    const QStringList problems = app.engine().mcp().problems();
    for (const QString &p : problems)
        app.err() << QStringLiteral("spool: warning: %1\n").arg(p);
    if (app.json()) {
        QJsonArray out;
        for (const McpServerStatus &s : servers)
            out.append(s.toJson());
        app.printJson(QJsonObject{{QStringLiteral("config_file"), app.engine().mcpConfigPath()},
                                  {QStringLiteral("servers"), out},
                                  {QStringLiteral("problems"), QJsonArray::fromStringList(problems)}});
        return ExitOk;
    }
    if (servers.isEmpty()) {
        app.out() << QStringLiteral("No MCP servers are configured (%1).\n"
                                    "Add one with `spool mcp add` or bring yours with `spool mcp import FILE`.\n")
                             .arg(app.engine().mcpConfigPath());
        return ExitOk;
    }
    int width = 4;
    for (const McpServerStatus &s : servers)
        width = qMax(width, int(s.config.name.size()));
    app.out() << QStringLiteral("%1  %2  %3  %4  %5\n")
                         .arg(QStringLiteral("NAME").leftJustified(width), QStringLiteral("ENABLED"),
                              QStringLiteral("TRANSPORT"), QStringLiteral("SANDBOX"), QStringLiteral("COMMAND OR URL"));
    for (const McpServerStatus &s : servers) {
        const McpServerConfig &c = s.config;
        QStringList notes;
        if (!c.agents.isEmpty())
            notes << QStringLiteral("agents: %1").arg(c.agents.join(QStringLiteral(", ")));
        if (!c.disabledTools.isEmpty())
            notes << QStringLiteral("disabled tools: %1").arg(c.disabledTools.join(QStringLiteral(", ")));
        if (!c.secretEnv.isEmpty() || !c.secretHeaders.isEmpty())
            notes << QStringLiteral("secrets in the keychain: %1").arg((c.secretEnv + c.secretHeaders).join(QStringLiteral(", ")));
        app.out() << QStringLiteral("%1  %2  %3  %4  %5\n")
                             .arg(c.name.leftJustified(width), (c.enabled ? QStringLiteral("yes") : QStringLiteral("no")).leftJustified(7),
                                  c.transportName().leftJustified(9),
                                  (c.isRemote() ? QStringLiteral("-") : c.sandbox ? QStringLiteral("bwrap") : QStringLiteral("none")).leftJustified(7),
                                  c.describe());
        for (const QString &n : notes)
            app.out() << QStringLiteral("%1  %2\n").arg(QString(width, QLatin1Char(' ')), n);
    }
    return ExitOk;
}

int addServer(CliApp &app, const QCommandLineParser &parser, const QStringList &positional, const QStringList &options)
{
    Q_UNUSED(options);
    if (positional.size() < 2)
        return app.usageError(QStringLiteral("mcp add needs a name"), kUsage);
    McpServerConfig c;
    c.name = positional.at(1);
    c.url = parser.value(QStringLiteral("url"));
    const QStringList command = positional.mid(2);
    if (!command.isEmpty()) {
        c.command = command.first();
        c.args = command.mid(1);
    }
    if (c.url.isEmpty() == c.command.isEmpty())
        return app.usageError(QStringLiteral("give either --url URL or -- COMMAND [ARG...]"), kUsage);
    QString bad;
    const auto env = pairs(parser.values(QStringLiteral("env")), &bad);
    if (!env)
        return app.usageError(QStringLiteral("--env takes NAME=VALUE, not \"%1\"").arg(bad), kUsage);
    const auto headers = pairs(parser.values(QStringLiteral("header")), &bad);
    if (!headers)
        return app.usageError(QStringLiteral("--header takes NAME=VALUE, not \"%1\"").arg(bad), kUsage);
    c.env = *env;
    c.headers = *headers;
    c.secretEnv = parser.values(QStringLiteral("secret-env"));
    c.secretHeaders = parser.values(QStringLiteral("secret-header"));
    for (const QString &s : c.secretEnv + c.secretHeaders) {
        if (s.contains(QLatin1Char('=')))
            return app.usageError(QStringLiteral("--secret-env and --secret-header take a NAME; the value is read "
                                                 "from stdin, never from the command line"),
                                  kUsage);
    }
    c.sandbox = parser.isSet(QStringLiteral("sandbox"));
    c.sandboxNetwork = parser.isSet(QStringLiteral("sandbox-network"));
    c.readOnlyPaths = parser.values(QStringLiteral("read"));
    c.readWritePaths = parser.values(QStringLiteral("write"));
    for (QString &p : c.readOnlyPaths)
        p = QDir::cleanPath(QDir::current().absoluteFilePath(p));
    for (QString &p : c.readWritePaths)
        p = QDir::cleanPath(QDir::current().absoluteFilePath(p));
    c.agents = parser.values(QStringLiteral("agent"));
    c.cwd = parser.value(QStringLiteral("cwd"));
    c.oauthClientId = parser.value(QStringLiteral("oauth-client-id"));
    c.enabled = !parser.isSet(QStringLiteral("disabled"));
    if (parser.isSet(QStringLiteral("timeout")))
        c.callTimeoutSeconds = parser.value(QStringLiteral("timeout")).toInt();
    if (parser.isSet(QStringLiteral("max-tools")))
        c.maxTools = parser.value(QStringLiteral("max-tools")).toInt();
    if (Status valid = c.validate(); !valid)
        return app.fail(valid.error());

    QMap<QString, QString> secrets;
    QTextStream in(stdin);
    for (const QString &key : c.secretEnv) {
        auto value = readSecret(app, QStringLiteral("Value of %1 for %2").arg(key, c.name), in);
        if (!value)
            return app.fail(makeError(ErrorCode::InvalidArgument, QStringLiteral("no value for %1 on stdin").arg(key)));
        secrets.insert(key, *value);
    }
    for (const QString &key : c.secretHeaders) {
        auto value = readSecret(app, QStringLiteral("Value of the header %1 for %2").arg(key, c.name), in);
        if (!value)
            return app.fail(makeError(ErrorCode::InvalidArgument, QStringLiteral("no value for %1 on stdin").arg(key)));
        secrets.insert(key, *value);
    }
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    const Status saved = app.await<Status>([c, secrets](Engine &e, auto reply) { e.mcp().save(c, secrets, reply); });
    if (!saved)
        return app.fail(saved.error());
    if (app.json())
        app.printJson(QJsonObject{{QStringLiteral("saved"), c.name}, {QStringLiteral("config"), c.toJson()}});
    else
        app.out() << QStringLiteral("Saved the MCP server %1 in %2. Try it: spool mcp test %1\n")
                             .arg(c.name, app.engine().mcpConfigPath());
    return ExitOk;
}

void printStatus(CliApp &app, const McpServerStatus &s, bool withTools)
{
    QTextStream &out = app.out();
    out << QStringLiteral("%1: %2\n").arg(s.config.name, stateWords(s));
    out << QStringLiteral("  %1: %2\n").arg(s.config.transportName(), s.config.describe());
    if (!s.serverName.isEmpty())
        out << QStringLiteral("  server: %1 %2, protocol %3\n").arg(s.serverName, s.serverVersion, s.protocolVersion);
    if (!s.sandbox.isEmpty())
        out << QStringLiteral("  sandbox: %1\n").arg(s.sandbox);
    if (!s.error.isEmpty())
        out << QStringLiteral("  error: %1\n").arg(s.error);
    const int offered = int(std::count_if(s.tools.cbegin(), s.tools.cend(), [](const McpToolState &t) { return t.offered; }));
    out << QStringLiteral("  tools: %1 listed, %2 offered to agents\n").arg(s.listedTools).arg(offered);
    if (!withTools)
        return;
    for (const McpToolState &t : s.tools) {
        QStringList hints;
        for (const QString &h : {QStringLiteral("readOnlyHint"), QStringLiteral("destructiveHint"),
                                 QStringLiteral("idempotentHint"), QStringLiteral("openWorldHint")}) {
            if (t.annotations.value(h).toBool())
                hints << h.chopped(4);
        }
        out << QStringLiteral("  %1 %2%3\n")
                       .arg(t.offered ? QStringLiteral("+") : QStringLiteral("-"), t.spoolName,
                            t.enabled ? (t.problem.isEmpty() ? QString() : QStringLiteral("  (") + t.problem + QLatin1Char(')'))
                                      : QStringLiteral("  (disabled)"));
        if (!t.description.isEmpty())
            out << QStringLiteral("      %1\n").arg(t.description.simplified().left(160));
        if (!hints.isEmpty())
            out << QStringLiteral("      server's hints (not verified): %1\n").arg(hints.join(QStringLiteral(", ")));
    }
}

int testServer(CliApp &app, const QString &name, int waitSeconds, bool withTools)
{
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    Engine &engine = app.engine();
    // A remote server may send us to sign in: say where, and try to open a browser.
    QObject::connect(&engine, &Engine::mcpSignInRequested, &engine, [&app](const QString &server, const QUrl &url) {
        app.err() << QStringLiteral("spool: %1 asks you to sign in. Open this address in a browser:\n  %2\n")
                             .arg(server, url.toString());
        app.err().flush();
        if (!qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
            QProcess::startDetached(QStringLiteral("xdg-open"), {url.toString()});
    });
    auto known = engine.mcp().servers();
    const bool remote = std::any_of(known.cbegin(), known.cend(),
                                    [&name](const McpServerStatus &s) { return s.config.name == name && s.config.isRemote(); });
    const int waitMs = (waitSeconds > 0 ? waitSeconds : remote ? 300 : 60) * 1000;
    const McpServerStatus status = app.await<McpServerStatus>(
            [name, waitMs](Engine &e, auto reply) { e.mcp().test(name, waitMs, reply); });
    if (status.state == QLatin1String("failed") && status.config.command.isEmpty() && status.config.url.isEmpty())
        return app.fail(makeError(ErrorCode::NotFound, status.error));
    if (app.json()) {
        QJsonObject o = status.toJson();
        if (!status.isReady()) {
            QJsonArray lines;
            if (auto log = engine.mcp().log(name)) {
                for (const McpLogEntry &l : log->mid(qMax<qsizetype>(0, log->size() - 20)))
                    lines.append(l.toJson());
            }
            o.insert(QStringLiteral("log_tail"), lines);
        }
        app.printJson(o);
    } else {
        printStatus(app, status, withTools);
        if (!status.isReady()) {
            if (auto log = engine.mcp().log(name); log && !log->isEmpty()) {
                app.out() << QStringLiteral("  last lines of its log:\n");
                for (const McpLogEntry &l : log->mid(qMax<qsizetype>(0, log->size() - 12)))
                    app.out() << QStringLiteral("    [%1] %2\n").arg(l.source, l.text);
            }
        }
    }
    return status.isReady() ? ExitOk : ExitFailure;
}

int toggle(CliApp &app, const QStringList &positional, bool enable)
{
    if (positional.size() < 2 || positional.size() > 3)
        return app.usageError(QStringLiteral("mcp %1 takes a server name and, optionally, one of its tools")
                                      .arg(enable ? QStringLiteral("enable") : QStringLiteral("disable")),
                              kUsage);
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    const QString server = positional.at(1);
    const Status s = positional.size() == 3 ? app.engine().mcp().setToolEnabled(server, positional.at(2), enable)
                                            : app.engine().mcp().setEnabled(server, enable);
    if (!s)
        return app.fail(s.error());
    const QString what = positional.size() == 3 ? QStringLiteral("the tool %1 of %2").arg(positional.at(2), server)
                                                : QStringLiteral("the MCP server %1").arg(server);
    if (app.json())
        app.printJson(QJsonObject{{QStringLiteral("server"), server},
                                  {QStringLiteral("tool"), positional.size() == 3 ? QJsonValue(positional.at(2)) : QJsonValue()},
                                  {QStringLiteral("enabled"), enable}});
    else
        app.out() << QStringLiteral("%1 %2.\n").arg(enable ? QStringLiteral("Enabled") : QStringLiteral("Disabled"), what);
    return ExitOk;
}

int importServers(CliApp &app, const QString &file, bool replace)
{
    QByteArray json;
    if (file == QLatin1String("-")) {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly))
            return app.fail(makeError(ErrorCode::InvalidArgument, QStringLiteral("cannot read stdin")));
        json = in.readAll();
    } else {
        QFile in(file);
        if (!in.open(QIODevice::ReadOnly))
            return app.fail(makeError(ErrorCode::NotFound, QStringLiteral("cannot read %1: %2").arg(file, in.errorString())));
        json = in.readAll();
    }
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    const Result<McpImportReport> report = app.await<Result<McpImportReport>>(
            [json, replace](Engine &e, auto reply) { e.mcp().importServers(json, replace, reply); });
    if (!report)
        return app.fail(makeError(report.error().code, QStringLiteral("%1: %2").arg(file, report.errorMessage())));
    if (app.json()) {
        app.printJson(report->toJson());
        return ExitOk;
    }
    for (const QString &w : report->warnings)
        app.err() << QStringLiteral("spool: warning: %1\n").arg(w);
    QTextStream &out = app.out();
    out << QStringLiteral("Imported %1 server%2 into %3")
                   .arg(report->added.size() + report->replaced.size())
                   .arg(report->added.size() + report->replaced.size() == 1 ? QString() : QStringLiteral("s"))
                   .arg(app.engine().mcpConfigPath());
    out << (report->added.isEmpty() ? QString() : QStringLiteral("; added: %1").arg(report->added.join(QStringLiteral(", "))));
    out << (report->replaced.isEmpty() ? QString() : QStringLiteral("; replaced: %1").arg(report->replaced.join(QStringLiteral(", "))));
    out << (report->skipped.isEmpty() ? QString() : QStringLiteral("; skipped: %1").arg(report->skipped.join(QStringLiteral(", "))));
    out << QStringLiteral(".\n");
    if (!report->secrets.isEmpty())
        out << QStringLiteral("Kept in the keychain, not in the file: %1.\n").arg(report->secrets.join(QStringLiteral("; ")));
    return ExitOk;
}

int exportServers(CliApp &app, bool withSecrets, const QString &output)
{
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    const Result<QByteArray> json = app.await<Result<QByteArray>>(
            [withSecrets](Engine &e, auto reply) { e.mcp().exportServers(withSecrets, reply); });
    if (!json)
        return app.fail(json.error());
    if (output.isEmpty() || output == QLatin1String("-")) {
        app.out() << QString::fromUtf8(*json);
        app.out().flush();
        return ExitOk;
    }
    QSaveFile file(output);
    if (!file.open(QIODevice::WriteOnly))
        return app.fail(makeError(ErrorCode::Storage, QStringLiteral("cannot write %1: %2").arg(output, file.errorString())));
    if (withSecrets)
        file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(*json);
    if (!file.commit())
        return app.fail(makeError(ErrorCode::Storage, QStringLiteral("cannot write %1: %2").arg(output, file.errorString())));
    app.err() << QStringLiteral("Wrote %1.\n").arg(output);
    return ExitOk;
}

} // namespace

int runMcp(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.addOptions({
            {QStringLiteral("url"), QStringLiteral("add: the URL of a remote (Streamable HTTP) server."), QStringLiteral("URL")},
            {QStringLiteral("env"), QStringLiteral("add: an environment variable for the server."), QStringLiteral("NAME=VALUE")},
            {QStringLiteral("secret-env"), QStringLiteral("add: a variable whose value is secret (read from stdin, kept in the keychain)."),
             QStringLiteral("NAME")},
            {QStringLiteral("header"), QStringLiteral("add: an HTTP header for a remote server."), QStringLiteral("NAME=VALUE")},
            {QStringLiteral("secret-header"), QStringLiteral("add: a header whose value is secret (read from stdin, kept in the keychain)."),
             QStringLiteral("NAME")},
            {QStringLiteral("sandbox"), QStringLiteral("add: run the server inside bubblewrap (no home folder, no network).")},
            {QStringLiteral("sandbox-network"), QStringLiteral("add: give the sandboxed server the network.")},
            {QStringLiteral("read"), QStringLiteral("add: a path the sandboxed server may read."), QStringLiteral("PATH")},
            {QStringLiteral("write"), QStringLiteral("add: a path the sandboxed server may read and write."), QStringLiteral("PATH")},
            {QStringLiteral("agent"), QStringLiteral("add: an agent that may use the server's tools (default: every agent)."), QStringLiteral("NAME")},
            {QStringLiteral("cwd"), QStringLiteral("add: the server's working folder."), QStringLiteral("DIR")},
            {QStringLiteral("timeout"), QStringLiteral("add: seconds one tool call may take without progress."), QStringLiteral("SECONDS")},
            {QStringLiteral("max-tools"), QStringLiteral("add: how many of its tools are offered at most."), QStringLiteral("N")},
            {QStringLiteral("oauth-client-id"), QStringLiteral("add: an OAuth client registered by hand."), QStringLiteral("ID")},
            {QStringLiteral("disabled"), QStringLiteral("add: configure the server switched off.")},
            {QStringLiteral("wait"), QStringLiteral("test, tools: seconds to wait for the server."), QStringLiteral("SECONDS")},
            {QStringLiteral("replace"), QStringLiteral("import: replace servers of the same name.")},
            {QStringLiteral("with-secrets"), QStringLiteral("export: write the secret values from the keychain.")},
            {QStringLiteral("output"), QStringLiteral("export: write to FILE instead of stdout."), QStringLiteral("FILE")},
    });
    parser.addPositionalArgument(QStringLiteral("action"),
                                 QStringLiteral("list, add, remove, test, tools, enable, disable, import or export"));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0, QStringLiteral("list"));
    auto needName = [&](int count) -> std::optional<int> {
        if (positional.size() != count)
            return app.usageError(QStringLiteral("mcp %1 takes a server name").arg(action), kUsage);
        return std::nullopt;
    };

    if (action == QLatin1String("list")) {
        if (positional.size() > 1)
            return app.usageError(QStringLiteral("mcp list takes no arguments"), kUsage);
        if (int rc = app.openEngine(); rc != ExitOk)
            return rc;
        return listServers(app);
    }
    if (action == QLatin1String("add"))
        return addServer(app, parser, positional, arguments);
    if (action == QLatin1String("remove")) {
        if (auto rc = needName(2))
            return *rc;
        if (int rc = app.openEngine(); rc != ExitOk)
            return rc;
        const QString name = positional.at(1);
        const Status removed = app.await<Status>([name](Engine &e, auto reply) { e.mcp().remove(name, reply); });
        if (!removed)
            return app.fail(removed.error());
        if (app.json())
            app.printJson(QJsonObject{{QStringLiteral("removed"), name}});
        else
            app.out() << QStringLiteral("Removed the MCP server %1 and its secrets.\n").arg(name);
        return ExitOk;
    }
    if (action == QLatin1String("test") || action == QLatin1String("tools")) {
        if (auto rc = needName(2))
            return *rc;
        return testServer(app, positional.at(1), parser.value(QStringLiteral("wait")).toInt(),
                          action == QLatin1String("tools"));
    }
    if (action == QLatin1String("enable") || action == QLatin1String("disable"))
        return toggle(app, positional, action == QLatin1String("enable"));
    if (action == QLatin1String("import")) {
        if (positional.size() != 2)
            return app.usageError(QStringLiteral("mcp import takes a file (or - for stdin)"), kUsage);
        return importServers(app, positional.at(1), parser.isSet(QStringLiteral("replace")));
    }
    if (action == QLatin1String("export")) {
        if (positional.size() != 1)
            return app.usageError(QStringLiteral("mcp export takes no arguments (--output FILE writes a file)"), kUsage);
        return exportServers(app, parser.isSet(QStringLiteral("with-secrets")), parser.value(QStringLiteral("output")));
    }
    return app.usageError(QStringLiteral("unknown mcp action \"%1\"").arg(action), kUsage);
}

} // namespace Spool::Cli
