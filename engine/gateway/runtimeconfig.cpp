#include "gateway/runtimeconfig.h"

#include "core/datapaths.h"
#include "core/ulid.h"

#include <QDir>
#include <QSettings>

#include <pwd.h>
#include <unistd.h>

namespace Spool {

namespace {

int envInt(const char *name, int fallback)
{
    bool ok = false;
    const int v = qEnvironmentVariableIntValue(name, &ok);
    return ok && v >= 0 ? v : fallback;
}

} // namespace

QString RuntimeConfig::currentUserName()
{
    if (const passwd *pw = ::getpwuid(::geteuid()); pw && pw->pw_name)
        return QString::fromLocal8Bit(pw->pw_name);
    const QString user = qEnvironmentVariable("USER");
    return user.isEmpty() ? QStringLiteral("uid-%1").arg(::geteuid()) : user;
}

QString RuntimeConfig::settingsPath() const
{
    return QDir(configDir).filePath(DataPaths::settingsFileName());
}

QString RuntimeConfig::journalPath() const
{
    return QDir(dataDir).filePath(DataPaths::journalFileName());
}

RuntimeConfig RuntimeConfig::load(const QString &dataDirOverride, const QString &configDirOverride)
{
    RuntimeConfig c;
    c.dataDir = DataPaths::resolveDataDir(dataDirOverride);
    c.configDir = DataPaths::resolveConfigDir(configDirOverride);
    c.principal = currentUserName();

    QSettings s(c.settingsPath(), QSettings::IniFormat);
    c.maxTurns = qMax(1, s.value(QStringLiteral("runs/max_turns"), c.maxTurns).toInt());
    c.maxToolCalls = qMax(0, s.value(QStringLiteral("runs/max_tool_calls"), c.maxToolCalls).toInt());
    c.wallClockMs = qMax<qint64>(1000, s.value(QStringLiteral("runs/wall_clock_seconds"),
                                               c.wallClockMs / 1000).toLongLong() * 1000);
    c.approvalTimeoutMs = qMax<qint64>(1000, s.value(QStringLiteral("approvals/timeout_seconds"),
                                                     c.approvalTimeoutMs / 1000).toLongLong() * 1000);
    c.deterministicChunkDelayMs = qBound(0, s.value(QStringLiteral("providers/deterministic/chunk_delay_ms"),
                                                    c.deterministicChunkDelayMs).toInt(), 10000);
    c.contextTokenBudget = qMax(256, s.value(QStringLiteral("context/token_budget"),
                                             c.contextTokenBudget).toInt());
    c.redactKeys = s.value(QStringLiteral("tape/redact_keys")).toStringList();
    c.workspaceRoot = s.value(QStringLiteral("tools/workspace_root")).toString();
    c.allowUnsandboxedCommands = s.value(QStringLiteral("tools/allow_unsandboxed_commands"), false).toBool();
    c.allowCommandNetwork = s.value(QStringLiteral("tools/allow_command_network"), false).toBool();
    c.allowPrivateAddresses = s.value(QStringLiteral("tools/allow_private_addresses"), false).toBool();
    c.journalFullSync = s.value(QStringLiteral("journal/synchronous"), QStringLiteral("full"))
                                .toString()
                                .compare(QLatin1String("normal"), Qt::CaseInsensitive)
            != 0;

    c.deterministicChunkDelayMs = envInt("SPOOL_DETERMINISTIC_DELAY_MS", c.deterministicChunkDelayMs);
    const int approvalMs = envInt("SPOOL_APPROVAL_TIMEOUT_MS", -1);
    if (approvalMs > 0)
        c.approvalTimeoutMs = approvalMs;

    c.deviceId = s.value(QStringLiteral("device/id")).toString();
    if (c.deviceId.isEmpty()) {
        c.deviceId = Ulid::generate();
        if (DataPaths::ensurePrivateDir(c.configDir)) {
            s.setValue(QStringLiteral("device/id"), c.deviceId);
            s.sync();
        }
    }
    return c;
}

} // namespace Spool
