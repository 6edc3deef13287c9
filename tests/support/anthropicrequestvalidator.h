#pragma once

#include "requestrejection.h"

#include <QByteArray>
#include <QJsonObject>

#include <optional>

namespace Spool::Test {

// Checks a Messages API request body the way api.anthropic.com does: required fields, roles,
// content blocks, tool definitions and the pairing of tool_use with tool_result. Anthropic
// publishes no machine-readable schema, so each rule is written out where it is checked, with
// where it comes from (the API reference, the tool use guide, or the API's own error text).
class AnthropicRequestValidator
{
public:
    // Nothing when the body would be accepted.
    static std::optional<RequestRejection> validate(const QByteArray &body);
    // The HTTP 400 body the API answers with:
    // {"type": "error", "error": {"type": "invalid_request_error", "message"}}.
    static QJsonObject errorBody(const RequestRejection &rejection);
};

} // namespace Spool::Test
