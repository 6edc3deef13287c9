// Engine overhead of a run: the deterministic provider (no delay) with one tool call, through
// the whole loop (journal, context from the tape, policy, tool, two provider turns), at both
// journal durabilities, against one raw SQLite durable commit (WAL, synchronous=FULL, one
// small insert) timed in the same process on the same disk, so the figures can be compared
// across machines. SPEC §10: under 2 ms per run at the default durability (FULL), excluding
// the model. Prints one JSON object per line: one per durability, then the summary.
#include "gateway/gateway.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>

using namespace Spool;

namespace {

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.at(values.size() / 2);
}

double round3(double v)
{
    return qRound(v * 1000) / 1000.0;
}

void print(const QJsonObject &o)
{
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

// Median ms per run through a fresh Gateway at `fullSync`; < 0 when a run fails.
double measureRuns(int count, int history, bool fullSync)
{
    QTemporaryDir dir;
    RuntimeConfig config;
    config.dataDir = dir.filePath(QStringLiteral("data"));
    config.configDir = dir.filePath(QStringLiteral("config"));
    config.principal = QStringLiteral("bench");
    config.deviceId = QStringLiteral("bench");
    config.deterministicChunkDelayMs = 0;
    config.journalFullSync = fullSync;
    Gateway gateway(config);
    if (Status s = gateway.open(); !s) {
        std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
        return -1;
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
    const GatewayStatus before = gateway.status(false);
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
            return -1;
        }
        current = run->id;
        loop.exec();
        perRun.append(t.nsecsElapsed() / 1e6);
        auto final = gateway.run(current);
        if (!final || final->state != RunState::Succeeded) {
            std::fprintf(stderr, "run did not succeed\n");
            return -1;
        }
    }
    const double seconds = total.nsecsElapsed() / 1e9;
    const GatewayStatus after = gateway.status(false);
    std::sort(perRun.begin(), perRun.end());
    const double med = perRun.at(perRun.size() / 2);
    const double p95 = perRun.at(int(perRun.size() * 0.95));
    print({{QStringLiteral("bench"), QStringLiteral("run_overhead")},
           {QStringLiteral("runs"), count},
           {QStringLiteral("runs_per_second"), qRound(count / seconds)},
           {QStringLiteral("median_ms"), round3(med)},
           {QStringLiteral("p95_ms"), round3(p95)},
           {QStringLiteral("tape_events_per_run"), events / count},
           {QStringLiteral("synced_commits_per_run"),
            round3(double(after.journal.syncedCommits - before.journal.syncedCommits) / count)},
           {QStringLiteral("deferred_commits_per_run"),
            round3(double(after.journal.deferredCommits - before.journal.deferredCommits) / count)},
           {QStringLiteral("runs_per_session"), history},
           {QStringLiteral("synchronous"), fullSync ? QStringLiteral("FULL") : QStringLiteral("NORMAL")},
           {QStringLiteral("bar_ms"), 2}});
    gateway.shutdown();
    return med;
}

// Median ms of one durable commit made with SQLite directly: WAL, synchronous=FULL, one insert
// of a tape-sized row per transaction.
double measureRawCommit(int count)
{
    QTemporaryDir dir;
    double med = -1;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("raw"));
        db.setDatabaseName(dir.filePath(QStringLiteral("raw.sqlite3")));
        if (!db.open())
            return -1;
        QSqlQuery q(db);
        q.exec(QStringLiteral("PRAGMA journal_mode = WAL"));
        q.exec(QStringLiteral("PRAGMA synchronous = FULL"));
        q.exec(QStringLiteral("CREATE TABLE t(id INTEGER PRIMARY KEY, payload TEXT)"));
        QSqlQuery insert(db);
        insert.prepare(QStringLiteral("INSERT INTO t(payload) VALUES (?)"));
        QList<double> times;
        for (int i = 0; i < count; ++i) {
            QElapsedTimer t;
            t.start();
            insert.bindValue(0, QStringLiteral("{\"kind\":\"run.status\",\"state\":\"succeeded\"}"));
            if (!insert.exec())
                return -1;
            times.append(t.nsecsElapsed() / 1e6);
        }
        med = median(times);
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("raw"));
    return med;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    // Usage: bench_runs [N] [full|normal|both] [RUNS_PER_SESSION].
    const int count = argc > 1 ? qMax(1, std::atoi(argv[1])) : 300;
    const QByteArray mode = argc > 2 ? QByteArray(argv[2]) : QByteArray("both");
    const int history = argc > 3 ? qMax(1, std::atoi(argv[3])) : 1;

    const double raw = measureRawCommit(count);
    double full = -1, normal = -1;
    if (mode != "normal" && (full = measureRuns(count, history, true)) < 0)
        return 1;
    if (mode != "full" && (normal = measureRuns(count, history, false)) < 0)
        return 1;
    QJsonObject summary{{QStringLiteral("bench"), QStringLiteral("run_overhead_summary")},
                        {QStringLiteral("raw_sqlite_durable_commit_ms"), round3(raw)},
                        {QStringLiteral("bar_ms"), 2}};
    if (full >= 0) {
        summary.insert(QStringLiteral("full_median_ms"), round3(full));
        if (raw > 0)
            summary.insert(QStringLiteral("full_in_raw_commits"), qRound(full / raw * 100) / 100.0);
    }
    if (normal >= 0) {
        summary.insert(QStringLiteral("normal_median_ms"), round3(normal));
        if (raw > 0)
            summary.insert(QStringLiteral("normal_in_raw_commits"), qRound(normal / raw * 100) / 100.0);
    }
    print(summary);
    return 0;
}
