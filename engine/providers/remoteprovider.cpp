#include "providers/remoteprovider.h"

#include "core/logging.h"
#include "providers/contextwindow.h"
#include "providers/httpexchange.h"
#include "providers/keystore.h"
#include "providers/providerfailure.h"
#include "providers/streamdecoder.h"
#include "providers/wirerequest.h"

#include <QElapsedTimer>
#include <algorithm>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTimer>

namespace Spool {

namespace {

ProviderError keyError(const Error &error, const QString &provider)
{
    ProviderError e;
    e.errorClass = ProviderErrorClass::Auth;
    e.message = error.code == ErrorCode::NotFound
            ? QStringLiteral("No API key is set for %1: %2 Add it in the provider settings.")
                      .arg(provider, error.message)
            : QStringLiteral("The API key for %1 could not be read: %2").arg(provider, error.message);
    return e;
}

} // namespace

// One chat call: key, then the exchange, with the decoder turning events into deltas. It keeps
// copies of all it needs, so it runs to its end even if its provider is replaced meanwhile.
class RemoteProviderCall : public ProviderCall
{
public:
    RemoteProviderCall(RemoteProvider &provider, const ProviderRequest &request, QObject *parent)
        : ProviderCall(parent), m_shared(provider.m_shared), m_config(provider.config()),
          m_path(provider.chatPath()), m_newDecoder(provider.decoderFactory()),
          m_authenticate(provider.authenticator()), m_wire(request),
          m_body(QJsonDocument(provider.wireBody(m_wire.request())).toJson(QJsonDocument::Compact)),
          m_model(request.model.isEmpty() ? provider.defaultModel() : request.model)
    {
        m_clock.start();
        RemoteProvider::withKey(
                m_shared, m_config, this, [this](const QString &key) { start(key); },
                [this](const ProviderError &error) { finishWithError(error); });
    }

    void abort() override
    {
        m_aborted = true;
        if (m_exchange)
            m_exchange->abort();
    }

private:
    void start(const QString &key)
    {
        if (m_aborted)
            return;
        HttpExchange::Options options;
        options.connectTimeoutMs = m_config.connectTimeoutMs;
        options.stallTimeoutMs = m_config.stallTimeoutMs;
        options.retry = m_config.retryPolicy();
        options.secret = key;
        m_exchange = new HttpExchange(m_shared->networkManager(),
                                      RemoteProvider::makeRequest(m_config, m_path, key, true, m_authenticate),
                                      "POST", m_body, options, this);
        connect(m_exchange, &HttpExchange::attemptStarted, this, [this] { m_decoder = m_newDecoder(); });
        connect(m_exchange, &HttpExchange::event, this, [this](const SseEvent &e) {
            handle(m_decoder->event(e));
        });
        connect(m_exchange, &HttpExchange::bodyReceived, this, [this](const QByteArray &body) {
            handle(m_decoder->body(body));
        });
        connect(m_exchange, &HttpExchange::streamEnded, this, [this] { handle(m_decoder->end()); });
        connect(m_exchange, &HttpExchange::retrying, this, [this](const ProviderError &error) {
            if (!m_aborted)
                emit retrying(error);
        });
        connect(m_exchange, &HttpExchange::failed, this,
                [this](const ProviderError &error) { finishWithError(error); });
        m_exchange->start();
    }

    void handle(StreamDecoder::Step step)
    {
        if (m_aborted)
            return;
        if (m_decoder->hasOutput())
            m_exchange->commit();
        const QString text = m_decoder->takeText();
        if (!text.isEmpty()) {
            if (m_firstTokenMs < 0)
                m_firstTokenMs = m_clock.elapsed();
            emit textDelta(text);
            if (m_aborted)
                return; // the receiver cancelled while handling the delta
        }
        switch (step) {
        case StreamDecoder::Step::More:
            return;
        case StreamDecoder::Step::Failed:
            m_exchange->failAttempt(m_decoder->error());
            return;
        case StreamDecoder::Step::Done: {
            m_exchange->complete();
            // Tool names go back to Spool's before anything else sees the reply.
            ProviderResponse r = m_wire.decode(m_decoder->response());
            if (r.model.isEmpty())
                r.model = m_model;
            r.latencyMs = m_clock.elapsed();
            r.firstTokenMs = m_firstTokenMs;
            r.attempts = m_exchange->attempt();
            m_aborted = true; // exactly one final signal
            emit finished(r);
            return;
        }
        }
    }

    void finishWithError(ProviderError error)
    {
        if (m_aborted)
            return;
        m_aborted = true;
        if (m_decoder)
            error.partialText = m_decoder->text();
        qCInfo(lcProviders).noquote() << m_config.name << "call failed:"
                                      << providerErrorClassName(error.errorClass) << error.message;
        emit failed(error);
    }

    std::shared_ptr<RemoteProvider::Shared> m_shared;
    ProviderConfig m_config;
    QString m_path;
    RemoteProvider::DecoderFactory m_newDecoder;
    RemoteProvider::Authenticator m_authenticate;
    WireRequest m_wire;
    QByteArray m_body;
    QString m_model;
    HttpExchange *m_exchange = nullptr;
    std::unique_ptr<StreamDecoder> m_decoder;
    QElapsedTimer m_clock;
    qint64 m_firstTokenMs = -1;
    bool m_aborted = false;
};

RemoteProvider::RemoteProvider(const ProviderConfig &config, std::shared_ptr<KeyStore> keys)
    : m_config(config), m_shared(std::make_shared<Shared>())
{
    m_shared->keys = std::move(keys);
}

RemoteProvider::~RemoteProvider() = default;

void RemoteProvider::forgetKey()
{
    m_shared->key.reset();
}

QNetworkAccessManager *RemoteProvider::Shared::networkManager()
{
    if (!network) {
        network = std::make_shared<QNetworkAccessManager>();
        // Redirects could carry the key to another host; providers have no reason to redirect.
        network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    }
    return network.get();
}

void RemoteProvider::insertParameters(QJsonObject &body, const QJsonObject &parameters,
                                      std::initializer_list<QLatin1String> reserved)
{
    for (auto it = parameters.constBegin(); it != parameters.constEnd(); ++it) {
        if (std::find(reserved.begin(), reserved.end(), it.key()) == reserved.end())
            body.insert(it.key(), it.value());
    }
}

QNetworkRequest RemoteProvider::makeRequest(const ProviderConfig &config, const QString &path,
                                            const QString &key, bool streaming,
                                            Authenticator authenticate)
{
    QNetworkRequest r(config.endpoint(path));
    r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    r.setRawHeader("Accept", streaming ? "text/event-stream" : "application/json");
    r.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("Spool/0.1"));
    r.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    r.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    // SSE over HTTP/2 works too, but HTTP/1.1 keeps the behaviour identical against every
    // OpenAI-compatible server, local ones included.
    r.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    for (auto it = config.extraHeaders.cbegin(); it != config.extraHeaders.cend(); ++it)
        r.setRawHeader(it.key().toLatin1(), it.value().toUtf8());
    authenticate(r, key);
    return r;
}

void RemoteProvider::withKey(const std::shared_ptr<Shared> &shared, const ProviderConfig &config,
                             QObject *context, std::function<void(const QString &)> next,
                             std::function<void(const ProviderError &)> failed)
{
    if (shared->key || config.keyRef.isEmpty() || !shared->keys) {
        const QString key = shared->key.value_or(QString());
        QTimer::singleShot(0, context, [next, key] { next(key); });
        return;
    }
    const QString name = config.name;
    shared->keys->read(config.keyRef, context,
                       [shared, next, failed, name](const Result<QString> &key) {
                           if (!key) {
                               failed(keyError(key.error(), name));
                               return;
                           }
                           shared->key = *key;
                           next(*key);
                       });
}

void RemoteProvider::requestJson(
        const QString &path, const QByteArray &verb, const QJsonObject &body, QObject *context,
        std::function<void(const QJsonObject &, const std::optional<ProviderError> &)> done)
{
    // The exchange lives under a guard object, so that a gone context also ends the request.
    auto *holder = new QObject(context);
    const std::shared_ptr<Shared> shared = m_shared;
    const ProviderConfig config = m_config;
    const Authenticator authenticate = authenticator();
    withKey(
            shared, config, holder,
            [shared, config, path, verb, body, holder, done, authenticate](const QString &key) {
                HttpExchange::Options options;
                options.connectTimeoutMs = config.connectTimeoutMs;
                options.stallTimeoutMs = config.stallTimeoutMs;
                options.retry = config.retryPolicy();
                options.secret = key;
                auto *exchange = new HttpExchange(
                        shared->networkManager(), makeRequest(config, path, key, false, authenticate), verb,
                        verb == "GET" ? QByteArray()
                                      : QJsonDocument(body).toJson(QJsonDocument::Compact),
                        options, holder);
                QObject::connect(exchange, &HttpExchange::bodyReceived, holder,
                                 [exchange, holder, done](const QByteArray &bytes) {
                                     const QJsonDocument doc = QJsonDocument::fromJson(bytes);
                                     if (!doc.isObject()) {
                                         exchange->failAttempt(ProviderFailure::malformed(
                                                 QStringLiteral("The reply is not a JSON object.")));
                                         return;
                                     }
                                     exchange->complete();
                                     holder->deleteLater();
                                     done(doc.object(), std::nullopt);
                                 });
                QObject::connect(exchange, &HttpExchange::streamEnded, holder, [exchange] {
                    exchange->failAttempt(ProviderFailure::malformed(
                            QStringLiteral("The server answered with a stream where JSON was expected.")));
                });
                QObject::connect(exchange, &HttpExchange::failed, holder,
                                 [holder, done](const ProviderError &error) {
                                     holder->deleteLater();
                                     done({}, error);
                                 });
                exchange->start();
            },
            [holder, done](const ProviderError &error) {
                holder->deleteLater();
                done({}, error);
            });
}

QStringList RemoteProvider::parseModels(const QJsonObject &json)
{
    QStringList ids;
    const QJsonArray data = json.value(QStringLiteral("data")).toArray();
    for (const QJsonValue &v : data) {
        const QString id = v.toObject().value(QStringLiteral("id")).toString();
        if (!id.isEmpty())
            ids.append(id);
    }
    // Ollama's native shape, for servers that answer /models with it.
    const QJsonArray models = json.value(QStringLiteral("models")).toArray();
    for (const QJsonValue &v : models) {
        const QJsonObject o = v.toObject();
        const QString id = o.value(QStringLiteral("name")).toString();
        if (!id.isEmpty() && !ids.contains(id))
            ids.append(id);
    }
    ids.sort();
    return ids;
}

void RemoteProvider::listModels(QObject *context, ModelsCallback done)
{
    requestJson(modelsPath(), "GET", {}, context,
                [done](const QJsonObject &json, const std::optional<ProviderError> &error) {
                    if (error) {
                        done({}, error);
                        return;
                    }
                    if (!json.contains(QStringLiteral("data")) && !json.contains(QStringLiteral("models"))) {
                        done({}, ProviderFailure::malformed(
                                         QStringLiteral("The model list has no \"data\" field.")));
                        return;
                    }
                    done(parseModels(json), std::nullopt);
                });
}

int RemoteProvider::contextWindow(const QString &model) const
{
    return m_config.contextWindow > 0 ? m_config.contextWindow
                                      : ContextWindow::forModel(kind(), model.isEmpty() ? defaultModel() : model);
}

void RemoteProvider::embed(const QStringList &, const QString &, QObject *context,
                           EmbeddingsCallback done)
{
    const QString kindName = kind();
    QTimer::singleShot(0, context, [done, kindName] {
        ProviderError e;
        e.errorClass = ProviderErrorClass::InvalidRequest;
        e.message = QStringLiteral("The %1 API has no embeddings endpoint.").arg(kindName);
        done({}, e);
    });
}

void RemoteProvider::testConnection(QObject *context, TestCallback done)
{
    auto clock = std::make_shared<QElapsedTimer>();
    clock->start();
    const QString providerName = name();
    const std::weak_ptr<Shared> alive = m_shared;
    listModels(context, [this, alive, context, done, clock, providerName](
                                const QStringList &models, const std::optional<ProviderError> &error) {
        ConnectionTest t;
        t.provider = providerName;
        t.checked = QStringLiteral("models");
        t.latencyMs = clock->elapsed();
        const bool noModelsEndpoint = error && (error->httpStatus == 404 || error->httpStatus == 405);
        if (!noModelsEndpoint || alive.expired()) {
            t.ok = !error;
            t.error = error;
            t.models = models;
            done(t);
            return;
        }
        // Some OpenAI-compatible servers have no /models: one token of chat tells as much.
        ProviderRequest probe;
        probe.provider = providerName;
        probe.model = m_config.defaultModel;
        probe.messages = {ChatMessage::user(QStringLiteral("ping"))};
        probe.parameters = QJsonObject{{QStringLiteral("max_tokens"), 1}};
        ProviderCall *call = send(probe, context);
        QObject::connect(call, &ProviderCall::finished, context,
                         [done, clock, providerName, call](const ProviderResponse &) {
                             call->deleteLater();
                             ConnectionTest t;
                             t.provider = providerName;
                             t.checked = QStringLiteral("chat");
                             t.ok = true;
                             t.latencyMs = clock->elapsed();
                             done(t);
                         });
        QObject::connect(call, &ProviderCall::failed, context,
                         [done, clock, providerName, call](const ProviderError &e) {
                             call->deleteLater();
                             ConnectionTest t;
                             t.provider = providerName;
                             t.checked = QStringLiteral("chat");
                             t.error = e;
                             t.latencyMs = clock->elapsed();
                             done(t);
                         });
    });
}

ProviderCall *RemoteProvider::send(const ProviderRequest &request, QObject *parent)
{
    return new RemoteProviderCall(*this, request, parent);
}

QJsonObject RemoteProvider::chatBody(const ProviderRequest &request) const
{
    return wireBody(WireRequest(request).request());
}

QJsonObject RemoteProvider::requestSnapshot(const ProviderRequest &request) const
{
    return WireRequest(request).snapshot();
}

} // namespace Spool
