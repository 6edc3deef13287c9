#pragma once

#include "providers/remoteprovider.h"

namespace Spool {

// Any OpenAI-compatible Chat Completions server: OpenAI, Ollama, LM Studio, llama.cpp server,
// vLLM, OpenRouter. Streams `/chat/completions` with usage in the stream, assembles tool-call
// argument deltas by index (parallel calls included), lists `/models`, and computes
// `/embeddings`.
class OpenAiProvider : public RemoteProvider
{
public:
    using RemoteProvider::RemoteProvider;

    void embed(const QStringList &texts, const QString &model, QObject *context,
               EmbeddingsCallback done) override;

protected:
    QJsonObject wireBody(const ProviderRequest &request) const override;
    QString chatPath() const override { return QStringLiteral("/chat/completions"); }
    QString modelsPath() const override { return QStringLiteral("/models"); }
    DecoderFactory decoderFactory() const override;
    Authenticator authenticator() const override;
};

} // namespace Spool
