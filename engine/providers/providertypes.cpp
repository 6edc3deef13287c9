#include "providers/providertypes.h"

#include <QJsonArray>

namespace Spool {

QJsonObject ToolDefinition::toJson() const
{
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("description"), description},
        {QStringLiteral("parameters"), parameters},
    };
}

QJsonObject ProviderRequest::toJson() const
{
    QJsonArray list;
    if (!system.isEmpty())
        list.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("system")},
                                {QStringLiteral("text"), system}});
    for (const ChatMessage &m : messages)
        list.append(m.toJson());
    QJsonArray toolList;
    for (const ToolDefinition &t : tools)
        toolList.append(t.toJson());
    return QJsonObject{
        {QStringLiteral("provider"), provider},
        {QStringLiteral("model"), model},
        {QStringLiteral("messages"), list},
        {QStringLiteral("tools"), toolList},
        {QStringLiteral("parameters"), parameters},
    };
}

QJsonObject ProviderResponse::toJson() const
{
    QJsonArray calls;
    for (const ToolCallRequest &c : toolCalls)
        calls.append(c.toJson());
    return QJsonObject{
        {QStringLiteral("text"), text},
        {QStringLiteral("tool_calls"), calls},
        {QStringLiteral("finish_reason"), finishReason},
        {QStringLiteral("usage"), QJsonObject{{QStringLiteral("prompt"), usage.prompt},
                                              {QStringLiteral("completion"), usage.completion}}},
        {QStringLiteral("latency_ms"), latencyMs},
        {QStringLiteral("first_token_ms"), firstTokenMs >= 0 ? QJsonValue(firstTokenMs) : QJsonValue()},
        {QStringLiteral("attempts"), attempts},
        {QStringLiteral("model"), model},
    };
}

QString providerErrorClassName(ProviderErrorClass cls)
{
    switch (cls) {
    case ProviderErrorClass::Auth: return QStringLiteral("auth");
    case ProviderErrorClass::Permission: return QStringLiteral("permission");
    case ProviderErrorClass::RateLimit: return QStringLiteral("rate_limit");
    case ProviderErrorClass::Quota: return QStringLiteral("quota");
    case ProviderErrorClass::ContextTooLong: return QStringLiteral("context_too_long");
    case ProviderErrorClass::InvalidRequest: return QStringLiteral("invalid_request");
    case ProviderErrorClass::Server: return QStringLiteral("server");
    case ProviderErrorClass::Network: return QStringLiteral("network");
    case ProviderErrorClass::Timeout: return QStringLiteral("timeout");
    case ProviderErrorClass::MalformedResponse: return QStringLiteral("malformed_response");
    case ProviderErrorClass::Cancelled: return QStringLiteral("cancelled");
    }
    return QString();
}

std::optional<ProviderErrorClass> parseProviderErrorClass(const QString &name)
{
    for (int i = 0; i <= int(ProviderErrorClass::Cancelled); ++i) {
        const auto cls = ProviderErrorClass(i);
        if (providerErrorClassName(cls) == name)
            return cls;
    }
    return std::nullopt;
}

QString providerErrorClassDescription(ProviderErrorClass cls)
{
    switch (cls) {
    case ProviderErrorClass::Auth: return QStringLiteral("The provider rejected the API key.");
    case ProviderErrorClass::Permission:
        return QStringLiteral("The API key is not allowed to use this model or endpoint.");
    case ProviderErrorClass::RateLimit:
        return QStringLiteral("The provider is rate-limiting requests.");
    case ProviderErrorClass::Quota:
        return QStringLiteral("The account has run out of quota or credit.");
    case ProviderErrorClass::ContextTooLong:
        return QStringLiteral("The conversation is too long for the model's context window.");
    case ProviderErrorClass::InvalidRequest:
        return QStringLiteral("The provider rejected the request as invalid.");
    case ProviderErrorClass::Server: return QStringLiteral("The provider had a server error.");
    case ProviderErrorClass::Network: return QStringLiteral("The provider could not be reached.");
    case ProviderErrorClass::Timeout: return QStringLiteral("The provider stopped responding.");
    case ProviderErrorClass::MalformedResponse:
        return QStringLiteral("The provider sent a response Spool could not understand.");
    case ProviderErrorClass::Cancelled: return QStringLiteral("The request was cancelled.");
    }
    return QString();
}

QJsonObject ProviderError::toJson() const
{
    QJsonObject o{
        {QStringLiteral("error_class"), providerErrorClassName(errorClass)},
        {QStringLiteral("http_status"), httpStatus ? QJsonValue(httpStatus) : QJsonValue()},
        {QStringLiteral("message"), message},
        {QStringLiteral("retry_delay_ms"), retryDelayMs >= 0 ? QJsonValue(retryDelayMs) : QJsonValue()},
        {QStringLiteral("attempt"), attempt},
    };
    if (!partialText.isEmpty())
        o.insert(QStringLiteral("partial_text"), partialText);
    return o;
}

} // namespace Spool
