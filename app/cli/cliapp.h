#pragma once

#include "cli/exitcode.h"
#include "gateway/engineclient.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QJsonValue>
#include <QTextStream>

#include <memory>
#include <optional>

namespace Spool::Cli {

// The `spool` command line: parses the global options and the command, starts the engine on
// its thread, and gives commands a synchronous way to ask it things (the CLI's own event loop
// spins while the engine works; no command touches engine objects directly).
class CliApp
{
public:
    CliApp(const QStringList &arguments);
    ~CliApp();

    static bool isCommand(const QString &word);
    // True when argv asks for the command line rather than the window.
    static bool wantsCommandLine(const QStringList &arguments);

    int exec();

    // For commands ------------------------------------------------------------------------
    bool json() const { return m_json; }
    const RuntimeConfig &config() const { return m_config; }
    EngineClient &engine() { return *m_engine; }
    QTextStream &out() { return m_out; }
    QTextStream &err() { return m_err; }

    // Runs work(Gateway &) on the engine thread and waits for its result.
    template<typename Work>
    auto ask(Work work) -> std::invoke_result_t<Work, Gateway &>
    {
        using R = std::invoke_result_t<Work, Gateway &>;
        std::optional<R> result;
        QEventLoop loop;
        m_engine->call(&loop, std::move(work), [&](R r) {
            result.emplace(std::move(r));
            loop.quit();
        });
        loop.exec();
        return std::move(*result);
    }

    // Runs work(Gateway &, reply) on the engine thread and waits until it calls reply(R).
    template<typename R, typename Work>
    R askAsync(Work work)
    {
        std::optional<R> result;
        QEventLoop loop;
        m_engine->callAsync<R>(&loop, std::move(work), [&](R r) {
            result.emplace(std::move(r));
            loop.quit();
        });
        loop.exec();
        return std::move(*result);
    }

    // Prints an error ("spool: ...") and returns its exit code.
    int fail(const Error &error);
    int usageError(const QString &message, const QString &usage);
    void printJson(const QJsonValue &value);

    // Parses a command's own arguments; the global options are accepted there too. Returns an
    // exit code when the command should stop here (--help: 0, a bad flag: 2).
    std::optional<int> parse(QCommandLineParser &parser, const QStringList &arguments,
                             const QString &usage);
    // Loads the configuration (folders, settings) without starting the engine.
    const RuntimeConfig &loadConfig();
    // Loads the configuration and opens the engine; returns 0, or the exit code of the failure.
    int openEngine(const QString &frontEnd = QStringLiteral("cli"));

private:
    int dispatch(const QString &command, const QStringList &arguments);
    void printHelp();

    QStringList m_arguments;
    RuntimeConfig m_config;
    std::unique_ptr<EngineClient> m_engine;
    QTextStream m_out;
    QTextStream m_err;
    bool m_json = false;
    QString m_dataDir;
    QString m_configDir;
};

// Commands, one file each.
int runChat(CliApp &app, const QStringList &arguments);
int runSessions(CliApp &app, const QStringList &arguments);
int runRuns(CliApp &app, const QStringList &arguments);
int runTape(CliApp &app, const QStringList &arguments);
int runApprovals(CliApp &app, const QStringList &arguments);
int runStatus(CliApp &app, const QStringList &arguments);
int runDemo(CliApp &app, const QStringList &arguments);
int runProviders(CliApp &app, const QStringList &arguments);
int runAgents(CliApp &app, const QStringList &arguments);
int runPolicy(CliApp &app, const QStringList &arguments);
int runTools(CliApp &app, const QStringList &arguments);

// Shared formatting for human output.
QString formatTime(qint64 msecsSinceEpoch);
QString formatDuration(qint64 ms);

} // namespace Spool::Cli
