#pragma once

#include <QString>

namespace Spool::Test {

// Why a fake provider server refused a request, as the real API would put it.
struct RequestRejection
{
    QString message;
    QString param; // OpenAI: the offending field ("messages[2].tool_calls[0].id"); may be empty
    QString code;  // OpenAI: "invalid_value", "string_above_max_length", ...; may be empty
};

} // namespace Spool::Test
