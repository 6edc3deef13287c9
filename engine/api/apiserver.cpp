#include "api/apiserver.h"

#include "api/apiaccesspolicy.h"
#include "api/apiconnection.h"
#include "api/apicontext.h"
#include "api/apiexchange.h"
#include "api/apihttpserver.h"
#include "api/apiinstancelock.h"
#include "api/apirouter.h"
#include "api/apitoken.h"
#include "api/conversationindex.h"
#include "api/runeventrouter.h"
#include "client/engineclient.h"
#include "core/logging.h"

#include <QDateTime>
#include <QJsonArray>
#include <QTcpSocket>

namespace Spool {

ApiServer::ApiServer(EngineClient &client, QObject *parent)
    : QObject(parent), m_client(client),
      m_token(std::make_unique<ApiToken>(client.config().dataDir)),
      m_policy(std::make_unique<ApiAccessPolicy>(*m_token)),
      m_counters(std::make_unique<ApiCounters>()),
      m_conversations(std::make_unique<ConversationIndex>()),
      m_events(std::make_unique<RunEventRouter>(client)),
      m_context(std::make_unique<ApiContext>(ApiContext{client, *m_events, *m_conversations, *m_counters, {}})),
      m_router(std::make_unique<ApiRouter>(*m_context, *m_policy, [this] { return serverInfo(); })),
      m_lock(std::make_unique<ApiInstanceLock>(client.config().dataDir))
{
}

ApiServer::~ApiServer()
{
    stop();
}

Status ApiServer::start(const ApiSettings &settings)
{
    Status s = listen(settings);
    m_lastError = s ? QString() : s.errorMessage();
    return s;
}

Status ApiServer::listen(const ApiSettings &settings)
{
    if (isListening())
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("The local API is already serving at %1.").arg(url().toString()));
    if (!m_client.isReady())
        return makeError(ErrorCode::Internal, QStringLiteral("The engine is not ready."));
    if (Status s = m_lock->acquire(); !s)
        return s;
    if (Status s = m_token->load(); !s) {
        m_lock->release();
        return s;
    }
    auto http = std::make_unique<ApiHttpServer>(settings);
    if (Status s = http->listenOnLoopback(settings.port); !s) {
        m_lock->release();
        return s;
    }
    m_settings = settings;
    m_policy->setPort(http->port());
    m_policy->setAllowedOrigins(settings.allowedOrigins);
    connect(http.get(), &ApiHttpServer::exchangeReady, m_router.get(), &ApiRouter::handle);
    m_http = std::move(http);
    m_startedAt = QDateTime::currentMSecsSinceEpoch();
    if (Status s = m_lock->publish(url()); !s)
        qCWarning(lcApi, "%s", qPrintable(s.errorMessage()));
    qCInfo(lcApi, "serving on %s", qPrintable(addresses().join(QStringLiteral(" and "))));
    emit started(url());
    return {};
}

void ApiServer::stop()
{
    if (!m_http)
        return;
    // Each answer in progress learns why it ends, and its run is cancelled, before the sockets
    // go.
    const QList<ApiConnection *> connections = m_http->findChildren<ApiConnection *>();
    for (ApiConnection *c : connections)
        c->drop(QStringLiteral("server stopped"));
    m_http.reset();
    m_lock->release();
    qCInfo(lcApi, "stopped");
    emit stopped();
}

bool ApiServer::isListening() const
{
    return m_http != nullptr;
}

QUrl ApiServer::url() const
{
    if (!m_http)
        return {};
    QUrl u;
    u.setScheme(QStringLiteral("http"));
    u.setHost(QStringLiteral("127.0.0.1"));
    u.setPort(m_http->port());
    u.setPath(QStringLiteral("/"));
    return u;
}

quint16 ApiServer::port() const
{
    return m_http ? m_http->port() : 0;
}

QStringList ApiServer::addresses() const
{
    QStringList out;
    if (!m_http)
        return out;
    for (const QHostAddress &a : m_http->addresses()) {
        out.append(a.protocol() == QAbstractSocket::IPv6Protocol
                           ? QStringLiteral("[%1]:%2").arg(a.toString()).arg(m_http->port())
                           : QStringLiteral("%1:%2").arg(a.toString()).arg(m_http->port()));
    }
    return out;
}

int ApiServer::connectionCount() const
{
    return m_http ? m_http->connectionCount() : 0;
}

const ApiCounters &ApiServer::counters() const
{
    return *m_counters;
}

QString ApiServer::tokenPath() const
{
    return m_token->path();
}

Result<QByteArray> ApiServer::token()
{
    QByteArray value = m_token->value();
    if (value.isEmpty()) {
        if (Status s = m_token->load(); !s)
            return s.error();
        value = m_token->value();
    }
    return value;
}

Status ApiServer::regenerateToken()
{
    return m_token->regenerate();
}

void ApiServer::setAllowedOrigins(const QStringList &origins)
{
    m_settings.allowedOrigins = origins;
    m_policy->setAllowedOrigins(origins);
}

QStringList ApiServer::allowedOrigins() const
{
    return m_policy->allowedOrigins();
}

void ApiServer::setDefaultAgent(const QString &agent)
{
    m_context->defaultAgent = agent;
}

QJsonObject ApiServer::serverInfo() const
{
    return QJsonObject{{QStringLiteral("url"), url().toString()},
                       {QStringLiteral("addresses"), QJsonArray::fromStringList(addresses())},
                       {QStringLiteral("started_at"), m_startedAt},
                       {QStringLiteral("connections"), connectionCount()},
                       {QStringLiteral("max_connections"), m_settings.maxConnections},
                       {QStringLiteral("token_file"), m_token->path()},
                       {QStringLiteral("allowed_origins"), QJsonArray::fromStringList(m_policy->allowedOrigins())},
                       {QStringLiteral("default_agent"), m_context->defaultAgent}};
}

} // namespace Spool
