// Durable tape appends, one event per transaction, through JournalStore versus raw SQLite doing
// the same INSERT on the same journal in the same process (SPEC §10: ratio 0.8 or better).
// Prints one JSON object per line.
#include "journal/journalstore.h"
#include "runs/runstore.h"
#include "sessions/sessionstore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <sqlite3.h>

#include <cstdio>

using namespace Spool;

namespace {

QJsonObject samplePayload(int i)
{
    return QJsonObject{{QStringLiteral("call_id"), QStringLiteral("call_%1").arg(i)},
                       {QStringLiteral("tool"), QStringLiteral("clock")},
                       {QStringLiteral("ok"), true},
                       {QStringLiteral("output"), QStringLiteral("2026-11-25T10:00:00Z")},
                       {QStringLiteral("duration_ms"), 1}};
}

void print(const QJsonObject &o)
{
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int rounds = 5;
    const int perRound = argc > 1 ? std::atoi(argv[1]) : 400;

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("journal.sqlite3"));
    JournalStore journal;
    if (Status s = journal.open(path, QStringLiteral("bench")); !s) {
        std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
        return 1;
    }
    SessionStore sessions(journal);
    RunStore runs(journal);
    auto session = sessions.create({}, QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    auto spoolRun = runs.create(NewRun{session->id, QStringLiteral("default"), QStringLiteral("deterministic"), QStringLiteral("m"), {}, QStringLiteral("i")});
    auto rawRun = runs.create(NewRun{session->id, QStringLiteral("default"), QStringLiteral("deterministic"), QStringLiteral("m"), {}, QStringLiteral("i")});

    sqlite3 *raw = nullptr;
    sqlite3_open_v2(QFile::encodeName(path).constData(), &raw, SQLITE_OPEN_READWRITE, nullptr);
    sqlite3_exec(raw, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000", nullptr, nullptr, nullptr);
    sqlite3_stmt *stmt = nullptr;
    sqlite3_prepare_v2(raw,
                       "INSERT INTO orchestrator_tape(run_id, seq, kind, created_at, payload) VALUES "
                       "(?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM orchestrator_tape WHERE run_id = ?1), "
                       "?2, ?3, ?4) RETURNING seq",
                       -1, &stmt, nullptr);
    const QByteArray rawRunId = rawRun->id.toUtf8();

    double spoolSeconds = 0;
    double rawSeconds = 0;
    int payloadIndex = 0;
    // Alternate the two in rounds so disk and cache effects hit both alike.
    for (int round = 0; round < rounds; ++round) {
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < perRound; ++i) {
            if (!journal.appendTape(spoolRun->id, TapeKind::ToolOutput, samplePayload(payloadIndex++))) {
                std::fprintf(stderr, "append failed\n");
                return 1;
            }
        }
        spoolSeconds += t.nsecsElapsed() / 1e9;

        t.restart();
        for (int i = 0; i < perRound; ++i) {
            // The raw side serialises the same payload too: the same work minus Spool's layers.
            const QByteArray payload = QJsonDocument(samplePayload(payloadIndex++)).toJson(QJsonDocument::Compact);
            sqlite3_bind_text(stmt, 1, rawRunId.constData(), int(rawRunId.size()), SQLITE_STATIC);
            sqlite3_bind_text(stmt, 2, "tool.output", -1, SQLITE_STATIC);
            sqlite3_bind_int64(stmt, 3, QDateTime::currentMSecsSinceEpoch());
            sqlite3_bind_text(stmt, 4, payload.constData(), int(payload.size()), SQLITE_TRANSIENT);
            if (sqlite3_step(stmt) != SQLITE_ROW) {
                std::fprintf(stderr, "raw insert failed: %s\n", sqlite3_errmsg(raw));
                return 1;
            }
            sqlite3_reset(stmt);
        }
        rawSeconds += t.nsecsElapsed() / 1e9;
    }
    sqlite3_finalize(stmt);
    sqlite3_close(raw);

    const int total = rounds * perRound;
    const double spoolRate = total / spoolSeconds;
    const double rawRate = total / rawSeconds;
    print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("tape_append_durable")},
                      {QStringLiteral("events"), total},
                      {QStringLiteral("spool_per_second"), qRound(spoolRate)},
                      {QStringLiteral("raw_sqlite_per_second"), qRound(rawRate)},
                      {QStringLiteral("ratio"), qRound(spoolRate / rawRate * 1000) / 1000.0},
                      {QStringLiteral("bar"), 0.8},
                      {QStringLiteral("synchronous"), QStringLiteral("FULL")},
                      {QStringLiteral("journal_mode"), QStringLiteral("WAL")}});
    return 0;
}
