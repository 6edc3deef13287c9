#include "providers/providerfactory.h"

#include "core/datapaths.h"
#include "providers/anthropicprovider.h"
#include "providers/openaiprovider.h"
#include "providers/providerregistry.h"

#include <QDir>
#include <QTimer>

namespace Spool {

namespace {

ProviderError configError(const Error &error)
{
    ProviderError e;
    e.errorClass = ProviderErrorClass::InvalidRequest;
    e.message = error.message;
    return e;
}

} // namespace

ProviderFactory::ProviderFactory(const QString &configDir, KeyStore::Backend keyBackend,
                                 QObject *parent)
    : QObject(parent),
      m_settings(QDir(configDir).filePath(DataPaths::settingsFileName())),
      m_keys(std::make_shared<KeyStore>(configDir, keyBackend))
{
}

ProviderFactory::~ProviderFactory() = default;

Result<std::unique_ptr<RemoteProvider>> ProviderFactory::create(const ProviderConfig &config) const
{
    if (Status valid = config.validate(); !valid)
        return valid.error();
    std::unique_ptr<RemoteProvider> provider;
    switch (config.kind) {
    case ProviderConfig::Kind::OpenAi:
        provider = std::make_unique<OpenAiProvider>(config, m_keys);
        break;
    case ProviderConfig::Kind::Anthropic:
        provider = std::make_unique<AnthropicProvider>(config, m_keys);
        break;
    }
    return provider;
}

QStringList ProviderFactory::registerConfigured(ProviderRegistry &registry) const
{
    QStringList warnings;
    for (const ProviderConfig &config : m_settings.load(&warnings)) {
        auto provider = create(config);
        if (!provider) {
            warnings.append(provider.errorMessage());
            continue;
        }
        registry.add(std::move(*provider));
    }
    return warnings;
}

void ProviderFactory::addProvider(ProviderConfig config, const std::optional<QString> &apiKey,
                                  ProviderRegistry *registry, QObject *context, DoneCallback done)
{
    if (!context)
        context = this;
    if (apiKey && config.keyRef.isEmpty())
        config.keyRef = ProviderConfig::defaultKeyRef(config.name);
    auto finish = [this, config, registry, done](const Status &keyStatus) {
        if (!keyStatus) {
            done(keyStatus);
            return;
        }
        if (Status saved = m_settings.save(config); !saved) {
            done(saved);
            return;
        }
        if (registry) {
            auto provider = create(config);
            if (!provider) {
                done(provider.error());
                return;
            }
            registry->add(std::move(*provider));
        }
        done({});
    };
    if (Status valid = config.validate(); !valid) {
        QTimer::singleShot(0, context, [done, valid] { done(valid); });
        return;
    }
    if (apiKey && !apiKey->isEmpty() && !ProviderConfig::isEnvironmentRef(config.keyRef))
        m_keys->write(config.keyRef, *apiKey, context, finish);
    else
        QTimer::singleShot(0, context, [finish] { finish({}); });
}

void ProviderFactory::removeProvider(const QString &name, ProviderRegistry *registry,
                                     QObject *context, DoneCallback done)
{
    if (!context)
        context = this;
    auto config = m_settings.find(name);
    if (!config) {
        const Error error = config.error();
        QTimer::singleShot(0, context, [done, error] { done(error); });
        return;
    }
    if (Status removed = m_settings.remove(name); !removed) {
        QTimer::singleShot(0, context, [done, removed] { done(removed); });
        return;
    }
    if (registry)
        registry->remove(name);
    m_keys->remove(config->keyRef, context, done);
}

void ProviderFactory::testConnection(const ProviderConfig &config, QObject *context,
                                     RemoteProvider::TestCallback done) const
{
    auto created = create(config);
    if (!created) {
        const ProviderError error = configError(created.error());
        const QString name = config.name;
        QTimer::singleShot(0, context, [done, error, name] {
            ConnectionTest t;
            t.provider = name;
            t.error = error;
            done(t);
        });
        return;
    }
    // The provider lives as long as the callback that reports on it.
    std::shared_ptr<RemoteProvider> provider(std::move(*created));
    provider->testConnection(context, [provider, done](const ConnectionTest &t) { done(t); });
}

void ProviderFactory::testConnection(const QString &name, QObject *context,
                                     RemoteProvider::TestCallback done) const
{
    auto config = m_settings.find(name);
    if (!config) {
        const ProviderError error = configError(config.error());
        QTimer::singleShot(0, context, [done, error, name] {
            ConnectionTest t;
            t.provider = name;
            t.error = error;
            done(t);
        });
        return;
    }
    testConnection(*config, context, done);
}

void ProviderFactory::listModels(const QString &name, QObject *context,
                                 RemoteProvider::ModelsCallback done) const
{
    auto config = m_settings.find(name);
    auto created = config ? create(*config) : Result<std::unique_ptr<RemoteProvider>>(config.error());
    if (!created) {
        const ProviderError error = configError(created.error());
        QTimer::singleShot(0, context, [done, error] { done({}, error); });
        return;
    }
    std::shared_ptr<RemoteProvider> provider(std::move(*created));
    provider->listModels(context, [provider, done](const QStringList &models,
                                                   const std::optional<ProviderError> &error) {
        done(models, error);
    });
}

} // namespace Spool
