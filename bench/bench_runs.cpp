// Engine overhead of a run: the deterministic provider (no delay) with one tool call, through
// the whole loop (journal, context from the tape, policy, tool, two provider turns).
// SPEC §10: under 2 ms per run, excluding the model. Prints one JSON object per line.
#include "gateway/gateway.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace Spool;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int count = argc > 1 ? std::atoi(argv[1]) : 300;
    const int history = argc > 3 ? qMax(1, std::atoi(argv[3])) : 1;
    QTemporaryDir dir;
    RuntimeConfig config;
    config.dataDir = dir.filePath(QStringLiteral("data"));
    config.configDir = dir.filePath(QStringLiteral("config"));
    config.principal = QStringLiteral("bench");
    config.deviceId = QStringLiteral("bench");
    config.deterministicChunkDelayMs = 0;
    // Usage: bench_runs [N] [full|normal] [RUNS_PER_SESSION]. `normal` measures with
    // synchronous=NORMAL: the engine without the fsyncs.
    config.journalFullSync = !(argc > 2 && QByteArray(argv[2]) == "normal");
    Gateway gateway(config);
    if (Status s = gateway.open(); !s) {
        std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
        return 1;
    }

    QList<double> perRun;
    QString current;
    QEventLoop loop;
    QObject::connect(&gateway, &Gateway::runUpdated, &loop, [&](const RunInfo &r) {
        if (r.id == current && r.isTerminal())
            loop.quit();
    });
    int events = 0;
    QObject::connect(&gateway, &Gateway::tapeAppended, &loop, [&](const TapeEvent &) { ++events; });
    QElapsedTimer total;
    total.start();
    for (int i = 0; i < count; ++i) {
        RunRequest request;
        // `history` earlier runs per session: 1 measures the loop itself; more adds the cost of
        // rebuilding and snapshotting a longer conversation.
        request.session.key = QStringLiteral("bench-%1").arg(i / history);
        request.text = QStringLiteral("what time is it? [[tool clock {}]]");
        QElapsedTimer t;
        t.start();
        auto run = gateway.startRun(request);
        if (!run) {
            std::fprintf(stderr, "%s\n", qPrintable(run.errorMessage()));
            return 1;
        }
        current = run->id;
        loop.exec();
        perRun.append(t.nsecsElapsed() / 1e6);
        auto final = gateway.run(current);
        if (!final || final->state != RunState::Succeeded) {
            std::fprintf(stderr, "run did not succeed\n");
            return 1;
        }
    }
    const double seconds = total.nsecsElapsed() / 1e9;
    std::sort(perRun.begin(), perRun.end());
    const double median = perRun.at(perRun.size() / 2);
    const double p95 = perRun.at(int(perRun.size() * 0.95));
    const QJsonObject out{{QStringLiteral("bench"), QStringLiteral("run_overhead")},
                          {QStringLiteral("runs"), count},
                          {QStringLiteral("runs_per_second"), qRound(count / seconds)},
                          {QStringLiteral("median_ms"), qRound(median * 1000) / 1000.0},
                          {QStringLiteral("p95_ms"), qRound(p95 * 1000) / 1000.0},
                          {QStringLiteral("tape_events_per_run"), events / count},
                          {QStringLiteral("runs_per_session"), history},
                          {QStringLiteral("synchronous"), config.journalFullSync ? QStringLiteral("FULL") : QStringLiteral("NORMAL")},
                          {QStringLiteral("bar_ms"), 2}};
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    gateway.shutdown();
    return 0;
}
