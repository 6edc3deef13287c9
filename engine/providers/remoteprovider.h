#pragma once

#include "providers/connectiontest.h"
#include "providers/modelprovider.h"
#include "providers/providerconfig.h"

#include <QNetworkRequest>
#include <QPointer>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>

class QNetworkAccessManager;

namespace Spool {

class KeyStore;
class StreamDecoder;

// A provider reached over HTTP (OpenAI-compatible servers, Anthropic): the key from the
// KeyStore, the shared retry layer (HttpExchange), streaming through an API-specific
// StreamDecoder. Also lists models, tests the connection and, where the API has them,
// computes embeddings. Created and used on the engine thread; its network manager is created
// there on first use.
class RemoteProvider : public ModelProvider
{
public:
    using ModelsCallback = std::function<void(const QStringList &models,
                                              const std::optional<ProviderError> &error)>;
    using EmbeddingsCallback = std::function<void(const QList<QList<float>> &vectors,
                                                  const std::optional<ProviderError> &error)>;
    using TestCallback = std::function<void(const ConnectionTest &result)>;

    RemoteProvider(const ProviderConfig &config, std::shared_ptr<KeyStore> keys);
    ~RemoteProvider() override;

    QString name() const override { return m_config.name; }
    QString kind() const override { return m_config.kindName(); }
    QString defaultModel() const override { return m_config.defaultModel; }
    int contextWindow(const QString &model) const override;
    ProviderCall *send(const ProviderRequest &request, QObject *parent) override;
    // The request as sent: wire tool names and call ids, history the APIs accept (WireRequest).
    QJsonObject requestSnapshot(const ProviderRequest &request) const override;

    const ProviderConfig &config() const { return m_config; }

    // The models the server offers, for the model picker. Callbacks run on this thread, and
    // not at all once `context` is gone.
    void listModels(QObject *context, ModelsCallback done);
    // One vector per text, in order. Providers without an embeddings API fail with
    // InvalidRequest.
    virtual void embed(const QStringList &texts, const QString &model, QObject *context,
                       EmbeddingsCallback done);
    // Lists the models (which needs a valid key on OpenAI and Anthropic); a server without a
    // models endpoint is tried with a one-token chat request instead.
    void testConnection(QObject *context, TestCallback done);

    // The request body for `request`, exactly as sent; exposed for tests and the inspector.
    QJsonObject chatBody(const ProviderRequest &request) const;

    // Forgets the cached key (after the user changed it).
    void forgetKey();
    // Uses `key` instead of reading the KeyStore: "test connection" on a key typed into a
    // form that is not saved yet.
    void useKey(const QString &key) { m_shared->key = key; }

    // Adds an API's authentication (and version) headers for `key` to a request.
    using Authenticator = void (*)(QNetworkRequest &request, const QString &key);

    // The HTTP request for `path`: URL, JSON headers, the config's extra headers and the
    // API's authentication. Static so that calls in flight need nothing from the provider.
    static QNetworkRequest makeRequest(const ProviderConfig &config, const QString &path,
                                       const QString &key, bool streaming,
                                       Authenticator authenticate);

protected:
    using DecoderFactory = std::unique_ptr<StreamDecoder> (*)();
    virtual Authenticator authenticator() const = 0;
    // The API's body for a request already in its wire form (WireRequest::request()).
    virtual QJsonObject wireBody(const ProviderRequest &wire) const = 0;
    virtual QString chatPath() const = 0;
    virtual QString modelsPath() const = 0;
    virtual DecoderFactory decoderFactory() const = 0;

    // A non-streaming JSON request through the retry layer.
    void requestJson(const QString &path, const QByteArray &verb, const QJsonObject &body,
                     QObject *context,
                     std::function<void(const QJsonObject &json, const std::optional<ProviderError> &error)> done);

    // Copies the parameters the agent or session set (temperature, top_p, max_tokens, ...)
    // into `body` as given, except `reserved`: the keys the provider itself owns.
    static void insertParameters(QJsonObject &body, const QJsonObject &parameters,
                                 std::initializer_list<QLatin1String> reserved);

    ProviderConfig m_config;

private:
    friend class RemoteProviderCall;
    // What calls in flight share with the provider, so that replacing or removing a provider
    // (the user edits its settings mid-run) never leaves a call pointing at a deleted object.
    struct Shared
    {
        std::shared_ptr<KeyStore> keys;
        std::shared_ptr<QNetworkAccessManager> network; // created on first use, on that thread
        std::optional<QString> key;                     // cached after the first read

        QNetworkAccessManager *networkManager();
    };
    // Reads the key (cached after the first read) and calls `next` with it, or `failed`.
    static void withKey(const std::shared_ptr<Shared> &shared, const ProviderConfig &config,
                        QObject *context, std::function<void(const QString &key)> next,
                        std::function<void(const ProviderError &error)> failed);
    static QStringList parseModels(const QJsonObject &json);

    std::shared_ptr<Shared> m_shared;
};

} // namespace Spool
