#pragma once

#include "mcp/mcpserverconfig.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace Spool {

// One tool a server listed, as Settings and `spool mcp tools` show it.
struct McpToolState
{
    QString name;      // the server's name for it
    QString spoolName; // mcp.<server>.<tool>, the name agents and policies use
    QString title;
    QString description;
    QJsonObject inputSchema;
    QJsonObject annotations; // hints from the server: shown, trusted only by a policy
    bool enabled = true;     // the user's toggle
    bool offered = false;    // in the tool registry now (enabled, within the limit, schema usable)
    QString problem;         // why an enabled tool is not offered

    QJsonObject toJson() const;
};

// Where one configured server stands.
struct McpServerStatus
{
    McpServerConfig config;
    // disabled, stopped (not started yet), starting, ready, restarting (after a crash, waiting
    // for its backoff), failed (gave up, or cannot start: see error)
    QString state = QStringLiteral("stopped");
    QString error;
    QString protocolVersion;
    QString serverName;    // serverInfo.name
    QString serverVersion; // serverInfo.version
    QString instructions;
    QString sandbox;       // "bwrap" or "none" for stdio servers, empty for remote ones
    qint64 pid = 0;
    int restarts = 0;      // since the last start by the user
    qint64 restartAt = 0;  // when state is restarting: the next attempt (ms since the epoch)
    qint64 readyAt = 0;
    bool signedIn = false; // OAuth credentials are stored for this remote server
    int listedTools = 0;
    QList<McpToolState> tools;

    bool isReady() const { return state == QLatin1String("ready"); }
    // Ready or given up: what a command that waits for a server waits for.
    bool isSettled() const;
    QJsonObject toJson() const;
};

// One line of a server's log: its stderr, its notifications/message, and what Spool noticed.
struct McpLogEntry
{
    qint64 at = 0;
    QString source; // stderr, server, client
    QString text;

    QJsonObject toJson() const;
};

// What `mcp import` did.
struct McpImportReport
{
    QStringList added;
    QStringList replaced;
    QStringList skipped;  // already configured (without --replace), or invalid: see warnings
    QStringList secrets;  // "<server>: env NAME" kept in the keychain instead of the file
    QStringList warnings;

    QJsonObject toJson() const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::McpToolState)
Q_DECLARE_METATYPE(Spool::McpServerStatus)
Q_DECLARE_METATYPE(Spool::McpLogEntry)
Q_DECLARE_METATYPE(Spool::McpImportReport)
