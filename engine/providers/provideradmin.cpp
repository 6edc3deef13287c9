#include "providers/provideradmin.h"

#include "core/logging.h"
#include "providers/deterministicprovider.h"
#include "providers/providerfactory.h"
#include "providers/providerfailure.h"
#include "providers/providerregistry.h"

#include <QFileInfo>
#include <QTimer>

namespace Spool {

namespace {

const QString kDeterministic = QStringLiteral("deterministic");
const QString kEchoModel = QStringLiteral("echo-1");

} // namespace

ProviderAdmin::ProviderAdmin(const QString &configDir, int deterministicChunkDelayMs,
                             QObject *parent)
    : QObject(parent), m_registry(std::make_unique<ProviderRegistry>()),
      m_factory(std::make_unique<ProviderFactory>(configDir))
{
    setDeterministicChunkDelay(deterministicChunkDelayMs);
    connect(&m_factory->keyStore(), &KeyStore::fallbackActivated, this,
            &ProviderAdmin::keyStorageFallback);
}

ProviderAdmin::~ProviderAdmin() = default;

template<typename Answer>
void ProviderAdmin::answerLater(std::function<void(const Answer &)> done, Answer answer)
{
    QTimer::singleShot(0, this, [done = std::move(done), answer = std::move(answer)] { done(answer); });
}

void ProviderAdmin::setDeterministicChunkDelay(int ms)
{
    m_registry->add(std::make_unique<DeterministicProvider>(DeterministicProvider::Options{ms}));
}

KeyStore &ProviderAdmin::keyStore()
{
    return m_factory->keyStore();
}

void ProviderAdmin::sync(bool force)
{
    const QFileInfo file(m_factory->settings().path());
    const QDateTime stamp = file.exists() ? file.lastModified() : QDateTime();
    if (!force && stamp == m_stamp)
        return;
    m_stamp = stamp;
    QStringList warnings;
    QSet<QString> configured;
    for (const ProviderConfig &config : m_factory->settings().load(&warnings)) {
        auto provider = m_factory->create(config);
        if (!provider) {
            warnings.append(provider.errorMessage());
            continue;
        }
        configured.insert(config.name);
        m_registry->add(std::move(*provider));
    }
    for (const QString &gone : std::as_const(m_configured)) {
        if (!configured.contains(gone))
            m_registry->remove(gone);
    }
    m_configured = configured;
    for (const QString &w : std::as_const(warnings))
        qCWarning(lcProviders).noquote() << w;
}

ProviderListing ProviderAdmin::listing() const
{
    ProviderListing listing;
    ProviderListing::Entry builtIn;
    builtIn.builtIn = true;
    builtIn.config.name = kDeterministic;
    builtIn.config.defaultModel = kEchoModel;
    builtIn.keyStorage = QStringLiteral("none");
    listing.providers.append(builtIn);

    const KeyStore &keys = m_factory->keyStore();
    listing.keysInFile = keys.usingFallbackFile();
    listing.keyFileReason = keys.fallbackReason();
    listing.keyFilePath = keys.fallbackFilePath();
    for (const ProviderConfig &config : m_factory->settings().load(&listing.warnings)) {
        ProviderListing::Entry e;
        e.config = config;
        if (config.keyRef.isEmpty())
            e.keyStorage = QStringLiteral("none");
        else if (config.keyFromEnvironment())
            e.keyStorage = QStringLiteral("environment");
        else if (keys.inFallbackFile(config.keyRef))
            e.keyStorage = QStringLiteral("file");
        else if (keys.usingFallbackFile())
            e.keyStorage = QStringLiteral("missing");
        else
            e.keyStorage = QStringLiteral("keychain");
        if (e.keyStorage == QLatin1String("file"))
            listing.keysInFile = true;
        listing.providers.append(e);
    }
    return listing;
}

void ProviderAdmin::add(ProviderConfig config, const std::optional<QString> &apiKey,
                        std::function<void(const Status &)> done)
{
    if (config.name == kDeterministic) {
        answerLater<Status>(std::move(done),
                            makeError(ErrorCode::Conflict,
                                      QStringLiteral("\"deterministic\" is the built-in provider's name.")));
        return;
    }
    const bool storeKey = apiKey && !apiKey->isEmpty();
    if (storeKey && (config.keyRef.isEmpty() || config.keyFromEnvironment()))
        config.keyRef = ProviderConfig::defaultKeyRef(config.name);
    // A key the new configuration no longer refers to is removed once it is saved.
    QString staleRef;
    if (auto previous = m_factory->settings().find(config.name);
        previous && !previous->keyRef.isEmpty() && !previous->keyFromEnvironment()
        && previous->keyRef != config.keyRef)
        staleRef = previous->keyRef;
    const QString name = config.name;
    m_factory->addProvider(config, storeKey ? apiKey : std::nullopt, m_registry.get(), this,
                           [this, name, staleRef, done](const Status &status) {
                               if (status) {
                                   m_configured.insert(name);
                                   sync();
                                   emit providersChanged();
                                   if (!staleRef.isEmpty())
                                       m_factory->keyStore().remove(staleRef, this, [](const Status &s) {
                                           if (!s)
                                               qCWarning(lcProviders).noquote() << s.errorMessage();
                                       });
                               }
                               done(status);
                           });
}

void ProviderAdmin::remove(const QString &name, std::function<void(const Status &)> done)
{
    if (name == kDeterministic) {
        answerLater<Status>(std::move(done),
                            makeError(ErrorCode::Conflict,
                                      QStringLiteral("The built-in deterministic provider cannot be removed.")));
        return;
    }
    m_factory->removeProvider(name, m_registry.get(), this, [this, name, done](const Status &status) {
        m_configured.remove(name);
        sync();
        emit providersChanged();
        done(status);
    });
}

void ProviderAdmin::test(const QString &name, std::function<void(const ConnectionTest &)> done)
{
    if (name == kDeterministic) {
        ConnectionTest t;
        t.provider = kDeterministic;
        t.ok = true;
        t.checked = QStringLiteral("built-in");
        t.models = {kEchoModel};
        answerLater<ConnectionTest>(std::move(done), t);
        return;
    }
    m_factory->testConnection(name, this, std::move(done));
}

void ProviderAdmin::test(const ProviderConfig &config, const std::optional<QString> &apiKey,
                         std::function<void(const ConnectionTest &)> done)
{
    if (!apiKey || apiKey->isEmpty()) {
        m_factory->testConnection(config, this, std::move(done));
        return;
    }
    auto created = m_factory->create(config);
    if (!created) {
        // The factory says why in the connection test's own words.
        m_factory->testConnection(config, this, std::move(done));
        return;
    }
    // The provider lives as long as the callback that reports on it.
    std::shared_ptr<RemoteProvider> provider(std::move(*created));
    provider->useKey(*apiKey);
    provider->testConnection(this, [provider, done](const ConnectionTest &t) { done(t); });
}

void ProviderAdmin::models(const QString &name,
                           std::function<void(const Result<QStringList> &)> done)
{
    if (name == kDeterministic) {
        answerLater<Result<QStringList>>(std::move(done), QStringList{kEchoModel});
        return;
    }
    if (auto found = m_factory->settings().find(name); !found) {
        answerLater<Result<QStringList>>(std::move(done), found.error());
        return;
    }
    m_factory->listModels(
            name, this, [done](const QStringList &models, const std::optional<ProviderError> &error) {
                if (error) {
                    done(makeError(ErrorCode::Provider,
                                   providerErrorClassDescription(error->errorClass)
                                           + QLatin1Char(' ') + error->message));
                    return;
                }
                done(models);
            });
}

} // namespace Spool
