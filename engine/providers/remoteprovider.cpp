#include "providers/remoteprovider.h"

#include "core/logging.h"
#include "providers/httpexchange.h"
#include "providers/keystore.h"
#include "providers/providerfailure.h"
#include "providers/streamdecoder.h"

#include <QElapsedTimer>
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

// One chat call: key, then the exchange, with the decoder turning events into deltas.
class RemoteProviderCall : public ProviderCall
{
public:
    RemoteProviderCall(RemoteProvider &provider, const ProviderRequest &request, QObject *parent)
        : ProviderCall(parent), m_provider(provider), m_request(request)
    {
        m_clock.start();
        provider.withKey(
                this, [this](const QString &key) { start(key); },
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
        const ProviderConfig &config = m_provider.config();
        HttpExchange::Options options;
        options.connectTimeoutMs = config.connectTimeoutMs;
        options.stallTimeoutMs = config.stallTimeoutMs;
        options.retry = config.retryPolicy();
        options.secret = key;
        const QByteArray body =
                QJsonDocument(m_provider.chatBody(m_request)).toJson(QJsonDocument::Compact);
        m_exchange = new HttpExchange(m_provider.network(),
                                      m_provider.makeRequest(m_provider.chatPath(), key, true),
                                      "POST", body, options, this);
        connect(m_exchange, &HttpExchange::attemptStarted, this,
                [this] { m_decoder = m_provider.newDecoder(); });
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
            ProviderResponse r = m_decoder->response();
            if (r.model.isEmpty())
                r.model = m_request.model;
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
        qCInfo(lcProviders).noquote() << m_provider.name() << "call failed:"
                                      << providerErrorClassName(error.errorClass) << error.message;
        emit failed(error);
    }

    RemoteProvider &m_provider;
    ProviderRequest m_request;
    HttpExchange *m_exchange = nullptr;
    std::unique_ptr<StreamDecoder> m_decoder;
    QElapsedTimer m_clock;
    qint64 m_firstTokenMs = -1;
    bool m_aborted = false;
};

RemoteProvider::RemoteProvider(const ProviderConfig &config, std::shared_ptr<KeyStore> keys)
    : m_config(config), m_keys(std::move(keys))
{
}

RemoteProvider::~RemoteProvider() = default;

QNetworkAccessManager *RemoteProvider::network()
{
    if (!m_network) {
        m_network = std::make_unique<QNetworkAccessManager>();
        // Redirects could carry the key to another host; providers have no reason to redirect.
        m_network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    }
    return m_network.get();
}

QNetworkRequest RemoteProvider::makeRequest(const QString &path, const QString &key,
                                            bool streaming) const
{
    QNetworkRequest r(m_config.endpoint(path));
    r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    r.setRawHeader("Accept", streaming ? "text/event-stream" : "application/json");
    r.setHeader(QNetworkRequest::UserAgentHeader, QByteArrayLiteral("Spool/0.1"));
    r.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    r.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    // SSE over HTTP/2 works too, but HTTP/1.1 keeps the behaviour identical against every
    // OpenAI-compatible server, local ones included.
    r.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    for (auto it = m_config.extraHeaders.cbegin(); it != m_config.extraHeaders.cend(); ++it)
        r.setRawHeader(it.key().toLatin1(), it.value().toUtf8());
    addFixedHeaders(r);
    if (!key.isEmpty())
        addAuthHeaders(r, key);
    return r;
}

void RemoteProvider::withKey(QObject *context, std::function<void(const QString &)> next,
                             std::function<void(const ProviderError &)> failed)
{
    if (m_key || m_config.keyRef.isEmpty() || !m_keys) {
        const QString key = m_key.value_or(QString());
        QTimer::singleShot(0, context, [next, key] { next(key); });
        return;
    }
    const QString name = m_config.name;
    m_keys->read(m_config.keyRef, context, [this, next, failed, name](const Result<QString> &key) {
        if (!key) {
            failed(keyError(key.error(), name));
            return;
        }
        m_key = *key;
        next(*key);
    });
}

void RemoteProvider::requestJson(
        const QString &path, const QByteArray &verb, const QJsonObject &body, QObject *context,
        std::function<void(const QJsonObject &, const std::optional<ProviderError> &)> done)
{
    // The exchange lives under a guard object, so that a gone context also ends the request.
    auto *holder = new QObject(context);
    withKey(
            holder,
            [this, path, verb, body, holder, done](const QString &key) {
                HttpExchange::Options options;
                options.connectTimeoutMs = m_config.connectTimeoutMs;
                options.stallTimeoutMs = m_config.stallTimeoutMs;
                options.retry = m_config.retryPolicy();
                options.secret = key;
                auto *exchange = new HttpExchange(
                        network(), makeRequest(path, key, false), verb,
                        verb == "GET" ? QByteArray()
                                      : QJsonDocument(body).toJson(QJsonDocument::Compact),
                        options, holder);
                QObject::connect(exchange, &HttpExchange::bodyReceived, holder,
                                 [exchange, holder, done](const QByteArray &bytes) {
                                     QJsonParseError parseError{};
                                     const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
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

QStringList RemoteProvider::parseModels(const QJsonObject &json) const
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
                [this, done](const QJsonObject &json, const std::optional<ProviderError> &error) {
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
    listModels(context, [this, context, done, clock, providerName](
                                const QStringList &models, const std::optional<ProviderError> &error) {
        ConnectionTest t;
        t.provider = providerName;
        t.checked = QStringLiteral("models");
        t.latencyMs = clock->elapsed();
        const bool noModelsEndpoint = error && (error->httpStatus == 404 || error->httpStatus == 405);
        if (!noModelsEndpoint) {
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

} // namespace Spool
