#include "testsupport.h"

#include <QTest>

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

} // namespace Spool::Test
