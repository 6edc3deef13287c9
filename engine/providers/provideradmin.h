#pragma once

#include "core/result.h"
#include "providers/connectiontest.h"
#include "providers/providerconfig.h"
#include "providers/providerlisting.h"
#include "providers/providers.h"

#include <QDateTime>
#include <QObject>
#include <QSet>

#include <functional>
#include <memory>
#include <optional>

namespace Spool {

class KeyStore;
class ProviderFactory;
class ProviderRegistry;

// The providers a process can use (SPEC §5), kept in step with `spool.conf`: the built-in
// deterministic one and the configured ones, which it adds, removes, tests and asks for their
// models. Lives on the engine thread; callbacks answer there.
class ProviderAdmin : public QObject, public Providers
{
    Q_OBJECT
public:
    ProviderAdmin(const QString &configDir, int deterministicChunkDelayMs, QObject *parent = nullptr);
    ~ProviderAdmin() override;

    ProviderRegistry &registry() { return *m_registry; }
    const ProviderRegistry &registry() const { return *m_registry; }
    // The keychain the providers' keys live in; MCP servers keep their secrets there too.
    KeyStore &keyStore();

    // Registers the providers of spool.conf when the file changed since the last look (a CLI
    // next to the window added one, say) and drops those no longer configured.
    void sync(bool force = false);
    // The deterministic provider's delay between chunks, for the next call.
    void setDeterministicChunkDelay(int ms);

    ProviderListing listing() const override;
    void add(ProviderConfig config, const std::optional<QString> &apiKey,
             std::function<void(const Status &)> done) override;
    void remove(const QString &name, std::function<void(const Status &)> done) override;
    void test(const QString &name, std::function<void(const ConnectionTest &)> done) override;
    void test(const ProviderConfig &config, const std::optional<QString> &apiKey,
              std::function<void(const ConnectionTest &)> done) override;
    void models(const QString &name, std::function<void(const Result<QStringList> &)> done) override;

signals:
    void providersChanged();
    void keyStorageFallback(const QString &reason);

private:
    // Answers `done` on the next pass of the event loop, as the network calls do.
    template<typename Answer>
    void answerLater(std::function<void(const Answer &)> done, Answer answer);

    std::unique_ptr<ProviderRegistry> m_registry;
    std::unique_ptr<ProviderFactory> m_factory;
    QSet<QString> m_configured; // registered from spool.conf
    QDateTime m_stamp;          // spool.conf as last read
};

} // namespace Spool
