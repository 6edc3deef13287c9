#pragma once

#include "cli/exitcode.h"
#include "client/engine.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QJsonValue>
#include <QTextStream>

#include <functional>
#include <memory>
#include <optional>

namespace Spool::Cli {

// The `spool` command line: parses the global options and the command, and opens the engine
// (made by the factory, the Gateway in the application) on this thread, where there is no
// window to keep responsive: commands call it directly and run one event loop at most, while a
// run streams or a network answer is awaited. Commands see only the Engine interface.
class CliApp
{
public:
    CliApp(const QStringList &arguments, EngineFactory factory);
    ~CliApp();

    static bool isCommand(const QString &word);
    // True when argv asks for the command line rather than the window.
    static bool wantsCommandLine(const QStringList &arguments);

    int exec();

    // For commands ------------------------------------------------------------------------
    bool json() const { return m_json; }
    const RuntimeConfig &config() const { return m_config; }
    Engine &engine() { return *m_engine; }
    // What makes the engine: for commands that run it on a thread of its own (`spool serve`,
    // through EngineClient) instead of on this one.
    const EngineFactory &factory() const { return m_factory; }
    QTextStream &out() { return m_out; }
    QTextStream &err() { return m_err; }

    // Runs work(Engine &) and returns its result: a plain call, the engine lives on this thread.
    template<typename Work>
    auto withEngine(Work work) -> std::invoke_result_t<Work, Engine &>
    {
        return work(*m_engine);
    }

    // For engine work that answers later (a provider test, a model list): runs work(Engine &,
    // reply) and then the command's event loop until the work calls reply(R). A command waits
    // like this at most once, so no signal can arrive in a loop that does not expect it.
    template<typename R, typename Work>
    R await(Work work)
    {
        std::optional<R> result;
        QEventLoop loop;
        work(*m_engine, [&](R r) {
            result.emplace(std::move(r));
            loop.quit();
        });
        if (!result)
            loop.exec();
        return std::move(*result);
    }

    // Runs the command's event loop until `done()` is true, asking it once now and again each
    // time the journal changes (a run of this process, or another process's commit, which the
    // engine notices within its poll interval). False when `timeoutMs` (if >= 0) passed first.
    bool waitUntil(const std::function<bool()> &done, int timeoutMs = -1);

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
    // `adoptWaitingRuns`: this process takes over runs left waiting for an approval by a
    // process that exited (RuntimeConfig::adoptWaitingRuns).
    int openEngine(const QString &frontEnd = QStringLiteral("cli"), bool adoptWaitingRuns = false);
    // Waits (the one loop) until every run this process carries on has ended or waits for an
    // approval, which another process can then adopt.
    void settleRuns();

private:
    int dispatch(const QString &command, const QStringList &arguments);
    void printHelp();

    QStringList m_arguments;
    RuntimeConfig m_config;
    EngineFactory m_factory;
    std::unique_ptr<Engine> m_engine;
    QTextStream m_out;
    QTextStream m_err;
    bool m_json = false;
    QString m_dataDir;
    QString m_configDir;
};

// Commands, one file each.
int runChat(CliApp &app, const QStringList &arguments);
int runSessions(CliApp &app, const QStringList &arguments);
int runExport(CliApp &app, const QStringList &arguments);
int runImport(CliApp &app, const QStringList &arguments);
int runRuns(CliApp &app, const QStringList &arguments);
int runTape(CliApp &app, const QStringList &arguments);
int runApprovals(CliApp &app, const QStringList &arguments);
int runStatus(CliApp &app, const QStringList &arguments);
int runDemo(CliApp &app, const QStringList &arguments);
int runProviders(CliApp &app, const QStringList &arguments);
int runAgents(CliApp &app, const QStringList &arguments);
int runPolicy(CliApp &app, const QStringList &arguments);
int runTools(CliApp &app, const QStringList &arguments);
int runMemory(CliApp &app, const QStringList &arguments);
int runServe(CliApp &app, const QStringList &arguments);
int runMcp(CliApp &app, const QStringList &arguments);

// Shared formatting for human output.
QString formatTime(qint64 msecsSinceEpoch);
QString formatDuration(qint64 ms);

} // namespace Spool::Cli
