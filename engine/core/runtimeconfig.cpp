#include "core/runtimeconfig.h"

#include "core/datapaths.h"
#include "core/ulid.h"

#include <QDir>
#include <QSettings>

#include <pwd.h>
#include <unistd.h>

namespace Spool {

namespace {

// The keys of spool.conf that the engine reads; load() and the save functions share them.
const QString kMaxTurns = QStringLiteral("runs/max_turns");
const QString kMaxToolCalls = QStringLiteral("runs/max_tool_calls");
const QString kWallClock = QStringLiteral("runs/wall_clock_seconds");
const QString kApprovalTimeout = QStringLiteral("approvals/timeout_seconds");
const QString kChunkDelay = QStringLiteral("providers/deterministic/chunk_delay_ms");
const QString kTokenBudget = QStringLiteral("context/token_budget");
const QString kRedactKeys = QStringLiteral("tape/redact_keys");
const QString kWorkspaceRoot = QStringLiteral("tools/workspace_root");
const QString kUnsandboxed = QStringLiteral("tools/allow_unsandboxed_commands");
const QString kCommandNetwork = QStringLiteral("tools/allow_command_network");
const QString kPrivateAddresses = QStringLiteral("tools/allow_private_addresses");
const QString kSynchronous = QStringLiteral("journal/synchronous");
const QString kMcpPath = QStringLiteral("mcp/path");
const QString kMcpRedirectPort = QStringLiteral("mcp/oauth_redirect_port");
const QString kMcpStartupWait = QStringLiteral("mcp/startup_wait_seconds");
const QString kDeviceId = QStringLiteral("device/id");
const QString kWindowTokens = QStringLiteral("context/window_tokens");
const QString kMemoryEnabled = QStringLiteral("memory/enabled");
const QString kMemoryTopK = QStringLiteral("memory/top_k");
const QString kMemoryBudget = QStringLiteral("memory/token_budget");
const QString kMemoryMinScore = QStringLiteral("memory/min_score");
const QString kEmbeddingProvider = QStringLiteral("memory/embedding_provider");
const QString kEmbeddingModel = QStringLiteral("memory/embedding_model");
const QString kMemoryFolders = QStringLiteral("memory/folders");

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
    c.maxTurns = qMax(1, s.value(kMaxTurns, c.maxTurns).toInt());
    c.maxToolCalls = qMax(0, s.value(kMaxToolCalls, c.maxToolCalls).toInt());
    c.wallClockMs = qMax<qint64>(1000, s.value(kWallClock,
                                               c.wallClockMs / 1000).toLongLong() * 1000);
    c.approvalTimeoutMs = qMax<qint64>(1000, s.value(kApprovalTimeout,
                                                     c.approvalTimeoutMs / 1000).toLongLong() * 1000);
    c.deterministicChunkDelayMs = qBound(0, s.value(kChunkDelay,
                                                    c.deterministicChunkDelayMs).toInt(), 10000);
    c.contextTokenBudget = qMax(256, s.value(kTokenBudget,
                                             c.contextTokenBudget).toInt());
    c.contextWindowTokens = qMax(0, s.value(kWindowTokens, 0).toInt());
    c.memory.enabled = s.value(kMemoryEnabled, c.memory.enabled).toBool();
    c.memory.topK = qBound(1, s.value(kMemoryTopK, c.memory.topK).toInt(), 100);
    c.memory.tokenBudget = qBound(0, s.value(kMemoryBudget, c.memory.tokenBudget).toInt(), 1000000);
    c.memory.minScore = qBound(0.0, s.value(kMemoryMinScore, c.memory.minScore).toDouble(), 1.0);
    c.memory.embeddingProvider = s.value(kEmbeddingProvider).toString();
    c.memory.embeddingModel = s.value(kEmbeddingModel).toString();
    c.memory.folders = s.value(kMemoryFolders).toStringList();
    c.redactKeys = s.value(kRedactKeys).toStringList();
    c.workspaceRoot = s.value(kWorkspaceRoot).toString();
    c.allowUnsandboxedCommands = s.value(kUnsandboxed, false).toBool();
    c.allowCommandNetwork = s.value(kCommandNetwork, false).toBool();
    c.allowPrivateAddresses = s.value(kPrivateAddresses, false).toBool();
    c.journalFullSync = s.value(kSynchronous, QStringLiteral("full"))
                                .toString()
                                .compare(QLatin1String("normal"), Qt::CaseInsensitive)
            != 0;

    // A list written by hand may be one string of folders separated by ':'.
    for (const QString &entry : s.value(kMcpPath).toStringList())
        c.mcpPath += entry.split(QLatin1Char(':'), Qt::SkipEmptyParts);
    c.mcpRedirectPort = quint16(qBound(0, s.value(kMcpRedirectPort, 0).toInt(), 65535));
    c.mcpStartupWaitMs = qBound(0, s.value(kMcpStartupWait, c.mcpStartupWaitMs / 1000).toInt(), 3600) * 1000;

    c.deterministicChunkDelayMs = envInt("SPOOL_DETERMINISTIC_DELAY_MS", c.deterministicChunkDelayMs);
    const int approvalMs = envInt("SPOOL_APPROVAL_TIMEOUT_MS", -1);
    if (approvalMs > 0)
        c.approvalTimeoutMs = approvalMs;

    c.deviceId = s.value(kDeviceId).toString();
    if (c.deviceId.isEmpty()) {
        c.deviceId = Ulid::generate();
        if (DataPaths::ensurePrivateDir(c.configDir)) {
            s.setValue(kDeviceId, c.deviceId);
            s.sync();
        }
    }
    return c;
}

Status RuntimeConfig::save(std::initializer_list<std::pair<QString, QVariant>> values) const
{
    if (Status s = DataPaths::ensurePrivateDir(configDir); !s)
        return s;
    QSettings s(settingsPath(), QSettings::IniFormat);
    for (const auto &[key, value] : values)
        s.setValue(key, value);
    s.sync();
    if (s.status() != QSettings::NoError || !s.isWritable())
        return makeError(ErrorCode::Storage,
                         QStringLiteral("The settings could not be saved to %1: check that the "
                                        "folder is writable and the disk is not full.")
                                 .arg(settingsPath()));
    return {};
}

Status RuntimeConfig::saveToolSettings() const
{
    return save({{kUnsandboxed, allowUnsandboxedCommands},
                 {kCommandNetwork, allowCommandNetwork},
                 {kPrivateAddresses, allowPrivateAddresses}});
}

Status RuntimeConfig::saveApprovalTimeout() const
{
    return save({{kApprovalTimeout, approvalTimeoutMs / 1000}});
}

Status RuntimeConfig::saveDeterministicChunkDelay() const
{
    return save({{kChunkDelay, deterministicChunkDelayMs}});
}

Status RuntimeConfig::saveMemorySettings() const
{
    return save({{kMemoryEnabled, memory.enabled},
                 {kMemoryTopK, memory.topK},
                 {kMemoryBudget, memory.tokenBudget},
                 {kMemoryMinScore, memory.minScore},
                 {kEmbeddingProvider, memory.embeddingProvider},
                 {kEmbeddingModel, memory.embeddingModel},
                 {kMemoryFolders, memory.folders}});
}

} // namespace Spool
