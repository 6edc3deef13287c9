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

} // namespace Spool::Test
