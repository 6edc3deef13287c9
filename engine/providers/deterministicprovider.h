#pragma once

#include "providers/modelprovider.h"

namespace Spool {

// The embedded provider: no network, no key, the same reply for the same conversation.
//
// It echoes the user's last message, streamed word by word with a configurable delay per
// chunk, and reports token usage. Directives in the user's message drive the rest of the loop
// offline (README, "Deterministic provider"):
//   [[tool NAME {json}]]  ask for a tool call (several directives: parallel calls)
//   [[words N]]           reply with N words of filler, for long streams
//   [[fail CLASS]]        fail with a provider error class (rate_limit, server, ...)
// After tool results it replies with a summary of each result.
class DeterministicProvider : public ModelProvider
{
public:
    struct Options
    {
        int chunkDelayMs = 12;
    };

    static QString kindName() { return QStringLiteral("deterministic"); }

    explicit DeterministicProvider(const Options &options, const QString &name = kindName());

    QString name() const override { return m_name; }
    QString kind() const override { return kindName(); }
    QString defaultModel() const override { return QStringLiteral("echo-1"); }
    ProviderCall *send(const ProviderRequest &request, QObject *parent) override;

    // The complete response for a request, without streaming; exposed for tests.
    struct Plan
    {
        ProviderResponse response;
        std::optional<ProviderError> error;
        QStringList chunks;
    };
    static Plan plan(const ProviderRequest &request);

private:
    QString m_name;
    Options m_options;
};

} // namespace Spool
