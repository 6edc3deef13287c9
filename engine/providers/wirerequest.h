#pragma once

#include "providers/providertypes.h"
#include "providers/wiretoolnames.h"

#include <QJsonObject>

namespace Spool {

// A ProviderRequest as a hosted API is sent it, and the way back for its response. The
// conversation is the same; what changes is what the APIs refuse:
//   - tool names: wire names (WireToolNames) in the tools, in earlier calls, in tool_choice;
//   - call ids: ^[a-zA-Z0-9_-]{1,40}$ (Anthropic's pattern, OpenAI's length) and unique in the
//     request (Anthropic), so history from another provider (the deterministic one numbers its
//     calls per run; some servers send none) still goes through. An id that already fits is
//     kept; another gets "call_" and a hash of it;
//   - tool results: each answers a call of the assistant message right before it; a call
//     without a result gets one saying so, a result without its call is left out;
//   - empty content: a user message without text (attachments alone) says what was attached,
//     an empty assistant message is left out.
// Responses are decoded back through the same names before anything else sees them.
class WireRequest
{
public:
    explicit WireRequest(const ProviderRequest &request);

    // The request as sent: the body builders serialise this.
    const ProviderRequest &request() const { return m_request; }
    const WireToolNames &names() const { return m_names; }

    // The `provider.request` snapshot of what is sent: the request as above (wire names,
    // wire ids), plus `tool_names` {wire: Spool} when a name differs.
    QJsonObject snapshot() const;

    // The response with Spool's tool names (see WireToolNames::decode).
    ProviderResponse decode(const ProviderResponse &response) const;

    // Whether `id` can go on the wire as it is.
    static bool isWireCallId(const QString &id);

private:
    ProviderRequest m_request;
    WireToolNames m_names;
};

} // namespace Spool
