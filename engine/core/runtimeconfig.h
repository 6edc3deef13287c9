#pragma once

#include "core/memorysettings.h"
#include "core/result.h"

#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <initializer_list>
#include <utility>

namespace Spool {

// Everything the engine is configured with, read once by the front end (QSettings file
// `spool.conf` in the config folder, then environment overrides) and handed to the Gateway.
struct RuntimeConfig
{
    QString dataDir;
    QString configDir;
    QString frontEnd = QStringLiteral("cli"); // recorded with the instance: gui, cli, api, test

    // Who is asking: the OS user and a stable per-install device id.
    QString principal;
    QString deviceId;

    // Run budgets; exhausting one fails the run with reason `budget_exhausted`.
    int maxTurns = 12;
    int maxToolCalls = 24;
    qint64 wallClockMs = 15 * 60 * 1000;

    qint64 approvalTimeoutMs = 10 * 60 * 1000;
    int deterministicChunkDelayMs = 12;
    // How often streamed text is checkpointed to the tape while a reply streams: at most this
    // much of what the user saw is lost when Spool is killed.
    int partialCheckpointMs = 250;
    // Tokens of earlier turns a run is given at most (the model's context window limits it
    // further: see ContextBudget). `context/token_budget`.
    int contextTokenBudget = 12000;
    // The context window assumed for every model, overriding the per-model defaults and the
    // providers' `context_window`; 0: per model. `context/window_tokens`.
    int contextWindowTokens = 0;

    MemorySettings memory; // `memory/...`
    QStringList redactKeys; // in addition to Redactor::defaultKeys()
    bool journalFullSync = true; // `journal/synchronous`: full (default) or normal

    // Built-in tools (the `tools/...` settings). Workspaces of sessions without their own
    // folder live under workspaceRoot (default: <data>/workspaces).
    QString workspaceRoot;
    bool allowUnsandboxedCommands = false; // where bubblewrap cannot run; every such call asks
    bool allowCommandNetwork = false;      // shell.exec calls that ask for network get it
    bool allowPrivateAddresses = false;    // http.fetch may reach loopback and private networks

    // MCP servers (`mcp/...`): folders searched for their commands before $PATH (a desktop
    // session often lacks the shell's PATH), the OAuth redirect's loopback port (0: any free
    // one), and how long a run waits for servers that are still starting.
    QStringList mcpPath;
    quint16 mcpRedirectPort = 0;
    int mcpStartupWaitMs = 60000;

    int toolOutputModelCap = 16 * 1024;  // characters of tool output the model sees
    int toolOutputTapeCap = 256 * 1024;  // characters kept on the tape

    // Whether this process takes over runs that wait for an approval when their process has
    // exited (the window, `spool chat`, `spool serve`; not one-shot commands).
    bool adoptWaitingRuns = false;

    int heartbeatMs = 2000;
    int pollMs = 150;               // cancel requests and decisions made by other processes
    qint64 staleAfterMs = 30000;    // heartbeat age after which a remote owner counts as gone

    // Reads `spool.conf` and the environment (SPOOL_DETERMINISTIC_DELAY_MS,
    // SPOOL_APPROVAL_TIMEOUT_MS). Creates the device id on first use.
    static RuntimeConfig load(const QString &dataDirOverride = {},
                              const QString &configDirOverride = {});
    QString settingsPath() const;
    QString journalPath() const;

    // Writes these settings to `spool.conf`, as load() reads them. The status says when the
    // file could not be written (a read-only folder, a full disk), so the user is told.
    Status saveToolSettings() const;
    Status saveApprovalTimeout() const;
    Status saveDeterministicChunkDelay() const;
    Status saveMemorySettings() const;

    static QString currentUserName();

private:
    Status save(std::initializer_list<std::pair<QString, QVariant>> values) const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::RuntimeConfig)
