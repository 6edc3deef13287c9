#pragma once

#include <QByteArray>
#include <QDateTime>

#include <optional>

namespace Spool {

// When and how long the provider retry layer waits before trying a failed request again.
// Retries go to 408, 409, 429 and 5xx answers and to transport failures, never after the reply
// began to stream (the HttpExchange enforces that).
struct RetryPolicy
{
    int maxRetries = 2;              // retries after the first attempt
    qint64 baseDelayMs = 500;        // the first backoff; doubled for each later retry
    qint64 maxDelayMs = 8000;        // backoff ceiling
    qint64 maxServerDelayMs = 60000; // the longest Retry-After Spool will wait for

    static bool isRetryableStatus(int httpStatus);

    // The wait a server asks for, in ms: `retry-after-ms` (milliseconds, as OpenAI sends it)
    // wins over `Retry-After` (delta-seconds or an HTTP date, RFC 9110 §10.2.3). A date in the
    // past means "now" (0). Absent or unparsable headers give nullopt.
    static std::optional<qint64> parseRetryAfter(const QByteArray &retryAfter,
                                                 const QByteArray &retryAfterMs,
                                                 const QDateTime &now);

    // Exponential backoff with jitter for the retry that follows failed attempt `attempt`
    // (1-based): base * 2^(attempt-1), capped, then scaled into [50%, 100%] by `random01`, so
    // that clients rate-limited together do not come back together.
    qint64 backoffMs(int attempt, double random01) const;

    // The delay before the next attempt, or -1 when the server asks for a longer wait than
    // maxServerDelayMs: a retry before the server's time would only be refused again, so the
    // call fails at once and the user is told how long the provider asked to wait.
    qint64 delayMs(int attempt, std::optional<qint64> serverDelayMs, double random01) const;
};

} // namespace Spool
