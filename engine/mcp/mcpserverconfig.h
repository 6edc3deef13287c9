#pragma once

#include "core/result.h"

#include <QJsonObject>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace Spool {

// One MCP server as the user configured it: an entry of `mcpServers` in <config>/mcp.json.
// The entry keeps the form Claude Desktop and other apps use (stdio: command, args, env;
// remote: url, headers) and adds Spool's own settings under "spool". Secret values (API keys
// in env or headers) are never in the file: their names are listed in secretEnv and
// secretHeaders and their values live in the keychain, under secretRef().
struct McpServerConfig
{
    QString name;

    // stdio servers
    QString command;
    QStringList args;
    QMap<QString, QString> env; // plain values; secret ones are only named in secretEnv
    QString cwd;

    // Streamable HTTP servers
    QString url;
    QMap<QString, QString> headers;

    QStringList secretEnv;
    QStringList secretHeaders;

    bool enabled = true;
    QStringList disabledTools; // the server's own tool names
    QStringList agents;        // the agents that may use its tools; empty: every agent

    // stdio servers may run inside bubblewrap: no home folder, only these paths.
    bool sandbox = false;
    bool sandboxNetwork = false;
    QStringList readOnlyPaths;
    QStringList readWritePaths;

    int callTimeoutSeconds = 300; // one tool call, reset by progress
    int maxTools = 128;           // tools beyond this many are listed but not offered
    QString oauthClientId;        // a client registered by hand with the authorization server

    bool isRemote() const { return !url.isEmpty(); }
    QString transportName() const { return isRemote() ? QStringLiteral("http") : QStringLiteral("stdio"); }
    // What the user recognises the server by: the command line or the URL.
    QString describe() const;
    bool toolEnabled(const QString &tool) const { return !disabledTools.contains(tool); }
    bool availableTo(const QString &agent) const { return agents.isEmpty() || agents.contains(agent); }

    // Names: letters, digits, '-' and '_', at most 48 characters; no dots, since tools are
    // named mcp.<server>.<tool>.
    static bool isValidName(const QString &name);
    Status validate() const;

    // Where a secret lives in the keychain: "mcp/<server>/env/<NAME>", "mcp/<server>/header/<Name>".
    QString secretRef(const QString &kind, const QString &key) const;
    // The OAuth client registration and tokens of a remote server.
    QString oauthRef() const { return QStringLiteral("mcp/%1/oauth").arg(name); }

    // The mcp.json entry (without the name, which is its key).
    QJsonObject toJson() const;
    // Reads an entry of mcp.json or of another app's mcpServers. Unknown keys are ignored; a
    // value of the wrong type is an error naming it.
    static Result<McpServerConfig> fromJson(const QString &name, const QJsonObject &entry);

    // Heuristics for import: an env variable or header whose value is a secret by its name
    // (…KEY, …TOKEN, …SECRET, PASSWORD, Authorization, Cookie, …) or by its value ("Bearer …").
    static bool looksSecret(const QString &name, const QString &value);

    bool operator==(const McpServerConfig &other) const { return toJson() == other.toJson() && name == other.name; }
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::McpServerConfig)
