#pragma once

#include "core/result.h"

#include <QObject>
#include <QStringList>

#include <functional>
#include <vector>

namespace Spool {

class ProviderRegistry;

// Computes embeddings through a configured provider's OpenAI-compatible `/embeddings`
// endpoint (RemoteProvider::embed, so through the one retry layer), in batches, and checks
// what comes back: one vector per text, every one of the same dimension, finite numbers.
// The provider is looked up at each call, so a provider edited in the settings is used as it
// is now. Lives on the engine thread.
class MemoryEmbedder
{
public:
    using Vectors = std::vector<std::vector<float>>;
    using Done = std::function<void(const Result<Vectors> &vectors)>;

    MemoryEmbedder(ProviderRegistry &providers, const QString &provider, const QString &model);

    bool isConfigured() const { return !m_provider.isEmpty(); }
    // "provider/model": what the vectors are stored under.
    QString modelId() const;
    QString providerName() const { return m_provider; }

    // Texts are sent `batchSize` at a time, one batch after the other; `done` gets every
    // vector in order, or the first error. Not called once `context` is gone.
    void embed(const QStringList &texts, QObject *context, Done done, int batchSize = 64);

    // Texts longer than this are cut before they are sent (embedding models take a few
    // thousand tokens; OpenAI's limit is 8,192).
    static constexpr int kMaxChars = 8000;

private:
    ProviderRegistry &m_providers;
    QString m_provider;
    QString m_model;
};

} // namespace Spool
