#pragma once

#include "requestrejection.h"

#include <QByteArray>
#include <QJsonObject>

#include <optional>

namespace Spool::Test {

// Checks a Chat Completions request body the way api.openai.com does before it runs a model:
// against `CreateChatCompletionRequest` of OpenAI's published OpenAPI document
// (tests/fixtures/openai-openapi, with valijson), then the rules the API enforces that the
// schema only states in prose. Each rule's source is given where it is checked.
class OpenAiRequestValidator
{
public:
    // Nothing when the body would be accepted.
    static std::optional<RequestRejection> validate(const QByteArray &body);
    // The HTTP 400 body the API answers with:
    // {"error": {"message", "type": "invalid_request_error", "param", "code"}}.
    static QJsonObject errorBody(const RequestRejection &rejection);
    // Whether the schema loaded; when not, every request is refused with the reason.
    static QString schemaProblem();
};

} // namespace Spool::Test
