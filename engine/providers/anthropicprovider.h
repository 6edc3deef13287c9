#pragma once

#include "providers/remoteprovider.h"

namespace Spool {

// Anthropic's Messages API: streams `/v1/messages` (message_start ... message_stop, ping,
// error events), assembles `tool_use` blocks from their `input_json_delta`s, puts the system
// prompt in `system`, always sends `max_tokens` and the `anthropic-version` header, sends tool
// results back as `tool_result` blocks, and merges consecutive messages of the same role as
// the API requires.
class AnthropicProvider : public RemoteProvider
{
public:
    using RemoteProvider::RemoteProvider;

    static QByteArray apiVersion() { return QByteArrayLiteral("2023-06-01"); }

protected:
    QJsonObject wireBody(const ProviderRequest &request) const override;
    QString chatPath() const override { return QStringLiteral("/v1/messages"); }
    // One page of up to 1000 models is every model Anthropic offers.
    QString modelsPath() const override { return QStringLiteral("/v1/models?limit=1000"); }
    DecoderFactory decoderFactory() const override;
    Authenticator authenticator() const override;
};

} // namespace Spool
