#include "cli/cliapp.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QEventLoop>
#include <QJsonObject>
#include <QTimer>

#include <cstdio>

namespace Spool::Cli {

namespace {

const QStringList &commands()
{
    static const QStringList list{
        QStringLiteral("chat"),   QStringLiteral("sessions"),  QStringLiteral("runs"),
        QStringLiteral("tape"),   QStringLiteral("approvals"), QStringLiteral("status"),
        QStringLiteral("demo"),   QStringLiteral("help"),      QStringLiteral("policy"),
        QStringLiteral("providers"), QStringLiteral("agents"),   QStringLiteral("tools"),
        QStringLiteral("memory"), QStringLiteral("serve"),   QStringLiteral("export"),
        QStringLiteral("import"), QStringLiteral("mcp"),
    };
    return list;
}

// Options followed by a value, so the value is not taken for a command: ours, and the ones
// QApplication understands.
bool takesValue(const QString &option)
{
    static const QStringList withValue{
        QStringLiteral("--data-dir"),   QStringLiteral("--config-dir"),
        QStringLiteral("--screenshots"), QStringLiteral("-platform"),
        QStringLiteral("-platformpluginpath"), QStringLiteral("-platformtheme"),
        QStringLiteral("-plugin"),      QStringLiteral("-style"),
        QStringLiteral("-stylesheet"),  QStringLiteral("-display"),
        QStringLiteral("-geometry"),    QStringLiteral("-qwindowgeometry"),
        QStringLiteral("-qwindowtitle"), QStringLiteral("-qwindowicon"),
        QStringLiteral("-session"),
    };
    return withValue.contains(option);
}

} // namespace

int exitCodeFor(const Error &error)
{
    switch (error.code) {
    case ErrorCode::None: return ExitOk;
    case ErrorCode::InvalidArgument: return ExitUsage;
    case ErrorCode::NotFound: return ExitNotFound;
    case ErrorCode::Conflict:
    case ErrorCode::IllegalTransition: return ExitConflict;
    case ErrorCode::JournalUnavailable:
    case ErrorCode::JournalNotSqlite:
    case ErrorCode::JournalCorrupt: return ExitJournal;
    case ErrorCode::Cancelled: return ExitCancelled;
    case ErrorCode::DiskFull: return ExitDiskFull;
    case ErrorCode::Storage:
    case ErrorCode::Provider:
    case ErrorCode::Tool:
    case ErrorCode::Internal: return ExitFailure;
    }
    return ExitFailure;
}

CliApp::CliApp(const QStringList &arguments, EngineFactory factory)
    : m_arguments(arguments), m_factory(std::move(factory)), m_out(stdout), m_err(stderr)
{
}

CliApp::~CliApp()
{
    if (m_engine)
        m_engine->shutdown();
    m_out.flush();
    m_err.flush();
}

bool CliApp::isCommand(const QString &word)
{
    return commands().contains(word);
}

bool CliApp::wantsCommandLine(const QStringList &arguments)
{
    for (int i = 1; i < arguments.size(); ++i) {
        const QString &a = arguments.at(i);
        if (takesValue(a)) {
            ++i;
            continue;
        }
        if (a == QLatin1String("-h") || a == QLatin1String("--help")
            || a == QLatin1String("-v") || a == QLatin1String("--version"))
            return true;
        if (!a.startsWith(QLatin1Char('-')))
            return true; // a command, or a mistyped one: the CLI says which
    }
    return false;
}

void CliApp::printHelp()
{
    m_out << QStringLiteral(
            "Usage: spool [--data-dir DIR] [--config-dir DIR] [--json] <command> [options]\n"
            "\n"
            "Without a command, spool opens its window.\n"
            "\n"
            "Commands:\n"
            "  chat       send a message to an agent and stream the reply\n"
            "  sessions   list, show, rename, archive, restore, delete or reset sessions\n"
            "  runs       list or show runs, cancel a run\n"
            "  tape       show every event of a run\n"
            "  approvals  list pending tool approvals, decide one; list or revoke \"always\" grants\n"
            "  policy     test, explain, check or list the Cedar tool policies\n"
            "  status     engine counters and journal health\n"
            "  demo       a short offline demo on the deterministic provider\n"
            "  providers  list, add, remove or test model providers; list their models\n"
            "  agents     list agents, or set an agent's provider, model and prompt\n"
            "  tools      list the tools; run one through policy, approval and the sandbox\n"
            "  memory     add, list, search, show or forget memories; import documents\n"
            "  serve      serve the local HTTP API (OpenAI-compatible and Spool's own) on loopback\n"
            "  mcp        your MCP tool servers: list, add, remove, test, tools, enable, disable,\n"
            "             import (Claude Desktop's mcpServers JSON and others), export\n"
            "\n"
            "Global options:\n"
            "  --data-dir DIR    journal folder (default: $SPOOL_DATA_DIR, else the app data folder)\n"
            "  --config-dir DIR  settings folder (default: $SPOOL_CONFIG_DIR, else the app config folder)\n"
            "  --json            machine-readable output\n"
            "  -h, --help        help; `spool <command> --help` for a command\n"
            "  -v, --version     version\n"
            "\n"
            "Exit codes: 0 ok, 1 failed, 2 usage, 3 journal unusable, 4 not found, 5 conflict,\n"
            "6 run cancelled, 7 disk full, 130 interrupted (see docs/CLI.md).\n");
}

int CliApp::exec()
{
    QStringList rest;
    QString command;
    for (int i = 1; i < m_arguments.size(); ++i) {
        const QString &a = m_arguments.at(i);
        if (command.isEmpty() && takesValue(a) && i + 1 < m_arguments.size()) {
            rest << a << m_arguments.at(++i);
            continue;
        }
        if (command.isEmpty() && !a.startsWith(QLatin1Char('-'))) {
            command = a;
            continue;
        }
        rest << a;
    }
    if (command.isEmpty()) {
        if (rest.contains(QLatin1String("-v")) || rest.contains(QLatin1String("--version"))) {
            m_out << QStringLiteral("spool %1\n").arg(QCoreApplication::applicationVersion());
            return ExitOk;
        }
        printHelp();
        return rest.contains(QLatin1String("-h")) || rest.contains(QLatin1String("--help"))
                ? ExitOk
                : ExitUsage;
    }
    if (command == QLatin1String("help")) {
        printHelp();
        return ExitOk;
    }
    if (!isCommand(command)) {
        m_err << QStringLiteral("spool: unknown command \"%1\"\n").arg(command);
        m_err << QStringLiteral("Usage: spool <command> [options]; commands: %1\n")
                         .arg(commands().join(QStringLiteral(", ")));
        return ExitUsage;
    }
    return dispatch(command, rest);
}

int CliApp::dispatch(const QString &command, const QStringList &arguments)
{
    if (command == QLatin1String("chat"))
        return runChat(*this, arguments);
    if (command == QLatin1String("sessions"))
        return runSessions(*this, arguments);
    if (command == QLatin1String("runs"))
        return runRuns(*this, arguments);
    if (command == QLatin1String("tape"))
        return runTape(*this, arguments);
    if (command == QLatin1String("approvals"))
        return runApprovals(*this, arguments);
    if (command == QLatin1String("status"))
        return runStatus(*this, arguments);
    if (command == QLatin1String("demo"))
        return runDemo(*this, arguments);
    if (command == QLatin1String("providers"))
        return runProviders(*this, arguments);
    if (command == QLatin1String("agents"))
        return runAgents(*this, arguments);
    if (command == QLatin1String("policy"))
        return runPolicy(*this, arguments);
    if (command == QLatin1String("tools"))
        return runTools(*this, arguments);
    if (command == QLatin1String("memory"))
        return runMemory(*this, arguments);
    if (command == QLatin1String("serve"))
        return runServe(*this, arguments);
    if (command == QLatin1String("export"))
        return runExport(*this, arguments);
    if (command == QLatin1String("import"))
        return runImport(*this, arguments);
    if (command == QLatin1String("mcp"))
        return runMcp(*this, arguments);
    return ExitUsage;
}

std::optional<int> CliApp::parse(QCommandLineParser &parser, const QStringList &arguments,
                                 const QString &usage)
{
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption dataDir(QStringLiteral("data-dir"),
                                     QStringLiteral("Journal folder."), QStringLiteral("DIR"));
    const QCommandLineOption configDir(QStringLiteral("config-dir"),
                                       QStringLiteral("Settings folder."), QStringLiteral("DIR"));
    const QCommandLineOption jsonOption(QStringLiteral("json"),
                                        QStringLiteral("Machine-readable output."));
    const QCommandLineOption help({QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    parser.addOptions({dataDir, configDir, jsonOption, help});
    // The program name is not part of `arguments`; QCommandLineParser expects one.
    if (!parser.parse(QStringList{QStringLiteral("spool")} + arguments)) {
        m_err << QStringLiteral("spool: %1\n").arg(parser.errorText());
        m_err << QStringLiteral("Usage: %1\n").arg(usage);
        return ExitUsage;
    }
    if (parser.isSet(help)) {
        m_out << QStringLiteral("Usage: %1\n\n").arg(usage);
        m_out << parser.helpText().section(QLatin1Char('\n'), 2);
        return ExitOk;
    }
    m_json = parser.isSet(jsonOption);
    m_dataDir = parser.value(dataDir);
    m_configDir = parser.value(configDir);
    return std::nullopt;
}

const RuntimeConfig &CliApp::loadConfig()
{
    m_config = RuntimeConfig::load(m_dataDir, m_configDir);
    return m_config;
}

int CliApp::openEngine(const QString &frontEnd, bool adoptWaitingRuns)
{
    loadConfig();
    m_config.frontEnd = frontEnd;
    m_config.adoptWaitingRuns = adoptWaitingRuns;
    m_engine.reset(m_factory(m_config));
    if (Status opened = m_engine->open(); !opened)
        return fail(opened.error());
    return ExitOk;
}

void CliApp::settleRuns()
{
    waitUntil(
            [this] {
                for (const QString &id : m_engine->activeRunIds()) {
                    ApprovalFilter filter;
                    filter.pendingOnly = true;
                    filter.runId = id;
                    auto waiting = m_engine->approvals(filter);
                    if (!waiting || waiting->isEmpty())
                        return false;
                }
                return true;
            },
            -1);
}

bool CliApp::waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    if (done())
        return true;
    QEventLoop loop;
    bool met = false;
    auto check = [&] {
        if (!met && done()) {
            met = true;
            loop.quit();
        }
    };
    QObject::connect(m_engine.get(), &Engine::journalChanged, &loop, check, Qt::QueuedConnection);
    QObject::connect(m_engine.get(), &Engine::runUpdated, &loop, check, Qt::QueuedConnection);
    QObject::connect(m_engine.get(), &Engine::tapeAppended, &loop, check, Qt::QueuedConnection);
    if (timeoutMs >= 0)
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    loop.exec();
    return met;
}

int CliApp::fail(const Error &error)
{
    if (m_json) {
        printJson(QJsonObject{{QStringLiteral("error"),
                               QJsonObject{{QStringLiteral("code"), errorCodeName(error.code)},
                                           {QStringLiteral("message"), error.message}}}});
    }
    m_err << QStringLiteral("spool: %1\n").arg(error.message);
    m_err.flush();
    return exitCodeFor(error);
}

int CliApp::usageError(const QString &message, const QString &usage)
{
    m_err << QStringLiteral("spool: %1\nUsage: %2\n").arg(message, usage);
    return ExitUsage;
}

void CliApp::printJson(const QJsonValue &value)
{
    QByteArray bytes;
    if (value.isArray())
        bytes = QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    else
        bytes = QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    m_out << QString::fromUtf8(bytes) << '\n';
    m_out.flush();
}

QString formatTime(qint64 msecsSinceEpoch)
{
    if (msecsSinceEpoch <= 0)
        return QStringLiteral("-");
    return QDateTime::fromMSecsSinceEpoch(msecsSinceEpoch).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString formatDuration(qint64 ms)
{
    if (ms < 0)
        return QStringLiteral("-");
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60000)
        return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
    return QStringLiteral("%1 min %2 s").arg(ms / 60000).arg((ms % 60000) / 1000);
}

} // namespace Spool::Cli
