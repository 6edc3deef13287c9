#include "cli/cliapp.h"

#include "api/apiinstancelock.h"
#include "api/apiserver.h"
#include "api/apisettings.h"
#include "client/engineclient.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonObject>
#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral("spool serve [--port N] [--agent NAME] [--json]");

int g_stopPipe[2] = {-1, -1};

void onStopSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t n = ::write(g_stopPipe[1], &byte, 1);
}

// Runs work(Engine &) on the engine thread and waits here (this thread has no window) for its
// answer.
template<typename Work>
auto awaitEngine(EngineClient &client, Work work) -> std::invoke_result_t<Work, Engine &>
{
    using R = std::invoke_result_t<Work, Engine &>;
    std::optional<R> result;
    QEventLoop loop;
    client.call(&loop, std::move(work), [&](R r) {
        result.emplace(std::move(r));
        loop.quit();
    });
    loop.exec();
    return std::move(*result);
}

} // namespace

int runServe(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption portOption(QStringLiteral("port"),
                                        QStringLiteral("Port on 127.0.0.1 and ::1 (0: any free port; default: "
                                                       "api/port in spool.conf, else 8642)."),
                                        QStringLiteral("N"));
    const QCommandLineOption agentOption(QStringLiteral("agent"),
                                         QStringLiteral("The agent behind model \"spool\" and for sessions the "
                                                        "API creates (default: the default agent)."),
                                         QStringLiteral("NAME"));
    parser.addOptions({portOption, agentOption});
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    if (!parser.positionalArguments().isEmpty())
        return app.usageError(QStringLiteral("serve takes no arguments"), kUsage);

    RuntimeConfig config = app.loadConfig();
    config.frontEnd = QStringLiteral("api");
    ApiSettings settings = ApiSettings::load(config);
    if (parser.isSet(portOption)) {
        bool ok = false;
        const int port = parser.value(portOption).toInt(&ok);
        if (!ok || port < 0 || port > 65535)
            return app.usageError(QStringLiteral("--port must be a number from 0 to 65535"), kUsage);
        settings.port = quint16(port);
    }
    // Said before the engine opens: one server per data folder.
    ApiInstanceLock probe(config.dataDir);
    if (Status s = probe.acquire(); !s)
        return app.fail(s.error());
    probe.release();

    EngineClient client(config, app.factory());
    std::optional<Error> failure;
    {
        QEventLoop loop;
        QObject::connect(&client, &EngineClient::ready, &loop, &QEventLoop::quit);
        QObject::connect(&client, &EngineClient::startFailed, &loop, [&](const Error &e) {
            failure = e;
            loop.quit();
        });
        client.start();
        loop.exec();
    }
    if (failure)
        return app.fail(*failure);

    const QString agent = parser.value(agentOption);
    if (!agent.isEmpty()) {
        const Result<Agent> found = awaitEngine(client, [agent](Engine &e) { return e.agents().get(agent); });
        if (!found)
            return app.fail(found.error());
    }

    ApiServer server(client);
    server.setDefaultAgent(agent);
    if (Status s = server.start(settings); !s)
        return app.fail(s.error());

    const QString base = server.url().resolved(QUrl(QStringLiteral("v1"))).toString();
    if (app.json()) {
        app.printJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("listening")},
                                  {QStringLiteral("url"), server.url().toString()},
                                  {QStringLiteral("base_url"), base},
                                  {QStringLiteral("port"), server.port()},
                                  {QStringLiteral("addresses"), QJsonArray::fromStringList(server.addresses())},
                                  {QStringLiteral("token_file"), server.tokenPath()},
                                  {QStringLiteral("pid"), qint64(::getpid())}});
    } else {
        QTextStream &out = app.out();
        out << QStringLiteral("Spool API serving on %1\n").arg(server.addresses().join(QStringLiteral(" and ")));
        out << QStringLiteral("  OpenAI-compatible base URL: %1 (models: the agents; \"spool\" is %2)\n")
                        .arg(base, agent.isEmpty() ? QStringLiteral("the default agent") : agent);
        out << QStringLiteral("  Spool API: %1api/v1/status (docs/API.md)\n").arg(server.url().toString());
        out << QStringLiteral("  Token file: %1 (send: Authorization: Bearer <its content>)\n")
                        .arg(server.tokenPath());
        out << QStringLiteral("Ctrl-C stops.\n");
        out.flush();
    }

    // Ctrl-C or SIGTERM: stop taking requests, cancel the runs still streaming, close.
    QEventLoop loop;
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, g_stopPipe) != 0)
        return app.fail(makeError(ErrorCode::Internal, QStringLiteral("cannot watch for Ctrl-C")));
    QSocketNotifier stopNotifier(g_stopPipe[0], QSocketNotifier::Read);
    QObject::connect(&stopNotifier, &QSocketNotifier::activated, &loop, &QEventLoop::quit);
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    loop.exec();
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);

    server.stop();
    if (app.json())
        app.printJson(QJsonObject{{QStringLiteral("type"), QStringLiteral("stopped")}});
    else
        app.err() << QStringLiteral("spool: the API stopped\n");
    app.err().flush();
    stopNotifier.setEnabled(false);
    for (int &fd : g_stopPipe) {
        ::close(fd);
        fd = -1;
    }
    return ExitOk;
}

} // namespace Spool::Cli
