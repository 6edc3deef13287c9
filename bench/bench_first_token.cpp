// Time from a provider's first byte to the first token in the window: a real run through the
// Gateway on its engine thread, against the tests' fake provider server on a thread of its
// own (as a real server is another process), with the reply's first text delta crossing
// EngineClient to the GUI thread, into the TranscriptModel and rendered by the TranscriptView
// (offscreen platform). Measured from the moment the server starts writing its reply to the
// moment the first token is in the view's document; also the engine's share (first byte to
// the Gateway's textDelta on the engine thread), for both APIs. Prints one JSON object per
// line.
//
//   bench_first_token [--iterations N]

#include "fakeproviderserver.h"

#include "client/engineclient.h"
#include "gateway/gateway.h"
#include "transcriptmodel.h"
#include "transcriptview.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTimer>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <cstdio>

using namespace Spool;

namespace {

QJsonObject stats(const QString &api, QList<double> micros, QList<double> engineMicros)
{
    std::sort(micros.begin(), micros.end());
    std::sort(engineMicros.begin(), engineMicros.end());
    const auto at = [](const QList<double> &v, double q) {
        return v.isEmpty() ? -1.0 : v.at(qMin(v.size() - 1, qsizetype(q * double(v.size()))));
    };
    return QJsonObject{
            {QStringLiteral("bench"), QStringLiteral("first_byte_to_first_token_gui")},
            {QStringLiteral("api"), api},
            {QStringLiteral("iterations"), qint64(micros.size())},
            {QStringLiteral("median_us"), qRound(at(micros, 0.5))},
            {QStringLiteral("p95_us"), qRound(at(micros, 0.95))},
            {QStringLiteral("max_us"), qRound(micros.isEmpty() ? -1.0 : micros.last())},
            {QStringLiteral("engine_median_us"), qRound(at(engineMicros, 0.5))},
    };
}

// Runs the event loop until `done` or the timeout; false on timeout. A real QEventLoop, which
// wakes as soon as an event is posted (QTest::qWaitFor sleeps 10 ms between its checks, which
// would be measured too).
template<typename F>
bool waitFor(F done, int ms = 10000)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer check;
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done())
            loop.quit();
    });
    check.start(1);
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
    return done();
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    qputenv("SPOOL_KEYSTORE", "file");
    QApplication app(argc, argv);
    QCommandLineParser cli;
    cli.addOption({QStringLiteral("iterations"), QStringLiteral("runs per API"), QStringLiteral("N"),
                   QStringLiteral("200")});
    cli.addHelpOption();
    cli.process(app);
    const int iterations = qMax(10, cli.value(QStringLiteral("iterations")).toInt());
    constexpr int warmup = 5;

    QElapsedTimer clock;
    clock.start();

    // The server on its own thread; its reply starts right after requestReceived.
    QThread serverThread;
    serverThread.setObjectName(QStringLiteral("fake-provider"));
    serverThread.start();
    auto *server = new Spool::Test::FakeProviderServer;
    server->moveToThread(&serverThread);
    QObject::connect(&serverThread, &QThread::finished, server, &QObject::deleteLater);
    std::atomic<qint64> writtenAt{-1};
    QObject::connect(server, &Spool::Test::FakeProviderServer::requestReceived, server,
                     [&writtenAt, &clock] { writtenAt = clock.nsecsElapsed(); });

    for (const QString &api : {QStringLiteral("openai"), QStringLiteral("anthropic")}) {
        std::atomic<int> port{-1};
        QMetaObject::invokeMethod(
                server,
                [server, api, &port] {
                    if (!server->loadScenario(api + QStringLiteral("/plain.json")))
                        port = 0;
                    else if (server->port() == 0 && !server->listen())
                        port = 0;
                    else
                        port = server->port();
                },
                Qt::QueuedConnection);
        if (!waitFor([&port] { return port >= 0; }) || port == 0) {
            std::fprintf(stderr, "cannot start the fake provider server\n");
            return 1;
        }

        QTemporaryDir dir;
        RuntimeConfig config;
        config.dataDir = dir.filePath(QStringLiteral("data"));
        config.configDir = dir.filePath(QStringLiteral("config"));
        config.principal = QStringLiteral("bench");
        config.deviceId = QStringLiteral("bench-device");
        config.frontEnd = QStringLiteral("gui");
        config.journalFullSync = false; // the runs around the measured span, not fsync, set the pace
        EngineClient engine(config, &Gateway::create);
        bool ready = false;
        QObject::connect(&engine, &EngineClient::ready, &app, [&ready] { ready = true; });
        engine.start();
        if (!waitFor([&ready] { return ready; })) {
            std::fprintf(stderr, "the engine did not start\n");
            return 1;
        }

        // A provider on the server and an agent on it, through the engine as the GUI does.
        ProviderConfig provider;
        provider.name = QStringLiteral("bench");
        provider.kind = *ProviderConfig::parseKind(api);
        provider.baseUrl = QStringLiteral("http://127.0.0.1:%1").arg(port.load())
                + (api == QLatin1String("openai") ? QStringLiteral("/v1") : QString());
        provider.defaultModel = QStringLiteral("bench-model");
        std::optional<Status> added;
        engine.callAsync<Status>(
                &app,
                [provider](Engine &g, std::function<void(Status)> reply) {
                    g.providers().add(provider, QStringLiteral("sk-bench"),
                                  [reply](const Status &s) { reply(s); });
                    Agent agent;
                    agent.name = QStringLiteral("bench");
                    agent.provider = provider.name;
                    agent.model = provider.defaultModel;
                    (void)g.agents().save(agent);
                },
                [&added](Status s) { added = s; });
        if (!waitFor([&added] { return added.has_value(); }) || !*added) {
            std::fprintf(stderr, "cannot add the provider\n");
            return 1;
        }

        // The engine's share: first byte to the Gateway's textDelta, on the engine thread.
        std::atomic<qint64> engineAt{-1};
        engine.post([&engineAt, &clock](Engine &g) {
            QObject::connect(&g, &Engine::textDelta, &g, [&engineAt, &clock] {
                qint64 expected = -1;
                engineAt.compare_exchange_strong(expected, clock.nsecsElapsed());
            });
        });

        TranscriptModel model(&engine);
        TranscriptView view;
        view.setModel(&model);
        view.resize(900, 700);
        view.show();
        QObject::connect(&engine, &EngineClient::runUpdated, &model, &TranscriptModel::applyRun);
        QObject::connect(&engine, &EngineClient::tapeAppended, &model, &TranscriptModel::applyEvent);
        QObject::connect(&engine, &EngineClient::textDelta, &model, &TranscriptModel::appendDelta);
        // Connected after the view: when this runs, the view has rendered the new row.
        qint64 shownAt = -1;
        QObject::connect(&model, &QAbstractItemModel::rowsInserted, &app,
                         [&](const QModelIndex &, int first, int) {
                             const TranscriptEntry &e = model.entryAt(first);
                             if (shownAt < 0 && e.kind == TranscriptEntry::Kind::Assistant && e.streaming)
                                 shownAt = clock.nsecsElapsed();
                         });

        std::optional<Result<SessionResolution>> session;
        engine.call(&app,
                    [](Engine &g) {
                        SessionSelector s;
                        s.key = QStringLiteral("bench");
                        return g.sessions().resolve(s, true, QStringLiteral("bench"));
                    },
                    [&session](Result<SessionResolution> r) { session = r; });
        if (!waitFor([&session] { return session.has_value(); }) || !*session) {
            std::fprintf(stderr, "cannot create the session\n");
            return 1;
        }
        const QString sessionId = (*session)->session.id;
        model.setSession(sessionId);
        waitFor([&model] { return !model.isLoading(); });

        QList<double> micros;
        QList<double> engineMicros;
        int lost = 0;
        for (int i = 0; i < iterations + warmup; ++i) {
            writtenAt = -1;
            engineAt = -1;
            shownAt = -1;
            std::optional<Result<RunInfo>> started;
            RunRequest request;
            request.session.id = sessionId;
            request.text = QStringLiteral("Hello %1").arg(i);
            request.source = QStringLiteral("bench");
            engine.call(&app, [request](Engine &g) { return g.startRun(request); },
                        [&](Result<RunInfo> r) {
                            if (r)
                                model.applyRun(*r);
                            started = r;
                        });
            bool ended = false;
            const QMetaObject::Connection endWatch = QObject::connect(
                    &engine, &EngineClient::runUpdated, &app, [&](const RunInfo &r) {
                        if (started && *started && r.id == (**started).id && r.isTerminal())
                            ended = true;
                    });
            if (!waitFor([&] { return ended; }, 15000) || !started || !*started) {
                std::fprintf(stderr, "run %d did not end\n", i);
                return 1;
            }
            QObject::disconnect(endWatch);
            if (i < warmup)
                continue; // the first runs warm up the connection and the caches
            if (shownAt < 0 || writtenAt < 0) {
                ++lost;
                continue;
            }
            micros.append(double(shownAt - writtenAt) / 1000.0);
            if (engineAt >= 0)
                engineMicros.append(double(engineAt - writtenAt) / 1000.0);
        }
        if (!view.toPlainText().contains(QStringLiteral("Hello"))) {
            std::fprintf(stderr, "the replies never reached the view\n");
            return 1;
        }
        QJsonObject result = stats(api, micros, engineMicros);
        result.insert(QStringLiteral("lost"), lost);
        std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
        std::fflush(stdout);
    }
    serverThread.quit();
    serverThread.wait();
    return 0;
}
