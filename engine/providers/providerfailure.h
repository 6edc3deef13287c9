#pragma once

#include "providers/providertypes.h"

#include <QByteArray>
#include <QNetworkReply>

namespace Spool {

// Turns what a provider sent back (an HTTP status with an error body, an error event in the
// middle of a stream, a transport failure) into a ProviderError whose class and message a user
// can act on. Both OpenAI-style ({"error": {"message", "type", "code"}}) and Anthropic-style
// ({"type": "error", "error": {"type", "message"}}) bodies are understood, as are the plain
// {"error": "..."} bodies of local servers.
class ProviderFailure
{
public:
    static ProviderError fromHttp(int httpStatus, const QByteArray &body);
    // An error object found inside a 200 stream (OpenAI `{"error": ...}` chunk, Anthropic
    // `error` event); `json` is the whole event payload.
    static ProviderError fromStreamError(const QJsonObject &json);
    static ProviderError fromTransport(QNetworkReply::NetworkError error, const QString &detail);
    static ProviderError malformed(const QString &what);
    static ProviderError connectTimeout(qint64 ms);
    static ProviderError stalled(qint64 ms);
    static ProviderError incompleteStream();

    // Whether the retry layer may try again (the stream not having begun is checked elsewhere).
    static bool isRetryable(const ProviderError &error);

    // Replaces every occurrence of `secret` in `text`: servers sometimes echo the key they
    // rejected, and a message must never carry it to the tape or a log.
    static QString scrub(const QString &text, const QString &secret);

    // The error class a provider's error type or code names (e.g. "insufficient_quota",
    // "overloaded_error"), if it names one.
    static std::optional<ProviderErrorClass> classForType(const QString &typeOrCode);
    static bool looksLikeContextLength(const QString &message);
};

} // namespace Spool
