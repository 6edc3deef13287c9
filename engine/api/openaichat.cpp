#include "api/openaichat.h"

#include "agents/agent.h"

#include <QJsonArray>
#include <QUrl>
#include <QJsonDocument>

namespace Spool {

namespace {

// The bytes of a `data:[<type>][;base64],<data>` URL; nothing else is fetched.
std::optional<QByteArray> dataUrlBytes(const QString &url)
{
    if (!url.startsWith(QLatin1String("data:")))
        return std::nullopt;
    const qsizetype comma = url.indexOf(QLatin1Char(','));
    if (comma < 0)
        return std::nullopt;
    const QStringView header = QStringView(url).mid(5, comma - 5);
    const QByteArray payload = url.mid(comma + 1).toLatin1();
    if (!header.endsWith(QLatin1String(";base64")))
        return QByteArray::fromPercentEncoding(payload);
    auto decoded = QByteArray::fromBase64Encoding(payload, QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return *decoded;
}

} // namespace

namespace {

// Accepted, and not applied: sampling is the agent's, tools are the agent's own.
const QStringList &ignorable()
{
    static const QStringList keys{
            QStringLiteral("temperature"), QStringLiteral("top_p"), QStringLiteral("max_tokens"),
            QStringLiteral("max_completion_tokens"), QStringLiteral("stop"),
            QStringLiteral("presence_penalty"), QStringLiteral("frequency_penalty"),
            QStringLiteral("logit_bias"), QStringLiteral("seed"), QStringLiteral("user"),
            QStringLiteral("metadata"), QStringLiteral("store"), QStringLiteral("service_tier"),
            QStringLiteral("reasoning_effort"), QStringLiteral("response_format"),
            QStringLiteral("logprobs"), QStringLiteral("top_logprobs"), QStringLiteral("modalities"),
            QStringLiteral("prediction"), QStringLiteral("tools"), QStringLiteral("tool_choice"),
            QStringLiteral("parallel_tool_calls"), QStringLiteral("functions"),
            QStringLiteral("function_call"), QStringLiteral("verbosity"),
    };
    return keys;
}

ApiError bad(const QString &message, const QString &param, const QString &code = QStringLiteral("invalid_request"))
{
    return ApiError::make(400, code, message, param);
}

} // namespace

std::optional<ApiError> OpenAiChat::parse(const QJsonObject &body, ChatCompletionRequest *out)
{
    ChatCompletionRequest r;
    const QJsonValue model = body.value(QStringLiteral("model"));
    if (!model.isString() || model.toString().trimmed().isEmpty())
        return bad(QStringLiteral("`model` is required: the name of a Spool agent (GET /v1/models lists them)."),
                   QStringLiteral("model"));
    r.model = model.toString().trimmed();

    const QJsonValue stream = body.value(QStringLiteral("stream"));
    if (!stream.isUndefined() && !stream.isNull() && !stream.isBool())
        return bad(QStringLiteral("`stream` must be true or false."), QStringLiteral("stream"));
    r.stream = stream.toBool(false);
    const QJsonValue options = body.value(QStringLiteral("stream_options"));
    if (!options.isUndefined() && !options.isNull()) {
        if (!r.stream)
            return bad(QStringLiteral("`stream_options` is only allowed when `stream` is true."),
                       QStringLiteral("stream_options"));
        if (!options.isObject())
            return bad(QStringLiteral("`stream_options` must be an object."), QStringLiteral("stream_options"));
        r.includeUsage = options.toObject().value(QStringLiteral("include_usage")).toBool(false);
    }
    const QJsonValue n = body.value(QStringLiteral("n"));
    if (!n.isUndefined() && !n.isNull() && n.toInt(-1) != 1)
        return bad(QStringLiteral("Only one choice is produced: `n` must be 1."), QStringLiteral("n"));
    const QJsonValue toolChoice = body.value(QStringLiteral("tool_choice"));
    if (toolChoice.isObject() || toolChoice.toString() == QLatin1String("required"))
        return bad(QStringLiteral("`tool_choice` cannot force a tool: the agent calls its own tools, "
                                  "under Spool's policy; client-defined tools are not offered to it."),
                   QStringLiteral("tool_choice"));

    const QJsonValue messagesValue = body.value(QStringLiteral("messages"));
    if (!messagesValue.isArray() || messagesValue.toArray().isEmpty())
        return bad(QStringLiteral("`messages` must be a non-empty array."), QStringLiteral("messages"));
    const QJsonArray messages = messagesValue.toArray();
    QList<ChatMessage> all;
    for (qsizetype i = 0; i < messages.size(); ++i) {
        const QString param = QStringLiteral("messages[%1]").arg(i);
        if (!messages.at(i).isObject())
            return bad(QStringLiteral("Each message must be an object."), param);
        const QJsonObject m = messages.at(i).toObject();
        const QString role = m.value(QStringLiteral("role")).toString();
        ChatMessage message;
        if (role == QLatin1String("user")) {
            message.role = ChatMessage::Role::User;
        } else if (role == QLatin1String("assistant")) {
            message.role = ChatMessage::Role::Assistant;
        } else if (role == QLatin1String("system") || role == QLatin1String("developer")) {
            message.role = ChatMessage::Role::System;
        } else if (role == QLatin1String("tool") || role == QLatin1String("function")) {
            return bad(QStringLiteral("Messages with role \"%1\" are not accepted: the agent runs its own "
                                      "tools inside Spool, and client-defined tools are not offered to it.")
                               .arg(role),
                       param + QStringLiteral(".role"));
        } else {
            return bad(QStringLiteral("Unknown message role \"%1\".").arg(role), param + QStringLiteral(".role"));
        }
        if (m.contains(QStringLiteral("tool_calls")) && !m.value(QStringLiteral("tool_calls")).toArray().isEmpty())
            return bad(QStringLiteral("Assistant messages with tool_calls are not accepted: the agent runs "
                                      "its own tools inside Spool."),
                       param + QStringLiteral(".tool_calls"));
        const QJsonValue content = m.value(QStringLiteral("content"));
        if (content.isString()) {
            message.text = content.toString();
        } else if (content.isArray()) {
            QStringList parts;
            const QJsonArray list = content.toArray();
            const bool last = i == messages.size() - 1;
            for (qsizetype j = 0; j < list.size(); ++j) {
                const QJsonObject p = list.at(j).toObject();
                const QString type = p.value(QStringLiteral("type")).toString();
                const QString partParam = param + QStringLiteral(".content[%1]").arg(j);
                if (type == QLatin1String("text")) {
                    parts.append(p.value(QStringLiteral("text")).toString());
                    continue;
                }
                if (type != QLatin1String("image_url") && type != QLatin1String("file"))
                    return bad(QStringLiteral("Content parts may be text, image_url or file (got \"%1\").").arg(type),
                               partParam);
                // Earlier turns are kept as text only: files go with the message they belong to.
                if (!last || role != QLatin1String("user"))
                    return bad(QStringLiteral("Images and files can be sent with the last user message only."),
                               partParam);
                Attachment a;
                QString url;
                if (type == QLatin1String("image_url")) {
                    url = p.value(QStringLiteral("image_url")).toObject().value(QStringLiteral("url")).toString();
                    a.name = QStringLiteral("image-%1").arg(message.attachments.size() + 1);
                } else {
                    const QJsonObject file = p.value(QStringLiteral("file")).toObject();
                    if (file.contains(QStringLiteral("file_id")))
                        return bad(QStringLiteral("Uploaded files (file_id) are not kept by Spool: send the "
                                                  "file's content as file_data."),
                                   partParam);
                    url = file.value(QStringLiteral("file_data")).toString();
                    a.name = file.value(QStringLiteral("filename")).toString();
                    if (a.name.isEmpty())
                        a.name = QStringLiteral("file-%1").arg(message.attachments.size() + 1);
                }
                auto bytes = dataUrlBytes(url);
                if (!bytes)
                    return bad(QStringLiteral("Only data: URLs are taken (Spool fetches nothing): send the "
                                              "content base64-encoded, e.g. data:image/png;base64,...."),
                               partParam);
                a.data = *bytes;
                a.bytes = a.data.size();
                message.attachments.append(a);
            }
            message.text = parts.join(QLatin1Char('\n'));
        } else if (!content.isNull() && !content.isUndefined()) {
            return bad(QStringLiteral("`content` must be a string or an array of text parts."),
                       param + QStringLiteral(".content"));
        }
        all.append(message);
    }
    if (all.constLast().role != ChatMessage::Role::User
        || (all.constLast().text.trimmed().isEmpty() && all.constLast().attachments.isEmpty()))
        return bad(QStringLiteral("The last message must be the user's, with text."), QStringLiteral("messages"));
    r.attachments = all.constLast().attachments;
    r.input = all.takeLast().text;
    r.earlier = all;

    for (auto it = body.constBegin(); it != body.constEnd(); ++it) {
        static const QStringList applied{QStringLiteral("model"), QStringLiteral("messages"),
                                         QStringLiteral("stream"), QStringLiteral("stream_options"),
                                         QStringLiteral("n")};
        if (!applied.contains(it.key()) && !it.value().isNull())
            r.ignored.append(it.key());
    }
    *out = r;
    return std::nullopt;
}

QJsonObject OpenAiChat::model(const Agent &agent)
{
    return QJsonObject{{QStringLiteral("id"), agent.name},
                       {QStringLiteral("object"), QStringLiteral("model")},
                       {QStringLiteral("created"), 0},
                       {QStringLiteral("owned_by"), QStringLiteral("spool")}};
}

QJsonObject OpenAiChat::usage(qint64 promptTokens, qint64 completionTokens)
{
    return QJsonObject{{QStringLiteral("prompt_tokens"), promptTokens},
                       {QStringLiteral("completion_tokens"), completionTokens},
                       {QStringLiteral("total_tokens"), promptTokens + completionTokens}};
}

QJsonObject OpenAiChat::completion(const QString &runId, qint64 createdSecs, const QString &model,
                                   const QString &text, const QJsonObject &usage)
{
    const QJsonObject message{{QStringLiteral("role"), QStringLiteral("assistant")},
                              {QStringLiteral("content"), text},
                              {QStringLiteral("refusal"), QJsonValue()}};
    const QJsonObject choice{{QStringLiteral("index"), 0},
                             {QStringLiteral("message"), message},
                             {QStringLiteral("logprobs"), QJsonValue()},
                             {QStringLiteral("finish_reason"), QStringLiteral("stop")}};
    return QJsonObject{{QStringLiteral("id"), completionId(runId)},
                       {QStringLiteral("object"), QStringLiteral("chat.completion")},
                       {QStringLiteral("created"), createdSecs},
                       {QStringLiteral("model"), model},
                       {QStringLiteral("choices"), QJsonArray{choice}},
                       {QStringLiteral("usage"), usage},
                       {QStringLiteral("system_fingerprint"), QJsonValue()}};
}

QJsonObject OpenAiChat::chunk(const QString &runId, qint64 createdSecs, const QString &model,
                              const QJsonObject &delta, const QString &finishReason,
                              bool withUsageField)
{
    const QJsonObject choice{{QStringLiteral("index"), 0},
                             {QStringLiteral("delta"), delta},
                             {QStringLiteral("logprobs"), QJsonValue()},
                             {QStringLiteral("finish_reason"),
                              finishReason.isEmpty() ? QJsonValue() : QJsonValue(finishReason)}};
    QJsonObject o{{QStringLiteral("id"), completionId(runId)},
                  {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
                  {QStringLiteral("created"), createdSecs},
                  {QStringLiteral("model"), model},
                  {QStringLiteral("choices"), QJsonArray{choice}}};
    if (withUsageField)
        o.insert(QStringLiteral("usage"), QJsonValue());
    return o;
}

QJsonObject OpenAiChat::usageChunk(const QString &runId, qint64 createdSecs, const QString &model,
                                   const QJsonObject &usage)
{
    return QJsonObject{{QStringLiteral("id"), completionId(runId)},
                       {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
                       {QStringLiteral("created"), createdSecs},
                       {QStringLiteral("model"), model},
                       {QStringLiteral("choices"), QJsonArray()},
                       {QStringLiteral("usage"), usage}};
}

QByteArray OpenAiChat::event(const QJsonObject &data)
{
    return "data: " + QJsonDocument(data).toJson(QJsonDocument::Compact) + "\n\n";
}

} // namespace Spool
