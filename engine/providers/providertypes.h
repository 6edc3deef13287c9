#pragma once

#include "providers/chatmessage.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace Spool {

struct ToolDefinition
{
    QString name;
    QString description;
    QJsonObject parameters; // JSON Schema

    QJsonObject toJson() const;
};

// Everything a provider needs for one call. The orchestrator records it, redacted, as the
// `provider.request` tape event before sending.
struct ProviderRequest
{
    QString provider;
    QString model;
    QString system;
    QList<ChatMessage> messages;
    QList<ToolDefinition> tools;
    QJsonObject parameters; // temperature, max_tokens, ...

    QJsonObject toJson() const;
};

struct TokenUsage
{
    qint64 prompt = 0;
    qint64 completion = 0;
};

struct ProviderResponse
{
    QString text;
    QList<ToolCallRequest> toolCalls;
    QString finishReason; // "stop", "tool_calls", "length", ...
    TokenUsage usage;
    qint64 latencyMs = 0;
    qint64 firstTokenMs = -1; // -1 when nothing streamed
    int attempts = 1;
    QString model;

    QJsonObject toJson() const;
};

// What the user is told when a provider fails: the class, in plain words.
enum class ProviderErrorClass {
    Auth,
    Permission,
    RateLimit,
    Quota,
    ContextTooLong,
    InvalidRequest,
    Server,
    Network,
    Timeout,
    MalformedResponse,
    Cancelled,
};

QString providerErrorClassName(ProviderErrorClass cls);
std::optional<ProviderErrorClass> parseProviderErrorClass(const QString &name);
QString providerErrorClassDescription(ProviderErrorClass cls);

struct ProviderError
{
    ProviderErrorClass errorClass = ProviderErrorClass::Server;
    int httpStatus = 0;
    QString message;
    qint64 retryDelayMs = -1; // >= 0 when the retry layer will try again after this delay
    int attempt = 1;
    QString partialText;      // whatever streamed before the failure

    QJsonObject toJson() const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::ProviderResponse)
Q_DECLARE_METATYPE(Spool::ProviderError)
