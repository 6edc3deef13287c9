#include "providers/anthropicprovider.h"

#include "providers/attachmentkind.h"
#include "providers/providerfailure.h"
#include "providers/streamdecoder.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Spool {

namespace {

QString excerpt(const QString &text)
{
    return text.size() > 120 ? text.left(119) + QChar(0x2026) : text;
}

QString finishReason(const QString &stopReason)
{
    if (stopReason == QLatin1String("end_turn") || stopReason == QLatin1String("stop_sequence"))
        return QStringLiteral("stop");
    if (stopReason == QLatin1String("tool_use"))
        return QStringLiteral("tool_calls");
    if (stopReason == QLatin1String("max_tokens"))
        return QStringLiteral("length");
    return stopReason; // refusal, pause_turn, ...: kept as the API says
}

class AnthropicDecoder : public StreamDecoder
{
public:
    Step event(const SseEvent &e) override
    {
        QJsonParseError parseError{};
        const QJsonDocument doc = QJsonDocument::fromJson(e.data.toUtf8(), &parseError);
        if (!doc.isObject())
            return fail(ProviderFailure::malformed(
                    QStringLiteral("The stream carried an event that is not valid JSON: %1")
                            .arg(excerpt(e.data))));
        const QJsonObject o = doc.object();
        QString type = o.value(QStringLiteral("type")).toString();
        if (type.isEmpty())
            type = e.event;

        if (type == QLatin1String("message_start")) {
            const QJsonObject message = o.value(QStringLiteral("message")).toObject();
            m_model = message.value(QStringLiteral("model")).toString();
            readUsage(message.value(QStringLiteral("usage")).toObject());
        } else if (type == QLatin1String("content_block_start")) {
            const int index = o.value(QStringLiteral("index")).toInt();
            const QJsonObject block = o.value(QStringLiteral("content_block")).toObject();
            const QString blockType = block.value(QStringLiteral("type")).toString();
            if (blockType == QLatin1String("text")) {
                appendText(block.value(QStringLiteral("text")).toString());
            } else if (blockType == QLatin1String("tool_use")) {
                PartialToolCall &p = m_calls[index];
                p.id = block.value(QStringLiteral("id")).toString();
                p.name = block.value(QStringLiteral("name")).toString();
                const QJsonObject input = block.value(QStringLiteral("input")).toObject();
                if (!input.isEmpty())
                    m_initialInput.insert(index, input);
                m_hasOutput = true;
            }
        } else if (type == QLatin1String("content_block_delta")) {
            const int index = o.value(QStringLiteral("index")).toInt();
            const QJsonObject delta = o.value(QStringLiteral("delta")).toObject();
            const QString deltaType = delta.value(QStringLiteral("type")).toString();
            if (deltaType == QLatin1String("text_delta")) {
                appendText(delta.value(QStringLiteral("text")).toString());
            } else if (deltaType == QLatin1String("input_json_delta")) {
                if (!m_calls.contains(index))
                    return fail(ProviderFailure::malformed(
                            QStringLiteral("The stream sent tool input for block %1, which is not a "
                                           "tool_use block.").arg(index)));
                m_calls[index].arguments += delta.value(QStringLiteral("partial_json")).toString();
                m_hasOutput = true;
            }
            // thinking_delta and signature_delta are not part of the reply text.
        } else if (type == QLatin1String("message_delta")) {
            const QJsonObject delta = o.value(QStringLiteral("delta")).toObject();
            if (const QJsonValue stop = delta.value(QStringLiteral("stop_reason")); stop.isString())
                m_stopReason = stop.toString();
            readUsage(o.value(QStringLiteral("usage")).toObject());
        } else if (type == QLatin1String("message_stop")) {
            m_done = true;
            return Step::Done;
        } else if (type == QLatin1String("error")) {
            return fail(ProviderFailure::fromStreamError(o));
        }
        // ping, content_block_stop, and event types added to the API later: nothing to do.
        return Step::More;
    }

    Step body(const QByteArray &json) override
    {
        const QJsonDocument doc = QJsonDocument::fromJson(json);
        if (!doc.isObject())
            return fail(ProviderFailure::malformed(QStringLiteral("The reply is not valid JSON: %1")
                                                           .arg(excerpt(QString::fromUtf8(json)))));
        const QJsonObject message = doc.object();
        if (message.value(QStringLiteral("type")).toString() == QLatin1String("error"))
            return fail(ProviderFailure::fromStreamError(message));
        m_model = message.value(QStringLiteral("model")).toString();
        readUsage(message.value(QStringLiteral("usage")).toObject());
        m_stopReason = message.value(QStringLiteral("stop_reason")).toString();
        const QJsonArray content = message.value(QStringLiteral("content")).toArray();
        for (int i = 0; i < content.size(); ++i) {
            const QJsonObject block = content.at(i).toObject();
            const QString blockType = block.value(QStringLiteral("type")).toString();
            if (blockType == QLatin1String("text")) {
                appendText(block.value(QStringLiteral("text")).toString());
            } else if (blockType == QLatin1String("tool_use")) {
                PartialToolCall &p = m_calls[i];
                p.id = block.value(QStringLiteral("id")).toString();
                p.name = block.value(QStringLiteral("name")).toString();
                p.arguments = QString::fromUtf8(
                        QJsonDocument(block.value(QStringLiteral("input")).toObject()).toJson(QJsonDocument::Compact));
                m_hasOutput = true;
            }
        }
        return Step::Done;
    }

    Step end() override
    {
        return m_done ? Step::Done : fail(ProviderFailure::incompleteStream());
    }

    ProviderResponse response() const override
    {
        ProviderResponse r;
        r.text = m_text;
        QMap<int, PartialToolCall> calls = m_calls;
        for (auto it = calls.begin(); it != calls.end(); ++it) {
            // A tool without parameters streams no input at all: its input is the start's.
            if (it->arguments.trimmed().isEmpty())
                it->arguments = QString::fromUtf8(
                        QJsonDocument(m_initialInput.value(it.key())).toJson(QJsonDocument::Compact));
        }
        for (auto it = calls.cbegin(); it != calls.cend(); ++it)
            r.toolCalls.append(ToolCallRequest::make(it->id, it->name, it->arguments));
        r.finishReason = m_stopReason.isEmpty()
                ? (r.toolCalls.isEmpty() ? QStringLiteral("stop") : QStringLiteral("tool_calls"))
                : finishReason(m_stopReason);
        r.usage = m_usage;
        r.model = m_model;
        return r;
    }

private:
    void readUsage(const QJsonObject &usage)
    {
        // Cached prompt tokens are prompt tokens too; they are only counted separately.
        if (usage.contains(QStringLiteral("input_tokens")))
            m_usage.prompt = usage.value(QStringLiteral("input_tokens")).toInteger()
                    + usage.value(QStringLiteral("cache_creation_input_tokens")).toInteger()
                    + usage.value(QStringLiteral("cache_read_input_tokens")).toInteger();
        if (usage.contains(QStringLiteral("output_tokens")))
            m_usage.completion = usage.value(QStringLiteral("output_tokens")).toInteger();
    }

    QHash<int, QJsonObject> m_initialInput;
    QString m_stopReason;
    QString m_model;
    TokenUsage m_usage;
    bool m_done = false;
};

QJsonArray contentFor(const ChatMessage &m)
{
    QJsonArray blocks;
    switch (m.role) {
    case ChatMessage::Role::User:
        // Files before the text, as Anthropic recommends: images and PDFs as base64, text
        // files as plain-text documents.
        for (const Attachment &a : m.attachments) {
            if (a.data.isEmpty())
                continue; // its content is not in the journal any more
            if (isImageAttachment(a) || isPdfAttachment(a)) {
                QJsonObject block{{QStringLiteral("type"), isImageAttachment(a) ? QStringLiteral("image")
                                                                       : QStringLiteral("document")},
                                  {QStringLiteral("source"),
                                   QJsonObject{{QStringLiteral("type"), QStringLiteral("base64")},
                                               {QStringLiteral("media_type"), a.mime},
                                               {QStringLiteral("data"), QString::fromLatin1(a.data.toBase64())}}}};
                if (isPdfAttachment(a))
                    block.insert(QStringLiteral("title"), a.name);
                blocks.append(block);
            } else {
                blocks.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("document")},
                                          {QStringLiteral("source"),
                                           QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                                       {QStringLiteral("media_type"), QStringLiteral("text/plain")},
                                                       {QStringLiteral("data"), QString::fromUtf8(a.data)}}},
                                          {QStringLiteral("title"), a.name}});
            }
        }
        if (!m.text.isEmpty())
            blocks.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                      {QStringLiteral("text"), m.text}});
        break;
    case ChatMessage::Role::System:
        if (!m.text.isEmpty())
            blocks.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                      {QStringLiteral("text"), m.text}});
        break;
    case ChatMessage::Role::Assistant:
        // The API refuses empty text blocks; a turn of tool calls alone has none.
        if (!m.text.trimmed().isEmpty())
            blocks.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                      {QStringLiteral("text"), m.text}});
        for (const ToolCallRequest &c : m.toolCalls) {
            blocks.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("tool_use")},
                                      {QStringLiteral("id"), c.id},
                                      {QStringLiteral("name"), c.name},
                                      {QStringLiteral("input"), c.arguments}});
        }
        break;
    case ChatMessage::Role::Tool: {
        QJsonObject result{{QStringLiteral("type"), QStringLiteral("tool_result")},
                           {QStringLiteral("tool_use_id"), m.toolCallId},
                           {QStringLiteral("content"), m.text}};
        if (!m.toolOk)
            result.insert(QStringLiteral("is_error"), true);
        blocks.append(result);
        break;
    }
    }
    return blocks;
}

} // namespace

QJsonObject AnthropicProvider::wireBody(const ProviderRequest &request) const
{
    QString system = request.system;
    QJsonArray messages;
    QString lastRole;
    for (const ChatMessage &m : request.messages) {
        if (m.role == ChatMessage::Role::System) {
            // Messages have no system role: later system text joins the system prompt.
            system += (system.isEmpty() ? QString() : QStringLiteral("\n\n")) + m.text;
            continue;
        }
        const QString role = m.role == ChatMessage::Role::Assistant ? QStringLiteral("assistant")
                                                                    : QStringLiteral("user");
        const QJsonArray blocks = contentFor(m);
        if (blocks.isEmpty())
            continue;
        if (role == lastRole && !messages.isEmpty()) {
            // The API wants user and assistant turns to alternate: tool results (sent as user
            // content) and a following user message become one turn.
            QJsonObject last = messages.last().toObject();
            QJsonArray content = last.value(QStringLiteral("content")).toArray();
            for (const QJsonValue &b : blocks)
                content.append(b);
            last.insert(QStringLiteral("content"), content);
            messages.replace(messages.size() - 1, last);
        } else {
            messages.append(QJsonObject{{QStringLiteral("role"), role},
                                        {QStringLiteral("content"), blocks}});
        }
        lastRole = role;
    }
    QJsonObject body{
            {QStringLiteral("model"), request.model.isEmpty() ? m_config.defaultModel : request.model},
            {QStringLiteral("max_tokens"), m_config.maxTokens},
            {QStringLiteral("messages"), messages},
            {QStringLiteral("stream"), true},
    };
    if (!system.isEmpty())
        body.insert(QStringLiteral("system"), system);
    if (!request.tools.isEmpty()) {
        QJsonArray tools;
        for (const ToolDefinition &t : request.tools) {
            QJsonObject schema = t.parameters;
            if (schema.isEmpty())
                schema = {{QStringLiteral("type"), QStringLiteral("object")},
                          {QStringLiteral("properties"), QJsonObject()}};
            tools.append(QJsonObject{{QStringLiteral("name"), t.name},
                                     {QStringLiteral("description"), t.description},
                                     {QStringLiteral("input_schema"), schema}});
        }
        body.insert(QStringLiteral("tools"), tools);
        body.insert(QStringLiteral("tool_choice"), QJsonObject{{QStringLiteral("type"), QStringLiteral("auto")}});
    }
    insertParameters(body, request.parameters,
                     {QLatin1String("stream"), QLatin1String("messages"), QLatin1String("model"),
                      QLatin1String("system")});
    return body;
}

RemoteProvider::DecoderFactory AnthropicProvider::decoderFactory() const
{
    return []() -> std::unique_ptr<StreamDecoder> { return std::make_unique<AnthropicDecoder>(); };
}

RemoteProvider::Authenticator AnthropicProvider::authenticator() const
{
    return [](QNetworkRequest &request, const QString &key) {
        request.setRawHeader("anthropic-version", apiVersion());
        if (!key.isEmpty())
            request.setRawHeader("x-api-key", key.toUtf8());
    };
}

} // namespace Spool
