#pragma once

#include "gateway/gateway.h"
#include "core/runtimeconfig.h"

#include <QTemporaryDir>

#include <memory>

namespace Spool::Test {

// A RuntimeConfig in fresh temporary data and config folders: every engine test gets its own
// journal and never touches the user's.
struct TempEnvironment
{
    TempEnvironment();
    QTemporaryDir dir;
    RuntimeConfig config;

    QString dataDir() const { return config.dataDir; }
};

// A Gateway opened on the test's thread (tests drive it directly, with QTRY_* waiting for the
// asynchronous parts).
std::unique_ptr<Gateway> openGateway(const RuntimeConfig &config);

// Waits (spinning the event loop) until the run is terminal; returns its final state.
RunInfo waitForRun(Gateway &gateway, const QString &runId, int timeoutMs = 10000);

// Everything a front end reads, for tests of faults (full disk, I/O errors): the sessions, the
// `runCount` runs with their tapes, rows and timelines, session `sessionKey`'s transcript,
// agents, approvals, grants and memories must all answer. Fails the current test at the first
// read that does not; callers check QTest::currentTestFailed().
void verifyReads(Gateway &gateway, int runCount, const QString &sessionKey = QStringLiteral("one"));

} // namespace Spool::Test
