#pragma once

#include "core/result.h"
#include "mcp/mcpserverconfig.h"
#include "mcp/mcpserverstatus.h"
#include "mcp/mcpuserquestion.h"

#include <QJsonObject>
#include <QMap>
#include <QStringList>

#include <functional>

namespace Spool {

// The user's MCP tool servers (Engine::mcp()), configured in configPath() (the mcpServers JSON
// of Claude Desktop and others) with their secrets in the keychain. Nothing starts by itself:
// startAll() (the window, when it opens) or a run before its first turn starts the enabled
// ones; their tools then join Engine::toolSpecs() as mcp.<server>.<tool>. What changes is
// told by the Engine's mcp* signals.
class McpServers
{
public:
    virtual ~McpServers() = default;

    virtual QString configPath() const = 0;
    // Every configured server with its state (mcp.json is read again when it changed).
    virtual QList<McpServerStatus> servers() = 0;
    // Entries of mcp.json that could not be read (the others work).
    virtual QStringList problems() const = 0;
    virtual void startAll() = 0;
    // Adds or replaces a server; `secrets` are the values of its secretEnv and secretHeaders
    // (only those given are stored; the others keep their stored value).
    virtual void save(const McpServerConfig &config, const QMap<QString, QString> &secrets,
                      std::function<void(const Status &)> done) = 0;
    // Stops it and removes it, its secrets and its sign-in.
    virtual void remove(const QString &name, std::function<void(const Status &)> done) = 0;
    virtual Status setEnabled(const QString &name, bool enabled) = 0;
    virtual Status setToolEnabled(const QString &server, const QString &tool, bool enabled) = 0;
    virtual Status restart(const QString &name) = 0;
    // Gives up on the sign-in the server waits for (Engine::mcpSignInRequested): it fails,
    // saying so.
    virtual Status cancelSignIn(const QString &name) = 0;
    // Starts the server (again, if it had failed) and answers once it is ready or failed, or
    // after timeoutMs with what it is then.
    virtual void test(const QString &name, int timeoutMs,
                      std::function<void(const McpServerStatus &)> done) = 0;
    // The server's stderr, its log messages and what Spool noticed, oldest first.
    virtual Result<QList<McpLogEntry>> log(const QString &name) const = 0;
    // Another app's mcpServers JSON into mcp.json; env values and headers that look secret go
    // to the keychain.
    virtual void importServers(const QByteArray &json, bool replace,
                               std::function<void(const Result<McpImportReport> &)> done) = 0;
    virtual void exportServers(bool withSecrets,
                               std::function<void(const Result<QByteArray> &)> done) = 0;
    // Whether a person can answer the servers' questions in this front end (a window, a
    // terminal). Without one, every question is declined at once, and the server's log says so.
    virtual void setUserPresent(bool present) = 0;
    virtual QList<McpUserQuestion> pendingQuestions() const = 0;
    // accept (with content), decline or cancel; `by` says who (gui, cli).
    virtual Status answer(const QString &questionId, const QString &action,
                          const QJsonObject &content, const QString &by) = 0;
};

} // namespace Spool
