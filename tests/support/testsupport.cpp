#include "testsupport.h"

#include <QTest>

#include <limits>

namespace Spool::Test {

TempEnvironment::TempEnvironment()
{
    config.dataDir = dir.filePath(QStringLiteral("data"));
    config.configDir = dir.filePath(QStringLiteral("config"));
    config.principal = QStringLiteral("tester");
    config.deviceId = QStringLiteral("device-test");
    config.frontEnd = QStringLiteral("test");
    config.deterministicChunkDelayMs = 0;
    config.pollMs = 50;
}

std::unique_ptr<Gateway> openGateway(const RuntimeConfig &config)
{
    auto gateway = std::make_unique<Gateway>(config);
    const Status s = gateway->open();
    if (!s) {
        qWarning("cannot open gateway: %s", qPrintable(s.errorMessage()));
        return nullptr;
    }
    return gateway;
}

RunInfo waitForRun(Gateway &gateway, const QString &runId, int timeoutMs)
{
    RunInfo last;
    (void)QTest::qWaitFor(
            [&] {
                auto r = gateway.run(runId);
                if (r)
                    last = *r;
                return r && r->isTerminal();
            },
            timeoutMs);
    return last;
}

void verifyReads(Gateway &gateway, int runCount, const QString &sessionKey)
{
    auto sessions = gateway.sessions().list();
    QVERIFY2(sessions, qPrintable(sessions.errorMessage()));
    auto session = gateway.sessions().find(sessionKey);
    QVERIFY2(session, qPrintable(session.errorMessage()));
    auto runs = gateway.runs();
    QVERIFY2(runs, qPrintable(runs.errorMessage()));
    QCOMPARE(runs->size(), runCount);
    for (const RunInfo &r : *runs) {
        auto run = gateway.run(r.id);
        QVERIFY2(run, qPrintable(run.errorMessage()));
        auto tape = gateway.inspection().tape(r.id);
        QVERIFY2(tape, qPrintable(tape.errorMessage()));
        QVERIFY(!tape->isEmpty());
        auto length = gateway.inspection().tapeLength(r.id);
        QVERIFY2(length, qPrintable(length.errorMessage()));
        QCOMPARE(*length, qint64(tape->size()));
        auto rows = gateway.inspection().tapeRows(r.id, 0, 100);
        QVERIFY2(rows, qPrintable(rows.errorMessage()));
        auto timeline = gateway.inspection().timeline(r.id);
        QVERIFY2(timeline, qPrintable(timeline.errorMessage()));
    }
    auto transcript = gateway.inspection().transcript(session->id, std::numeric_limits<int>::max(), 10);
    QVERIFY2(transcript, qPrintable(transcript.errorMessage()));
    QVERIFY(!transcript->runs.isEmpty());
    auto agents = gateway.agents().list();
    QVERIFY2(agents, qPrintable(agents.errorMessage()));
    auto approvals = gateway.approvals();
    QVERIFY2(approvals, qPrintable(approvals.errorMessage()));
    auto grants = gateway.policies().grants(true);
    QVERIFY2(grants, qPrintable(grants.errorMessage()));
    auto memories = gateway.memories().list();
    QVERIFY2(memories, qPrintable(memories.errorMessage()));
}

} // namespace Spool::Test
