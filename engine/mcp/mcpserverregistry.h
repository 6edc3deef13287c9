#pragma once

#include "core/result.h"
#include "mcp/mcpserverconfig.h"
#include "mcp/mcpservers.h"
#include "mcp/mcpserverstatus.h"
#include "mcp/mcpuserquestion.h"

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <functional>
#include <map>
#include <memory>

class QNetworkAccessManager;

namespace Spool {

class McpClient;
class McpConfigFile;
class McpKeychainTokenStore;
class McpLoopbackBrowser;
class McpSecretStore;
class SandboxProbe;
struct McpElicitation;
class ToolRegistry;

struct McpRegistryOptions
{
    QString configDir;          // holds mcp.json
    QStringList extraPath;      // the PATH setting (mcp/path), searched before $PATH
    QString bwrapPath = QStringLiteral("bwrap");
    quint16 redirectPort = 0;   // the OAuth redirect's loopback port (0: any free one)
    int startupWaitMs = 60000;  // how long a run waits for servers still starting
    int initializeTimeoutMs = 30000;
    int restartBaseMs = 1000;   // the first restart's delay, doubled each time
    int restartMaxMs = 60000;
    int maxRestarts = 5;        // consecutive ones; then the server is failed until restarted
    int stableAfterMs = 60000;  // a server that ran this long counts as recovered
};

// The user's MCP servers, on the engine thread: one McpClient per enabled server of mcp.json,
// started on demand (startAll), restarted with backoff after a crash, with its status and a
// log that survives restarts. Each ready server's enabled tools join the ToolRegistry as
// mcp.<server>.<tool> (McpTool), and leave it when the server is disabled, removed or given up
// on; while a crashed server waits for its restart, its tools stay and calls fail at once with
// the reason. A server's questions to the user (elicitation) and its sign-ins (OAuth) go out
// as signals for the front ends; secrets come from the McpSecretStore (the keychain).
class McpServerRegistry : public QObject, public McpServers
{
    Q_OBJECT
public:
    McpServerRegistry(McpRegistryOptions options, ToolRegistry &tools, McpSecretStore &secrets,
                      QObject *parent = nullptr);
    ~McpServerRegistry() override;

    QString configPath() const override;
    // Reads mcp.json when it changed since the last read and applies the difference: new and
    // changed servers (re)start if servers were started, removed ones stop. Problems of the
    // file are kept (problems()) and leave the servers that were fine alone.
    void reload(bool force = false);
    QStringList problems() const override { return m_problems; }
    // reload(), then statuses().
    QList<McpServerStatus> servers() override;

    QList<McpServerStatus> statuses() const;
    Result<McpServerStatus> status(const QString &name) const;
    Result<QList<McpLogEntry>> log(const QString &name) const override;

    // Adds or replaces a server; `secrets` (env and header values by name, as listed in the
    // config's secretEnv/secretHeaders) go to the keychain first, and only then is mcp.json
    // written. A server that was running restarts with the new settings.
    void save(const McpServerConfig &config, const QMap<QString, QString> &secrets,
              std::function<void(const Status &)> done) override;
    // Stops the server, removes it from mcp.json and its secrets from the keychain.
    void remove(const QString &name, std::function<void(const Status &)> done) override;
    Status setEnabled(const QString &name, bool enabled) override;
    Status setToolEnabled(const QString &server, const QString &tool, bool enabled) override;
    // Reads another app's mcpServers JSON (Claude Desktop, ...) into mcp.json; env values and
    // headers that look secret go to the keychain. Existing servers are skipped unless `replace`.
    void importServers(const QByteArray &json, bool replace, std::function<void(const Result<McpImportReport> &)> done) override;
    // The configured servers as mcpServers JSON for other apps; secrets read from the keychain
    // when `withSecrets`, else a placeholder.
    void exportServers(bool withSecrets, std::function<void(const Result<QByteArray> &)> done) override;

    // Starts every enabled server that is not running (idempotent). Nothing starts by itself:
    // the window calls this when it opens, a run before its first turn.
    void startAll() override;
    bool started() const { return m_started; }
    // Stops and starts one server again (its restart count starts over).
    Status restart(const QString &name) override;
    // The user gives up on the sign-in `name` waits for: the server fails, saying so.
    Status cancelSignIn(const QString &name) override;
    // Starts `name` if needed and answers once it is ready or has failed, or after `timeoutMs`.
    void test(const QString &name, int timeoutMs, QObject *context, std::function<void(const McpServerStatus &)> done);
    void test(const QString &name, int timeoutMs, std::function<void(const McpServerStatus &)> done) override;
    // Calls `done` once no enabled server is still starting (each is ready or failed), or after
    // the startup wait: what a run waits for before it lists its tools.
    void whenSettled(QObject *context, std::function<void()> done);
    // Whether `toolName` may become available: a tool name of an enabled server not ready yet.
    bool mayProvide(const QString &toolName) const;
    // Ends every server (the process is closing): process groups killed, no restarts.
    void stopAll();

    // For McpTool: the client of a ready server, or the reason there is none.
    McpClient *readyClient(const QString &server, QString *whyNot) const;
    void beginCall(const QString &server, const QString &runId, const QString &callId, const QString &tool);
    void endCall(const QString &callId);

    // Elicitation: whether someone can answer (a window, a terminal); if not, every question
    // is declined at once, with a line in the server's log saying why.
    void setUserPresent(bool present) override { m_userPresent = present; }
    bool userPresent() const { return m_userPresent; }
    Status answer(const QString &questionId, const QString &action, const QJsonObject &content, const QString &by) override;
    QList<McpUserQuestion> pendingQuestions() const override;

    static QString configFileName() { return QStringLiteral("mcp.json"); }

signals:
    void statusChanged(const QString &server);
    void logAppended(const QString &server, const Spool::McpLogEntry &entry);
    void questionAsked(const Spool::McpUserQuestion &question);
    // Answered by someone, or closed by the engine (the call ended, no one to ask).
    void questionAnswered(const Spool::McpUserQuestion &question);
    // A remote server needs the user to sign in: open `url` in a browser.
    void authorizationRequested(const QString &server, const QUrl &url);

private:
    struct Server;
    struct Question;
    struct Call
    {
        QString server;
        QString runId;
        QString callId;
        QString tool;
    };
    class ServerElicitation;
    class ServerBrowser;

    Server *find(const QString &name) const;
    void apply(const QList<McpServerConfig> &configs);
    void startServer(Server &s);
    void launch(Server &s, const QMap<QString, QString> &secretEnv, const QMap<QString, QString> &secretHeaders);
    void stopServer(Server &s, const QString &state);
    void onReady(Server &s, McpClient *client);
    void onClosed(Server &s, McpClient *client, const Error &error);
    void scheduleRestart(Server &s, const QString &why);
    void syncTools(Server &s);
    void unregisterTools(Server &s);
    void appendLog(Server &s, const QString &source, const QString &text);
    void changed(Server &s);
    void settleWaiters();
    McpServerStatus statusOf(const Server &s) const;
    void elicit(const QString &server, const McpElicitation &request,
                std::function<void(const McpElicitation &)> reply);
    void closeQuestion(const QString &id, const QString &action, const QJsonObject &content, const QString &by);
    Status writeConfigs(const QList<McpServerConfig> &configs);
    QList<McpServerConfig> configs() const;
    void saveSecrets(QList<std::pair<QString, QString>> items, std::function<void(const Status &)> done);

    McpRegistryOptions m_options;
    ToolRegistry &m_tools;
    McpSecretStore &m_secrets;
    std::unique_ptr<McpConfigFile> m_file;
    std::unique_ptr<McpKeychainTokenStore> m_tokens;
    QNetworkAccessManager *m_network = nullptr;
    McpLoopbackBrowser *m_browser = nullptr;
    std::shared_ptr<SandboxProbe> m_probe;
    QObject *m_reaper = nullptr;  // killed servers' processes not yet reaped
    std::map<QString, std::unique_ptr<Server>> m_servers;
    QStringList m_problems;
    QHash<QString, Call> m_calls; // by call id
    QHash<QString, std::shared_ptr<Question>> m_questions;
    QList<std::pair<QPointer<QObject>, std::function<void()>>> m_waiters;
    bool m_started = false;
    bool m_stopping = false;
    bool m_userPresent = false;
};

} // namespace Spool
