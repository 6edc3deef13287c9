#pragma once

#include "providers/keystore.h"
#include "providers/providersettings.h"
#include "providers/remoteprovider.h"

#include <QObject>

#include <memory>
#include <optional>

namespace Spool {

class ProviderRegistry;

// Builds model providers from their configuration and manages that configuration: the
// providers in `spool.conf`, their keys in the KeyStore. The Gateway owns one, created on the
// engine thread in Gateway::open(); the settings page and `spool providers ...` reach it
// through the engine. Providers it builds share its KeyStore.
class ProviderFactory : public QObject
{
    Q_OBJECT
public:
    using DoneCallback = KeyStore::DoneCallback;

    // `configDir` holds spool.conf and, where no keychain runs, the key file.
    explicit ProviderFactory(const QString &configDir,
                             KeyStore::Backend keyBackend = KeyStore::Backend::Auto,
                             QObject *parent = nullptr);
    ~ProviderFactory() override;

    ProviderSettings &settings() { return m_settings; }
    KeyStore &keyStore() { return *m_keys; }

    // A provider for `config` (validated first).
    Result<std::unique_ptr<RemoteProvider>> create(const ProviderConfig &config) const;
    // Adds to `registry` one provider per configured entry (replacing those of the same name);
    // returns a warning for each entry that could not be used.
    QStringList registerConfigured(ProviderRegistry &registry) const;

    // Validates and stores `config`, stores `apiKey` when given (under the config's key
    // reference, ProviderConfig::defaultKeyRef(name) if it has none and a key is given), and
    // replaces the provider in `registry` when given. A config that does not validate is
    // refused before anything is written.
    void addProvider(ProviderConfig config, const std::optional<QString> &apiKey,
                     ProviderRegistry *registry, QObject *context, DoneCallback done);
    // Removes the configuration, the stored key, and the provider from `registry` when given.
    void removeProvider(const QString &name, ProviderRegistry *registry, QObject *context,
                        DoneCallback done);

    // Whether the provider works, and if not why (class and message). Works on a config that
    // is not saved yet too, so a settings page can test before saving.
    void testConnection(const ProviderConfig &config, QObject *context,
                        RemoteProvider::TestCallback done) const;
    void testConnection(const QString &name, QObject *context, RemoteProvider::TestCallback done) const;
    void listModels(const QString &name, QObject *context, RemoteProvider::ModelsCallback done) const;

private:
    ProviderSettings m_settings;
    std::shared_ptr<KeyStore> m_keys;
};

} // namespace Spool
