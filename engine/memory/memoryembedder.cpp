#include "memory/memoryembedder.h"

#include "providers/providerregistry.h"
#include "providers/remoteprovider.h"

#include <QPointer>
#include <QTimer>

#include <memory>

namespace Spool {

namespace {

struct EmbedJob
{
    ProviderRegistry *registry = nullptr;
    QString provider;
    QString model;
    QPointer<QObject> context;
    QStringList texts;
    int batchSize = 64;
    int next = 0;
    MemoryEmbedder::Vectors vectors;
    MemoryEmbedder::Done done;
};

void finish(const std::shared_ptr<EmbedJob> &job, const Result<MemoryEmbedder::Vectors> &result)
{
    const MemoryEmbedder::Done done = std::move(job->done);
    job->done = nullptr;
    if (done)
        done(result);
}

// One batch after the other: the retry layer paces each, and a failure stops the rest.
void nextBatch(const std::shared_ptr<EmbedJob> &job)
{
    if (!job->context)
        return;
    if (job->next >= job->texts.size()) {
        finish(job, std::move(job->vectors));
        return;
    }
    // Looked up for every batch: the user may replace or remove the provider meanwhile.
    auto provider = job->registry->get(job->provider);
    auto *remote = provider ? dynamic_cast<RemoteProvider *>(*provider) : nullptr;
    if (!remote) {
        finish(job, makeError(ErrorCode::Provider,
                              QStringLiteral("The embedding provider %1 is not configured, or has "
                                             "no embeddings endpoint.")
                                      .arg(job->provider)));
        return;
    }
    const QStringList batch = job->texts.mid(job->next, job->batchSize);
    remote->embed(batch, job->model, job->context,
                  [job, count = batch.size()](const QList<QList<float>> &vectors,
                                              const std::optional<ProviderError> &error) {
                      if (error) {
                          finish(job, makeError(ErrorCode::Provider,
                                                QStringLiteral("The embeddings server of %1 failed: %2")
                                                        .arg(job->provider, error->message)));
                          return;
                      }
                      if (vectors.size() != count) {
                          finish(job, makeError(ErrorCode::Provider,
                                                QStringLiteral("The embeddings server of %1 answered "
                                                               "%2 vectors for %3 texts.")
                                                        .arg(job->provider)
                                                        .arg(vectors.size())
                                                        .arg(count)));
                          return;
                      }
                      const size_t dimension = job->vectors.empty() ? size_t(vectors.value(0).size())
                                                                    : job->vectors.front().size();
                      for (const QList<float> &v : vectors) {
                          if (size_t(v.size()) != dimension) {
                              finish(job, makeError(ErrorCode::Provider,
                                                    QStringLiteral("The embeddings server of %1 "
                                                                   "answered vectors of %2 and %3 "
                                                                   "dimensions.")
                                                            .arg(job->provider)
                                                            .arg(dimension)
                                                            .arg(v.size())));
                              return;
                          }
                          job->vectors.emplace_back(v.cbegin(), v.cend());
                      }
                      job->next += int(count);
                      nextBatch(job);
                  });
}

} // namespace

MemoryEmbedder::MemoryEmbedder(ProviderRegistry &providers, const QString &provider,
                               const QString &model)
    : m_providers(providers), m_provider(provider), m_model(model)
{
}

QString MemoryEmbedder::modelId() const
{
    return m_provider.isEmpty() ? QString() : m_provider + QLatin1Char('/') + m_model;
}

void MemoryEmbedder::embed(const QStringList &texts, QObject *context, Done done, int batchSize)
{
    auto job = std::make_shared<EmbedJob>();
    job->registry = &m_providers;
    job->provider = m_provider;
    job->model = m_model;
    job->context = context;
    for (const QString &t : texts)
        job->texts.append(t.size() > kMaxChars ? t.left(kMaxChars) : t);
    job->batchSize = qMax(1, batchSize);
    job->done = std::move(done);
    job->vectors.reserve(size_t(texts.size()));
    // Never answer inside the call: callers treat every answer as asynchronous.
    QTimer::singleShot(0, context, [job] {
        if (job->provider.isEmpty())
            finish(job, makeError(ErrorCode::Provider, QStringLiteral("No embedding provider is configured.")));
        else
            nextBatch(job);
    });
}

} // namespace Spool
