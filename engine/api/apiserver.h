#pragma once

#include "api/apisettings.h"
#include "core/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace Spool {

class ApiAccessPolicy;
class ApiExchange;
class ApiHttpServer;
class ApiInstanceLock;
class ApiRouter;
class ApiToken;
class ConversationIndex;
class EngineClient;
class RunEventRouter;
struct ApiContext;
struct ApiCounters;

// The local API (SPEC §8): HTTP on loopback for scripts, editors and OpenAI clients, a third
// front end beside the window and the command line. It lives on the thread of the
// EngineClient it is given (the window's, or `spool serve`'s main thread) and reaches the
// engine only through it; every access rule is always on (ApiAccessPolicy, ApiConnection).
// One server per data folder.
class ApiServer : public QObject
{
    Q_OBJECT
public:
    explicit ApiServer(EngineClient &client, QObject *parent = nullptr);
    ~ApiServer() override;

    // Takes the data folder's lock, loads (or creates) the token and listens on 127.0.0.1 and
    // ::1. The engine must be ready. Conflict: another process serves this data folder, or the
    // port is taken.
    Status start(const ApiSettings &settings);
    // Stops listening; runs still streaming to clients are cancelled ("server stopped").
    void stop();
    bool isListening() const;
    // Why the last start() failed (empty after a start that worked), for the settings page.
    QString lastError() const { return m_lastError; }

    QUrl url() const; // http://127.0.0.1:<port>/
    quint16 port() const;
    QStringList addresses() const; // 127.0.0.1:<port>, [::1]:<port>
    int connectionCount() const;
    const ApiCounters &counters() const;

    // The token file works whether or not the server runs: the settings page shows and
    // regenerates it.
    QString tokenPath() const;
    Result<QByteArray> token();
    Status regenerateToken();

    // Take effect at once.
    void setAllowedOrigins(const QStringList &origins);
    QStringList allowedOrigins() const;
    // The agent behind model "spool" and for sessions the API creates; empty: the default.
    void setDefaultAgent(const QString &agent);

signals:
    void started(const QUrl &url);
    void stopped();

private:
    Status listen(const ApiSettings &settings);
    QJsonObject serverInfo() const;

    EngineClient &m_client;
    std::unique_ptr<ApiToken> m_token;
    std::unique_ptr<ApiAccessPolicy> m_policy;
    std::unique_ptr<ApiCounters> m_counters;
    std::unique_ptr<ConversationIndex> m_conversations;
    std::unique_ptr<RunEventRouter> m_events;
    std::unique_ptr<ApiContext> m_context;
    std::unique_ptr<ApiRouter> m_router;
    std::unique_ptr<ApiInstanceLock> m_lock;
    std::unique_ptr<ApiHttpServer> m_http; // last: its connections use everything above
    ApiSettings m_settings;
    qint64 m_startedAt = 0;
    QString m_lastError;
};

} // namespace Spool
