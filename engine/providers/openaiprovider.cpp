#include "providers/openaiprovider.h"

#include "providers/providerfailure.h"
#include "providers/streamdecoder.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

#include <algorithm>
#include <cmath>

namespace Spool {

namespace {

QString excerpt(const QString &text)
{
    return text.size() > 120 ? text.left(119) + QChar(0x2026) : text;
}

class OpenAiDecoder : public StreamDecoder
{
public:
    Step event(const SseEvent &e) override
    {
        const QString data = e.data.trimmed();
        if (data == QLatin1String("[DONE]")) {
            m_done = true;
            return Step::Done;
        }
        QJsonParseError parseError{};
        const QJsonDocument doc = QJsonDocument::fromJson(data.toUtf8(), &parseError);
        if (!doc.isObject())
            return fail(ProviderFailure::malformed(
                    QStringLiteral("The stream carried a chunk that is not valid JSON: %1")
                            .arg(excerpt(data))));
        const QJsonObject chunk = doc.object();
        if (e.event == QLatin1String("error") || chunk.contains(QStringLiteral("error")))
            return fail(ProviderFailure::fromStreamError(chunk));
        readChunk(chunk, QStringLiteral("delta"));
        return Step::More;
    }

    Step body(const QByteArray &json) override
    {
        const QJsonDocument doc = QJsonDocument::fromJson(json);
        if (!doc.isObject())
            return fail(ProviderFailure::malformed(QStringLiteral("The reply is not valid JSON: %1")
                                                           .arg(excerpt(QString::fromUtf8(json)))));
        const QJsonObject reply = doc.object();
        if (reply.contains(QStringLiteral("error")))
            return fail(ProviderFailure::fromStreamError(reply));
        if (!reply.value(QStringLiteral("choices")).isArray())
            return fail(ProviderFailure::malformed(QStringLiteral("The reply has no choices.")));
        readChunk(reply, QStringLiteral("message"));
        return Step::Done;
    }

    Step end() override
    {
        // Some servers close after the finish reason without sending [DONE]; that reply is
        // complete. Without either, the stream broke off.
        if (m_done || !m_finishReason.isEmpty())
            return Step::Done;
        return fail(ProviderFailure::incompleteStream());
    }

    ProviderResponse response() const override
    {
        ProviderResponse r;
        r.text = m_text;
        r.toolCalls = toolCalls();
        r.finishReason = m_finishReason.isEmpty()
                ? (r.toolCalls.isEmpty() ? QStringLiteral("stop") : QStringLiteral("tool_calls"))
                : m_finishReason;
        r.usage = m_usage;
        r.model = m_model;
        return r;
    }

private:
    void readChunk(const QJsonObject &chunk, const QString &deltaKey)
    {
        if (const QString model = chunk.value(QStringLiteral("model")).toString(); !model.isEmpty())
            m_model = model;
        if (const QJsonValue usage = chunk.value(QStringLiteral("usage")); usage.isObject()) {
            const QJsonObject u = usage.toObject();
            m_usage.prompt = u.value(QStringLiteral("prompt_tokens")).toInteger();
            m_usage.completion = u.value(QStringLiteral("completion_tokens")).toInteger();
        }
        const QJsonArray choices = chunk.value(QStringLiteral("choices")).toArray();
        for (const QJsonValue &c : choices) {
            const QJsonObject choice = c.toObject();
            if (choice.value(QStringLiteral("index")).toInt(0) != 0)
                continue; // Spool asks for one choice
            const QJsonObject delta = choice.value(deltaKey).toObject();
            appendText(delta.value(QStringLiteral("content")).toString());
            const QJsonArray calls = delta.value(QStringLiteral("tool_calls")).toArray();
            for (int i = 0; i < calls.size(); ++i) {
                const QJsonObject call = calls.at(i).toObject();
                const int index = call.value(QStringLiteral("index")).toInt(i);
                PartialToolCall &p = m_calls[index];
                if (const QString id = call.value(QStringLiteral("id")).toString(); !id.isEmpty())
                    p.id = id;
                const QJsonObject function = call.value(QStringLiteral("function")).toObject();
                if (const QString name = function.value(QStringLiteral("name")).toString();
                    !name.isEmpty() && p.name.isEmpty())
                    p.name = name;
                const QJsonValue args = function.value(QStringLiteral("arguments"));
                // Streams send argument text; a few servers send the object itself.
                p.arguments += args.isObject()
                        ? QString::fromUtf8(QJsonDocument(args.toObject()).toJson(QJsonDocument::Compact))
                        : args.toString();
                m_hasOutput = true;
            }
            if (const QJsonValue finish = choice.value(QStringLiteral("finish_reason")); finish.isString())
                m_finishReason = finish.toString();
        }
    }

    QString m_finishReason;
    QString m_model;
    TokenUsage m_usage;
    bool m_done = false;
};

QJsonObject messageJson(const ChatMessage &m)
{
    switch (m.role) {
    case ChatMessage::Role::System:
        return {{QStringLiteral("role"), QStringLiteral("system")}, {QStringLiteral("content"), m.text}};
    case ChatMessage::Role::User:
        return {{QStringLiteral("role"), QStringLiteral("user")}, {QStringLiteral("content"), m.text}};
    case ChatMessage::Role::Assistant: {
        QJsonObject o{{QStringLiteral("role"), QStringLiteral("assistant")},
                      {QStringLiteral("content"), m.text.isEmpty() && !m.toolCalls.isEmpty()
                               ? QJsonValue() : QJsonValue(m.text)}};
        if (!m.toolCalls.isEmpty()) {
            QJsonArray calls;
            for (const ToolCallRequest &c : m.toolCalls) {
                // Arguments go back exactly as the model wrote them, even when they did not
                // parse: the model then sees its own mistake next to the tool's complaint.
                const QString args = c.rawArguments.isEmpty() ? QStringLiteral("{}") : c.rawArguments;
                calls.append(QJsonObject{
                        {QStringLiteral("id"), c.id},
                        {QStringLiteral("type"), QStringLiteral("function")},
                        {QStringLiteral("function"),
                         QJsonObject{{QStringLiteral("name"), c.name},
                                     {QStringLiteral("arguments"), args}}}});
            }
            o.insert(QStringLiteral("tool_calls"), calls);
        }
        return o;
    }
    case ChatMessage::Role::Tool:
        return {{QStringLiteral("role"), QStringLiteral("tool")},
                {QStringLiteral("tool_call_id"), m.toolCallId},
                {QStringLiteral("content"), m.text}};
    }
    return {};
}

} // namespace

QJsonObject OpenAiProvider::wireBody(const ProviderRequest &request) const
{
    QJsonArray messages;
    if (!request.system.isEmpty())
        messages.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("system")},
                                    {QStringLiteral("content"), request.system}});
    for (const ChatMessage &m : request.messages)
        messages.append(messageJson(m));
    QJsonObject body{
            {QStringLiteral("model"), request.model.isEmpty() ? m_config.defaultModel : request.model},
            {QStringLiteral("messages"), messages},
            {QStringLiteral("stream"), true},
            {QStringLiteral("stream_options"), QJsonObject{{QStringLiteral("include_usage"), true}}},
    };
    if (m_config.sendMaxTokens)
        body.insert(QStringLiteral("max_tokens"), m_config.maxTokens);
    if (!request.tools.isEmpty()) {
        QJsonArray tools;
        for (const ToolDefinition &t : request.tools) {
            QJsonObject parameters = t.parameters;
            if (parameters.isEmpty())
                parameters = {{QStringLiteral("type"), QStringLiteral("object")},
                              {QStringLiteral("properties"), QJsonObject()}};
            tools.append(QJsonObject{
                    {QStringLiteral("type"), QStringLiteral("function")},
                    {QStringLiteral("function"),
                     QJsonObject{{QStringLiteral("name"), t.name},
                                 {QStringLiteral("description"), t.description},
                                 {QStringLiteral("parameters"), parameters}}}});
        }
        body.insert(QStringLiteral("tools"), tools);
        body.insert(QStringLiteral("tool_choice"), QStringLiteral("auto"));
    }
    // Parameters the agent or session set (temperature, top_p, max_tokens, tool_choice,
    // parallel_tool_calls, ...) go through as given; the stream settings stay Spool's.
    insertParameters(body, request.parameters,
                     {QLatin1String("stream"), QLatin1String("stream_options"),
                      QLatin1String("messages"), QLatin1String("model")});
    return body;
}

RemoteProvider::DecoderFactory OpenAiProvider::decoderFactory() const
{
    return []() -> std::unique_ptr<StreamDecoder> { return std::make_unique<OpenAiDecoder>(); };
}

void OpenAiProvider::embed(const QStringList &texts, const QString &model, QObject *context,
                           EmbeddingsCallback done)
{
    // The API refuses an empty input list and empty strings (CreateEmbeddingRequest: minItems 1,
    // "cannot be an empty string"): say so here rather than spend a request on it.
    const bool emptyText = std::any_of(texts.cbegin(), texts.cend(),
                                       [](const QString &t) { return t.isEmpty(); });
    if (texts.isEmpty() || emptyText) {
        QTimer::singleShot(0, context, [done, emptyText] {
            ProviderError e;
            e.errorClass = ProviderErrorClass::InvalidRequest;
            e.message = emptyText ? QStringLiteral("An empty text cannot be embedded.")
                                  : QStringLiteral("Nothing to embed.");
            done({}, e);
        });
        return;
    }
    const QJsonObject body{{QStringLiteral("model"), model.isEmpty() ? m_config.defaultModel : model},
                           {QStringLiteral("input"), QJsonArray::fromStringList(texts)},
                           {QStringLiteral("encoding_format"), QStringLiteral("float")}};
    const qsizetype count = texts.size();
    requestJson(QStringLiteral("/embeddings"), "POST", body, context,
                [done, count](const QJsonObject &json, const std::optional<ProviderError> &error) {
                    if (error) {
                        done({}, error);
                        return;
                    }
                    auto malformed = [&done](const QString &why) {
                        done({}, ProviderFailure::malformed(why));
                    };
                    QList<QList<float>> vectors(count);
                    const QJsonArray data = json.value(QStringLiteral("data")).toArray();
                    if (data.size() != count)
                        return malformed(QStringLiteral("The embeddings reply has %1 vectors for %2 texts.")
                                                 .arg(data.size())
                                                 .arg(count));
                    qsizetype dimension = -1;
                    for (int i = 0; i < data.size(); ++i) {
                        const QJsonObject item = data.at(i).toObject();
                        const int index = item.value(QStringLiteral("index")).toInt(i);
                        if (index < 0 || index >= count || !vectors[index].isEmpty())
                            return malformed(QStringLiteral("The embeddings reply has a bad or repeated index %1.")
                                                     .arg(index));
                        const QJsonArray values = item.value(QStringLiteral("embedding")).toArray();
                        if (values.isEmpty())
                            return malformed(QStringLiteral("The embeddings reply has an empty vector "
                                                            "(base64 or missing \"embedding\")."));
                        if (dimension >= 0 && values.size() != dimension)
                            return malformed(QStringLiteral("The embeddings reply mixes vectors of %1 "
                                                            "and %2 dimensions.")
                                                     .arg(dimension)
                                                     .arg(values.size()));
                        dimension = values.size();
                        QList<float> v;
                        v.reserve(values.size());
                        for (const QJsonValue &x : values) {
                            if (!x.isDouble() || !std::isfinite(x.toDouble()))
                                return malformed(QStringLiteral("The embeddings reply has a value "
                                                                "that is not a finite number."));
                            v.append(float(x.toDouble()));
                        }
                        vectors[index] = v;
                    }
                    done(vectors, std::nullopt);
                });
}

RemoteProvider::Authenticator OpenAiProvider::authenticator() const
{
    return [](QNetworkRequest &request, const QString &key) {
        if (!key.isEmpty())
            request.setRawHeader("Authorization", "Bearer " + key.toUtf8());
    };
}

} // namespace Spool
