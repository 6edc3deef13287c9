#pragma once

#include <QJsonObject>
#include <QObject>

#include <functional>

namespace Spool {

class ApiAccessPolicy;
class ApiExchange;
struct ApiContext;
struct ApiError;

// Answers the local API's requests: the access rules first (ApiAccessPolicy), every refusal
// logged with its reason and counted, then the routes: OpenAI's /v1/models and
// /v1/chat/completions, and Spool's own /api/v1/... (docs/API.md). Whatever a route does, it
// does through EngineClient; the engine's logic stays in the engine.
class ApiRouter : public QObject
{
    Q_OBJECT
public:
    ApiRouter(ApiContext &context, ApiAccessPolicy &policy,
              std::function<QJsonObject()> serverInfo, QObject *parent = nullptr);

    void handle(ApiExchange *exchange);

private:
    void refuse(ApiExchange *exchange, const ApiError &error, const QString &reason);
    void route(ApiExchange *exchange, const QJsonObject &body);
    void methodNotAllowed(ApiExchange *exchange, const QByteArray &allowed);

    void listModels(ApiExchange *exchange, const QString &one);
    void chatCompletions(ApiExchange *exchange, const QJsonObject &body);
    void status(ApiExchange *exchange);
    void listSessions(ApiExchange *exchange);
    void createSession(ApiExchange *exchange, const QJsonObject &body);
    void showSession(ApiExchange *exchange, const QString &session);
    void startRun(ApiExchange *exchange, const QString &session, const QJsonObject &body);
    void listRuns(ApiExchange *exchange, const QString &session);
    void showRun(ApiExchange *exchange, const QString &run);
    void tape(ApiExchange *exchange, const QString &run);
    void cancelRun(ApiExchange *exchange, const QString &run);
    void listApprovals(ApiExchange *exchange);
    void decideApproval(ApiExchange *exchange, const QString &approval, const QJsonObject &body);

    ApiContext &m_context;
    ApiAccessPolicy &m_policy;
    std::function<QJsonObject()> m_serverInfo;
};

} // namespace Spool
