#pragma once

#include "core/result.h"
#include "providers/connectiontest.h"
#include "providers/providerconfig.h"
#include "providers/providerlisting.h"

#include <QStringList>

#include <functional>
#include <optional>

namespace Spool {

// The model providers (SPEC §5), configured in spool.conf with their keys in the keychain
// (Engine::providers()). Calls that reach the network, or the keychain, answer through their
// callback on the engine's thread.
class Providers
{
public:
    virtual ~Providers() = default;

    virtual ProviderListing listing() const = 0;
    // Adds or replaces a provider. `apiKey`, when given, is stored under config.keyRef (by
    // default "provider/<name>"); a stored key the new configuration no longer uses is removed.
    virtual void add(ProviderConfig config, const std::optional<QString> &apiKey,
                     std::function<void(const Status &)> done) = 0;
    virtual void remove(const QString &name, std::function<void(const Status &)> done) = 0;
    // Whether a provider works, and if not why. The second form tests a configuration that is
    // not saved yet, with a key typed into a form (or, without one, config.keyRef's key).
    virtual void test(const QString &name, std::function<void(const ConnectionTest &)> done) = 0;
    virtual void test(const ProviderConfig &config, const std::optional<QString> &apiKey,
                      std::function<void(const ConnectionTest &)> done) = 0;
    // The models a provider offers, for the model pickers.
    virtual void models(const QString &name,
                        std::function<void(const Result<QStringList> &)> done) = 0;
};

} // namespace Spool
