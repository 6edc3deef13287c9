#include "api/apirouter.h"

#include "api/apiaccesspolicy.h"
#include "api/apicontext.h"
#include "api/apiexchange.h"
#include "api/chatcompletionjob.h"
#include "api/openaichat.h"
#include "api/runstreamjob.h"
#include "api/tapefollowjob.h"
#include "client/engineclient.h"
#include "core/logging.h"
#include "core/ulid.h"

#include <QJsonArray>
#include <QPointer>

#include <cctype>

namespace Spool {

namespace {

template<typename T>
QJsonArray toJsonArray(const QList<T> &items)
{
    QJsonArray out;
    for (const T &item : items)
        out.append(item.toJson());
    return out;
}

int intParam(const ApiRequest &r, const QString &name, int fallback, int min, int max)
{
    bool ok = false;
    const int v = r.query.queryItemValue(name).toInt(&ok);
    return ok ? qBound(min, v, max) : fallback;
}

// The headers an allowed origin's page may send: those its browser asks for (the OpenAI SDK
// sends x-stainless-* ones), as long as they are header names, else ours.
QByteArray allowedHeaders(const ApiRequest &r)
{
    const QByteArray asked = r.header("access-control-request-headers");
    for (char c : asked) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ','
              || c == ' '))
            return "Authorization, Content-Type, X-Spool-Session";
    }
    return asked.isEmpty() ? QByteArray("Authorization, Content-Type, X-Spool-Session") : asked;
}

// Calls the engine and answers with reply(exchange, result), unless the client left meanwhile.
template<typename Work, typename Reply>
void answer(ApiContext &context, ApiExchange *exchange, Work work, Reply reply)
{
    context.client.call(exchange, std::move(work),
                        [exchange, reply = std::move(reply)](auto result) mutable {
                            reply(exchange, std::move(result));
                        });
}

} // namespace

QJsonObject ApiCounters::toJson() const
{
    QJsonObject byCode;
    for (auto it = refusals.constBegin(); it != refusals.constEnd(); ++it)
        byCode.insert(it.key(), it.value());
    return QJsonObject{{QStringLiteral("requests"), requests},
                       {QStringLiteral("refused"), refused},
                       {QStringLiteral("refusals"), byCode},
                       {QStringLiteral("runs_started"), runsStarted},
                       {QStringLiteral("client_disconnects"), clientDisconnects},
                       {QStringLiteral("active_streams"), activeStreams}};
}

ApiRouter::ApiRouter(ApiContext &context, ApiAccessPolicy &policy,
                     std::function<QJsonObject()> serverInfo, QObject *parent)
    : QObject(parent), m_context(context), m_policy(policy), m_serverInfo(std::move(serverInfo))
{
}

void ApiRouter::refuse(ApiExchange *exchange, const ApiError &error, const QString &reason)
{
    const ApiRequest &r = exchange->request();
    ++m_context.counters.refused;
    ++m_context.counters.refusals[error.code];
    qCInfo(lcApi, "refused %s %s %s: %d %s", qPrintable(r.peer.toString()), r.method.constData(),
           qPrintable(r.path), error.status, qPrintable(reason));
    exchange->sendError(error);
}

void ApiRouter::handle(ApiExchange *exchange)
{
    const ApiRequest &r = exchange->request();
    ++m_context.counters.requests;
    qCDebug(lcApi, "%s %s", r.method.constData(), qPrintable(r.path));

    QString reason;
    if (auto error = m_policy.checkHost(r, &reason)) {
        refuse(exchange, *error, reason);
        return;
    }
    if (auto error = m_policy.checkOrigin(r, &reason)) {
        refuse(exchange, *error, reason);
        return;
    }
    // An allowed origin may read every answer, refusals included, so its page can tell the
    // user that the token is wrong.
    if (r.headerCount("origin") == 1)
        exchange->setAllowedOrigin(r.header("origin"));
    // A browser asks first before a cross-origin call with a token or a JSON body; an allowed
    // origin is told yes (the question itself carries no token, by design).
    if (m_policy.isAllowedPreflight(r)) {
        exchange->addHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        exchange->addHeader("Access-Control-Allow-Headers", allowedHeaders(r));
        exchange->addHeader("Access-Control-Max-Age", "600");
        exchange->sendEmpty(204);
        return;
    }
    if (auto error = m_policy.checkToken(r, &reason)) {
        refuse(exchange, *error, reason);
        return;
    }
    // None of our routes has a HEAD (the exchange sends no body to one, refusals included).
    if (r.method == "HEAD") {
        exchange->addHeader("Allow", "GET, POST, OPTIONS");
        exchange->sendEmpty(405);
        return;
    }
    QJsonObject body;
    if (auto error = m_policy.checkBody(r, &body, &reason)) {
        refuse(exchange, *error, reason);
        return;
    }
    route(exchange, body);
}

void ApiRouter::methodNotAllowed(ApiExchange *exchange, const QByteArray &allowed)
{
    exchange->addHeader("Allow", allowed);
    exchange->sendError(ApiError::make(405, QStringLiteral("method_not_allowed"),
                                       QStringLiteral("%1 is not allowed here (allowed: %2).")
                                               .arg(QString::fromLatin1(exchange->request().method),
                                                    QString::fromLatin1(allowed))));
}

void ApiRouter::route(ApiExchange *exchange, const QJsonObject &body)
{
    const ApiRequest &r = exchange->request();
    const QStringList s = r.segments();
    const QByteArray &m = r.method;
    const bool get = m == "GET";
    const bool post = m == "POST";
    auto is = [&s](std::initializer_list<const char *> parts) {
        if (s.size() != qsizetype(parts.size()))
            return false;
        qsizetype i = 0;
        for (const char *p : parts) {
            if (qstrcmp(p, "*") != 0 && s.at(i) != QLatin1String(p))
                return false;
            ++i;
        }
        return true;
    };

    // OpenAI-compatible
    if (is({"v1", "models"}) || is({"v1", "models", "*"})) {
        if (!get)
            return methodNotAllowed(exchange, "GET");
        return listModels(exchange, s.size() == 3 ? s.at(2) : QString());
    }
    if (is({"v1", "chat", "completions"})) {
        if (!post)
            return methodNotAllowed(exchange, "POST");
        return chatCompletions(exchange, body);
    }

    // Spool's own
    if (is({"api", "v1", "status"})) {
        if (!get)
            return methodNotAllowed(exchange, "GET");
        return status(exchange);
    }
    if (is({"api", "v1", "sessions"})) {
        if (get)
            return listSessions(exchange);
        if (post)
            return createSession(exchange, body);
        return methodNotAllowed(exchange, "GET, POST");
    }
    if (is({"api", "v1", "sessions", "*"})) {
        if (!get)
            return methodNotAllowed(exchange, "GET");
        return showSession(exchange, s.at(3));
    }
    if (is({"api", "v1", "sessions", "*", "runs"})) {
        if (get)
            return listRuns(exchange, s.at(3));
        if (post)
            return startRun(exchange, s.at(3), body);
        return methodNotAllowed(exchange, "GET, POST");
    }
    if (is({"api", "v1", "runs"})) {
        if (!get)
            return methodNotAllowed(exchange, "GET");
        return listRuns(exchange, r.query.queryItemValue(QStringLiteral("session")));
    }
    if (is({"api", "v1", "runs", "*"})) {
        if (!get)
            return methodNotAllowed(exchange, "GET");
        return showRun(exchange, s.at(3));
    }
    if (is({"api", "v1", "runs", "*", "tape"})) {
        if (!get)
            return methodNotAllowed(exchange, "GET");
        return tape(exchange, s.at(3));
    }
    if (is({"api", "v1", "runs", "*", "cancel"})) {
        if (!post)
            return methodNotAllowed(exchange, "POST");
        return cancelRun(exchange, s.at(3));
    }
    if (is({"api", "v1", "approvals"})) {
        if (!get)
            return methodNotAllowed(exchange, "GET");
        return listApprovals(exchange);
    }
    if (is({"api", "v1", "approvals", "*", "decide"})) {
        if (!post)
            return methodNotAllowed(exchange, "POST");
        return decideApproval(exchange, s.at(3), body);
    }
    exchange->sendError(ApiError::make(404, QStringLiteral("not_found"),
                                       QStringLiteral("There is nothing at %1 (see docs/API.md).").arg(r.path)));
}

// --- OpenAI-compatible ------------------------------------------------------------------------

void ApiRouter::listModels(ApiExchange *exchange, const QString &one)
{
    answer(m_context, exchange, [](Engine &e) { return e.agents().list(); },
           [one](ApiExchange *x, Result<QList<Agent>> agents) {
               if (!agents)
                   return x->sendError(ApiError::fromEngine(agents.error()));
               QJsonArray data;
               for (const Agent &a : *agents) {
                   if (!one.isEmpty() && a.name == one)
                       return x->sendJson(200, OpenAiChat::model(a));
                   data.append(OpenAiChat::model(a));
               }
               if (!one.isEmpty()) {
                   return x->sendError(ApiError::make(404, QStringLiteral("model_not_found"),
                                                      QStringLiteral("There is no agent named \"%1\".").arg(one),
                                                      QStringLiteral("model")));
               }
               x->sendJson(200, QJsonObject{{QStringLiteral("object"), QStringLiteral("list")},
                                            {QStringLiteral("data"), data}});
           });
}

void ApiRouter::chatCompletions(ApiExchange *exchange, const QJsonObject &body)
{
    ChatCompletionRequest request;
    if (auto error = OpenAiChat::parse(body, &request)) {
        qCInfo(lcApi, "bad chat completion request: %s", qPrintable(error->message));
        return exchange->sendError(*error);
    }
    auto *job = new ChatCompletionJob(m_context, exchange, request);
    job->start();
}

// --- Spool's own ---------------------------------------------------------------------------------

void ApiRouter::status(ApiExchange *exchange)
{
    QJsonObject api = m_serverInfo ? m_serverInfo() : QJsonObject();
    api.insert(QStringLiteral("counters"), m_context.counters.toJson());
    answer(m_context, exchange, [](Engine &e) { return e.status(false); },
           [api](ApiExchange *x, GatewayStatus st) {
               x->sendJson(200, QJsonObject{{QStringLiteral("engine"), st.toJson()},
                                            {QStringLiteral("api"), api}});
           });
}

void ApiRouter::listSessions(ApiExchange *exchange)
{
    const ApiRequest &r = exchange->request();
    SessionFilter filter;
    const QString archived = r.query.queryItemValue(QStringLiteral("archived"));
    if (archived == QLatin1String("include"))
        filter.archived = SessionFilter::Archived::Include;
    else if (archived == QLatin1String("only"))
        filter.archived = SessionFilter::Archived::Only;
    filter.search = r.query.queryItemValue(QStringLiteral("search"), QUrl::FullyDecoded);
    filter.limit = intParam(r, QStringLiteral("limit"), 100, 1, 10000);
    answer(m_context, exchange, [filter](Engine &e) { return e.sessions().list(filter); },
           [](ApiExchange *x, Result<QList<SessionInfo>> sessions) {
               if (!sessions)
                   return x->sendError(ApiError::fromEngine(sessions.error()));
               x->sendJson(200, QJsonObject{{QStringLiteral("sessions"), toJsonArray(*sessions)}});
           });
}

void ApiRouter::createSession(ApiExchange *exchange, const QJsonObject &body)
{
    for (const char *field : {"key", "agent", "title"}) {
        const QJsonValue v = body.value(QLatin1String(field));
        if (!v.isUndefined() && !v.isNull() && !v.isString())
            return exchange->sendError(ApiError::make(400, QStringLiteral("invalid_argument"),
                                                      QStringLiteral("`%1` must be a string.").arg(QLatin1String(field)),
                                                      QLatin1String(field)));
    }
    const QString key = body.value(QStringLiteral("key")).toString();
    QString agent = body.value(QStringLiteral("agent")).toString();
    if (agent.isEmpty())
        agent = m_context.defaultAgent;
    const QString title = body.value(QStringLiteral("title")).toString();
    struct Created
    {
        Result<SessionInfo> session = makeError(ErrorCode::Internal, QString());
        bool created = false;
    };
    answer(m_context, exchange,
           [key, agent, title](Engine &e) {
               Created c;
               if (!agent.isEmpty()) {
                   if (auto a = e.agents().get(agent); !a) {
                       c.session = a.error();
                       return c;
                   }
               }
               auto resolved = e.sessions().resolve(SessionSelector{{}, key}, true, agent);
               if (!resolved) {
                   c.session = resolved.error();
                   return c;
               }
               c.created = resolved->created;
               c.session = resolved->session;
               if (c.created && !title.trimmed().isEmpty())
                   c.session = e.sessions().rename(resolved->session.id, title);
               return c;
           },
           [](ApiExchange *x, Created c) {
               if (!c.session)
                   return x->sendError(ApiError::fromEngine(c.session.error()));
               x->sendJson(c.created ? 201 : 200,
                           QJsonObject{{QStringLiteral("session"), c.session->toJson()},
                                       {QStringLiteral("created"), c.created}});
           });
}

void ApiRouter::showSession(ApiExchange *exchange, const QString &session)
{
    struct Shown
    {
        Result<SessionInfo> session = makeError(ErrorCode::Internal, QString());
        QList<RunInfo> runs;
    };
    answer(m_context, exchange,
           [session](Engine &e) {
               Shown s;
               s.session = e.sessions().find(session);
               if (s.session) {
                   RunFilter f;
                   f.sessionId = s.session->id;
                   f.limit = 20;
                   if (auto runs = e.runs(f))
                       s.runs = *runs;
               }
               return s;
           },
           [](ApiExchange *x, Shown s) {
               if (!s.session)
                   return x->sendError(ApiError::fromEngine(s.session.error()));
               x->sendJson(200, QJsonObject{{QStringLiteral("session"), s.session->toJson()},
                                            {QStringLiteral("recent_runs"), toJsonArray(s.runs)}});
           });
}

void ApiRouter::startRun(ApiExchange *exchange, const QString &session, const QJsonObject &body)
{
    const QJsonValue text = body.value(QStringLiteral("text"));
    if (!text.isString() || text.toString().trimmed().isEmpty())
        return exchange->sendError(ApiError::make(400, QStringLiteral("invalid_argument"),
                                                  QStringLiteral("`text` is required: the message."),
                                                  QStringLiteral("text")));
    const QJsonValue stream = body.value(QStringLiteral("stream"));
    if (!stream.isUndefined() && !stream.isBool())
        return exchange->sendError(ApiError::make(400, QStringLiteral("invalid_argument"),
                                                  QStringLiteral("`stream` must be true or false."),
                                                  QStringLiteral("stream")));
    RunRequest request;
    request.text = text.toString();
    request.agent = body.value(QStringLiteral("agent")).toString();
    auto *job = new RunStreamJob(m_context, exchange, session, request, stream.toBool(true));
    job->start();
}

void ApiRouter::listRuns(ApiExchange *exchange, const QString &session)
{
    const ApiRequest &r = exchange->request();
    RunFilter filter;
    filter.activeOnly = r.queryFlag(QStringLiteral("active"));
    filter.limit = intParam(r, QStringLiteral("limit"), 50, 1, 10000);
    answer(m_context, exchange,
           [session, filter](Engine &e) mutable -> Result<QList<RunInfo>> {
               if (!session.isEmpty()) {
                   auto s = e.sessions().find(session);
                   if (!s)
                       return s.error();
                   filter.sessionId = s->id;
               }
               return e.runs(filter);
           },
           [](ApiExchange *x, Result<QList<RunInfo>> runs) {
               if (!runs)
                   return x->sendError(ApiError::fromEngine(runs.error()));
               x->sendJson(200, QJsonObject{{QStringLiteral("runs"), toJsonArray(*runs)}});
           });
}

void ApiRouter::showRun(ApiExchange *exchange, const QString &run)
{
    answer(m_context, exchange, [run](Engine &e) { return e.run(run); },
           [](ApiExchange *x, Result<RunInfo> r) {
               if (!r)
                   return x->sendError(ApiError::fromEngine(r.error()));
               x->sendJson(200, QJsonObject{{QStringLiteral("run"), r->toJson()}});
           });
}

void ApiRouter::tape(ApiExchange *exchange, const QString &run)
{
    const ApiRequest &r = exchange->request();
    bool ok = true;
    qint64 from = 1;
    if (r.query.hasQueryItem(QStringLiteral("from")))
        from = r.query.queryItemValue(QStringLiteral("from")).toLongLong(&ok);
    if (!ok || from < 1)
        return exchange->sendError(ApiError::make(400, QStringLiteral("invalid_argument"),
                                                  QStringLiteral("`from` must be a seq, 1 or more."),
                                                  QStringLiteral("from")));
    const QStringList kinds = r.query.allQueryItemValues(QStringLiteral("kind"));
    auto *job = new TapeFollowJob(m_context, exchange, run, from,
                                  intParam(r, QStringLiteral("limit"), 1000, 1, 100000),
                                  r.queryFlag(QStringLiteral("follow")), kinds);
    job->start();
}

void ApiRouter::cancelRun(ApiExchange *exchange, const QString &run)
{
    answer(m_context, exchange, [run](Engine &e) { return e.cancelRun(run, QStringLiteral("api")); },
           [](ApiExchange *x, Result<RunInfo> r) {
               if (!r)
                   return x->sendError(ApiError::fromEngine(r.error()));
               x->sendJson(200, QJsonObject{{QStringLiteral("run"), r->toJson()}});
           });
}

void ApiRouter::listApprovals(ApiExchange *exchange)
{
    ApprovalFilter filter;
    filter.pendingOnly = !exchange->request().queryFlag(QStringLiteral("all"));
    filter.runId = exchange->request().query.queryItemValue(QStringLiteral("run"));
    answer(m_context, exchange, [filter](Engine &e) { return e.approvals(filter); },
           [](ApiExchange *x, Result<QList<PendingToolApproval>> list) {
               if (!list)
                   return x->sendError(ApiError::fromEngine(list.error()));
               x->sendJson(200, QJsonObject{{QStringLiteral("approvals"), toJsonArray(*list)}});
           });
}

void ApiRouter::decideApproval(ApiExchange *exchange, const QString &approval, const QJsonObject &body)
{
    const QString decision = body.value(QStringLiteral("decision")).toString();
    if (decision != QLatin1String("allow") && decision != QLatin1String("deny"))
        return exchange->sendError(ApiError::make(400, QStringLiteral("invalid_argument"),
                                                  QStringLiteral("`decision` must be \"allow\" or \"deny\"."),
                                                  QStringLiteral("decision")));
    const auto scope = parseApprovalScope(body.value(QStringLiteral("scope")).toString(QStringLiteral("once")));
    if (!scope)
        return exchange->sendError(ApiError::make(400, QStringLiteral("invalid_argument"),
                                                  QStringLiteral("`scope` must be \"once\", \"session\" or \"always\"."),
                                                  QStringLiteral("scope")));
    const bool allow = decision == QLatin1String("allow");
    const ApprovalScope s = *scope;
    answer(m_context, exchange,
           [approval, allow, s](Engine &e) { return e.decideApproval(approval, allow, s, QStringLiteral("api")); },
           [](ApiExchange *x, Result<PendingToolApproval> a) {
               if (!a)
                   return x->sendError(ApiError::fromEngine(a.error()));
               x->sendJson(200, QJsonObject{{QStringLiteral("approval"), a->toJson()}});
           });
}

} // namespace Spool
