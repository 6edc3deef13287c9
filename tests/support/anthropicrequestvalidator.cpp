#include "anthropicrequestvalidator.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QStringList>

// Where the rules come from:
// [ref]   Messages API reference, docs.anthropic.com/en/api/messages (platform.claude.com/docs/
//         en/api/messages): the request fields and their types, "there is no system role",
//         "consecutive user or assistant turns in your request will be combined into a single
//         turn", "the first message must always use the user role".
// [tools] Tool use guide, docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use:
//         tool names match ^[a-zA-Z0-9_-]{1,64}$, input_schema is a JSON Schema object, tool
//         results immediately follow their tool use, tool_result blocks come first in the user
//         message.
// [errors] Errors page, docs.anthropic.com/en/api/errors: the shape of an error body.
// [vision] Vision guide, docs.anthropic.com/en/docs/build-with-claude/vision: image blocks with
//         a base64 (or url) source; media types image/jpeg, image/png, image/gif, image/webp;
//         at most 5 MB per image through the API. [pdf] PDF support guide,
//         docs.anthropic.com/en/docs/build-with-claude/pdf-support: document blocks with a base64
//         application/pdf source (32 MB per request), a plain-text source (type "text",
//         media_type "text/plain"), a url or content source; an optional string title.
// Where the API enforces a rule in words of its own, the message below uses them, as reported
// in public issues: github.com/anthropics/claude-code/issues/5060 (tool_use without
// tool_result), .../13460 (tool_result without tool_use), .../20901 (tool_use ids must be
// unique), github.com/anomalyco/opencode/issues/1279 (tool_use.id pattern); "text content
// blocks must be non-empty" / "must contain non-whitespace text" and "all messages must have
// non-empty content except for the optional final assistant message" as the API says them.

namespace Spool::Test {

namespace {

RequestRejection reject(const QString &message)
{
    return RequestRejection{message, QString(), QString()};
}

bool matchesToolName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[a-zA-Z0-9_-]{1,64}$"));
    return pattern.match(name).hasMatch();
}

bool matchesToolUseId(const QString &id)
{
    static const QRegularExpression pattern(QStringLiteral("^[a-zA-Z0-9_-]+$"));
    return pattern.match(id).hasMatch();
}

// A text block's text: present, non-empty, not only whitespace.
std::optional<RequestRejection> checkText(const QJsonValue &text, const QString &where)
{
    if (!text.isString())
        return reject(where + QStringLiteral(".text: Input should be a valid string"));
    if (text.toString().isEmpty())
        return reject(QStringLiteral("messages: text content blocks must be non-empty"));
    if (text.toString().trimmed().isEmpty())
        return reject(QStringLiteral("messages: text content blocks must contain non-whitespace text"));
    return std::nullopt;
}

// One turn after consecutive messages of the same role are combined [ref].
// What the bytes are, by their first bytes, as the API checks an image against its media type.
QString sniffedImageType(const QByteArray &data)
{
    if (data.startsWith("\x89PNG\r\n\x1a\n"))
        return QStringLiteral("image/png");
    if (data.startsWith("\xff\xd8\xff"))
        return QStringLiteral("image/jpeg");
    if (data.startsWith("GIF87a") || data.startsWith("GIF89a"))
        return QStringLiteral("image/gif");
    if (data.startsWith("RIFF") && data.mid(8, 4) == "WEBP")
        return QStringLiteral("image/webp");
    return QString();
}

bool isBase64(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9+/]*={0,2}$"));
    return text.size() % 4 == 0 && pattern.match(text).hasMatch();
}

// image and document blocks [vision] [pdf].
std::optional<RequestRejection> checkMedia(const QJsonObject &block, const QString &type,
                                           const QString &role, const QString &where)
{
    if (role != QLatin1String("user"))
        return reject(where + QStringLiteral(": %1 blocks can only be in user messages").arg(type));
    const QJsonValue sourceValue = block.value(QStringLiteral("source"));
    if (!sourceValue.isObject())
        return reject(where + QStringLiteral(".%1.source: Field required").arg(type));
    const QJsonObject source = sourceValue.toObject();
    const QString sourceType = source.value(QStringLiteral("type")).toString();
    const QString mediaType = source.value(QStringLiteral("media_type")).toString();
    const QJsonValue data = source.value(QStringLiteral("data"));
    if (type == QLatin1String("document")) {
        const QJsonValue title = block.value(QStringLiteral("title"));
        if (!title.isUndefined() && !title.isNull() && !title.isString())
            return reject(where + QStringLiteral(".document.title: Input should be a valid string"));
    }
    if (sourceType == QLatin1String("url")) {
        if (!source.value(QStringLiteral("url")).isString())
            return reject(where + QStringLiteral(".%1.source.url: Field required").arg(type));
        return std::nullopt;
    }
    if (type == QLatin1String("document") && sourceType == QLatin1String("text")) {
        if (mediaType != QLatin1String("text/plain"))
            return reject(where + QStringLiteral(".document.source.media_type: Input should be 'text/plain'"));
        if (!data.isString())
            return reject(where + QStringLiteral(".document.source.data: Input should be a valid string"));
        return std::nullopt;
    }
    if (type == QLatin1String("document") && sourceType == QLatin1String("content"))
        return std::nullopt;
    if (sourceType != QLatin1String("base64"))
        return reject(where + QStringLiteral(".%1.source: Input tag '%2' found using 'type' does not "
                                             "match any of the expected tags")
                              .arg(type, sourceType));
    static const QSet<QString> imageTypes{QStringLiteral("image/jpeg"), QStringLiteral("image/png"),
                                          QStringLiteral("image/gif"), QStringLiteral("image/webp")};
    if (type == QLatin1String("image") && !imageTypes.contains(mediaType))
        return reject(where + QStringLiteral(".image.source.base64.media_type: Input should be "
                                             "'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"));
    if (type == QLatin1String("document") && mediaType != QLatin1String("application/pdf"))
        return reject(where + QStringLiteral(".document.source.base64.media_type: Input should be "
                                             "'application/pdf'"));
    if (!data.isString() || data.toString().isEmpty())
        return reject(where + QStringLiteral(".%1.source.data: Field required").arg(type));
    if (!isBase64(data.toString()))
        return reject(where + QStringLiteral(".%1.source.base64.data: invalid base64 data").arg(type));
    const QByteArray bytes = QByteArray::fromBase64(data.toString().toLatin1());
    if (type == QLatin1String("image")) {
        if (bytes.size() > 5 * 1024 * 1024)
            return reject(where + QStringLiteral(".image.source.base64: image exceeds 5 MB maximum: "
                                                 "%1 bytes > 5242880 bytes").arg(bytes.size()));
        const QString actual = sniffedImageType(bytes);
        if (actual.isEmpty())
            return reject(where + QStringLiteral(".image.source.base64.data: Could not process image"));
        if (actual != mediaType)
            return reject(where + QStringLiteral(".image.source.base64.data: Image does not match the "
                                                 "provided media type %1").arg(mediaType));
    } else {
        if (!bytes.startsWith("%PDF-"))
            return reject(where + QStringLiteral(".document.source.base64.data: The PDF specified "
                                                 "was not valid."));
        if (bytes.size() > 32 * 1024 * 1024)
            return reject(where + QStringLiteral(".document.source.base64: PDF exceeds 32 MB maximum"));
    }
    return std::nullopt;
}

struct Turn
{
    QString role;
    QList<QJsonObject> blocks;
    QList<int> messageOf; // the message index each block came from
    QList<int> blockOf;   // its index within that message
};

std::optional<RequestRejection> checkBlock(const QJsonObject &block, const QString &role,
                                           const QString &where, QSet<QString> &toolUseIds)
{
    const QString type = block.value(QStringLiteral("type")).toString();
    if (type == QLatin1String("text"))
        return checkText(block.value(QStringLiteral("text")), where);
    if (type == QLatin1String("tool_use")) {
        if (role != QLatin1String("assistant"))
            return reject(where + QStringLiteral(": tool_use blocks can only be in assistant messages"));
        const QString id = block.value(QStringLiteral("id")).toString();
        if (!matchesToolUseId(id))
            return reject(where + QStringLiteral(".tool_use.id: String should match pattern "
                                                 "'^[a-zA-Z0-9_-]+$'"));
        if (!matchesToolName(block.value(QStringLiteral("name")).toString()))
            return reject(where + QStringLiteral(".tool_use.name: String should match pattern "
                                                 "'^[a-zA-Z0-9_-]{1,64}$'"));
        if (!block.value(QStringLiteral("input")).isObject())
            return reject(where + QStringLiteral(".tool_use.input: Input should be a valid dictionary"));
        if (toolUseIds.contains(id))
            return reject(where + QStringLiteral(": `tool_use` ids must be unique"));
        toolUseIds.insert(id);
        return std::nullopt;
    }
    if (type == QLatin1String("tool_result")) {
        if (role != QLatin1String("user"))
            return reject(where + QStringLiteral(": tool_result blocks can only be in user messages"));
        if (!block.value(QStringLiteral("tool_use_id")).isString())
            return reject(where + QStringLiteral(".tool_result.tool_use_id: Field required"));
        const QJsonValue content = block.value(QStringLiteral("content"));
        if (content.isArray()) {
            const QJsonArray parts = content.toArray();
            for (int i = 0; i < parts.size(); ++i) {
                const QJsonObject part = parts.at(i).toObject();
                if (part.value(QStringLiteral("type")).toString() == QLatin1String("text")) {
                    if (auto r = checkText(part.value(QStringLiteral("text")),
                                           where + QStringLiteral(".content.%1").arg(i)))
                        return r;
                }
            }
        } else if (!content.isString() && !content.isUndefined()) {
            return reject(where + QStringLiteral(".tool_result.content: Input should be a valid "
                                                 "string or list"));
        }
        const QJsonValue isError = block.value(QStringLiteral("is_error"));
        if (!isError.isUndefined() && !isError.isBool())
            return reject(where + QStringLiteral(".tool_result.is_error: Input should be a valid boolean"));
        return std::nullopt;
    }
    if (type == QLatin1String("image") || type == QLatin1String("document"))
        return checkMedia(block, type, role, where);
    static const QSet<QString> others{QStringLiteral("thinking"), QStringLiteral("redacted_thinking")};
    if (others.contains(type))
        return std::nullopt;
    return reject(where + QStringLiteral(": Input tag '%1' found using 'type' does not match any of "
                                         "the expected tags").arg(type));
}

std::optional<RequestRejection> checkTools(const QJsonObject &body)
{
    if (!body.contains(QStringLiteral("tools")))
        return std::nullopt;
    if (!body.value(QStringLiteral("tools")).isArray())
        return reject(QStringLiteral("tools: Input should be a valid list"));
    const QJsonArray tools = body.value(QStringLiteral("tools")).toArray();
    for (int i = 0; i < tools.size(); ++i) {
        const QJsonObject tool = tools.at(i).toObject();
        const QString where = QStringLiteral("tools.%1.custom").arg(i);
        if (!tool.value(QStringLiteral("name")).isString())
            return reject(where + QStringLiteral(".name: Field required"));
        if (!matchesToolName(tool.value(QStringLiteral("name")).toString()))
            return reject(where + QStringLiteral(".name: String should match pattern "
                                                 "'^[a-zA-Z0-9_-]{1,64}$'"));
        const QJsonValue schema = tool.value(QStringLiteral("input_schema"));
        if (!schema.isObject())
            return reject(where + QStringLiteral(".input_schema: Field required"));
        if (schema.toObject().value(QStringLiteral("type")).toString() != QLatin1String("object"))
            return reject(where + QStringLiteral(".input_schema.type: Input should be 'object'"));
    }
    // tool_choice [ref]: {"type": "auto" | "any" | "none"} or {"type": "tool", "name": ...}.
    if (body.contains(QStringLiteral("tool_choice"))) {
        const QJsonObject choice = body.value(QStringLiteral("tool_choice")).toObject();
        const QString type = choice.value(QStringLiteral("type")).toString();
        static const QSet<QString> types{QStringLiteral("auto"), QStringLiteral("any"),
                                         QStringLiteral("tool"), QStringLiteral("none")};
        if (!types.contains(type))
            return reject(QStringLiteral("tool_choice: Input tag '%1' found using 'type' does not "
                                         "match any of the expected tags: 'auto', 'any', 'tool', "
                                         "'none'").arg(type));
        if (type == QLatin1String("tool")
            && !matchesToolName(choice.value(QStringLiteral("name")).toString()))
            return reject(QStringLiteral("tool_choice.tool.name: String should match pattern "
                                         "'^[a-zA-Z0-9_-]{1,64}$'"));
    }
    return std::nullopt;
}

std::optional<RequestRejection> checkTopLevel(const QJsonObject &body)
{
    // model, max_tokens and messages are required [ref].
    if (!body.contains(QStringLiteral("model")))
        return reject(QStringLiteral("model: Field required"));
    if (!body.value(QStringLiteral("model")).isString())
        return reject(QStringLiteral("model: Input should be a valid string"));
    if (body.value(QStringLiteral("model")).toString().isEmpty())
        return reject(QStringLiteral("model: String should have at least 1 character"));
    if (!body.contains(QStringLiteral("max_tokens")))
        return reject(QStringLiteral("max_tokens: Field required"));
    const QJsonValue maxTokens = body.value(QStringLiteral("max_tokens"));
    if (!maxTokens.isDouble() || maxTokens.toDouble() != double(maxTokens.toInteger()))
        return reject(QStringLiteral("max_tokens: Input should be a valid integer"));
    if (maxTokens.toInteger() < 1)
        return reject(QStringLiteral("max_tokens: Input should be greater than or equal to 1"));
    if (!body.contains(QStringLiteral("messages")))
        return reject(QStringLiteral("messages: Field required"));
    if (!body.value(QStringLiteral("messages")).isArray())
        return reject(QStringLiteral("messages: Input should be a valid list"));
    // The system prompt is a top-level string or list of text blocks [ref].
    const QJsonValue system = body.value(QStringLiteral("system"));
    if (system.isArray()) {
        const QJsonArray blocks = system.toArray();
        for (int i = 0; i < blocks.size(); ++i) {
            const QJsonObject b = blocks.at(i).toObject();
            if (b.value(QStringLiteral("type")).toString() != QLatin1String("text"))
                return reject(QStringLiteral("system.%1.type: Input should be 'text'").arg(i));
            if (auto r = checkText(b.value(QStringLiteral("text")), QStringLiteral("system.%1").arg(i)))
                return r;
        }
    } else if (!system.isUndefined() && !system.isString()) {
        return reject(QStringLiteral("system: Input should be a valid string"));
    }
    // temperature ranges from 0.0 to 1.0 [ref].
    const QJsonValue temperature = body.value(QStringLiteral("temperature"));
    if (!temperature.isUndefined()) {
        if (!temperature.isDouble())
            return reject(QStringLiteral("temperature: Input should be a valid number"));
        if (temperature.toDouble() < 0.0)
            return reject(QStringLiteral("temperature: Input should be greater than or equal to 0"));
        if (temperature.toDouble() > 1.0)
            return reject(QStringLiteral("temperature: Input should be less than or equal to 1"));
    }
    const QJsonValue stream = body.value(QStringLiteral("stream"));
    if (!stream.isUndefined() && !stream.isBool())
        return reject(QStringLiteral("stream: Input should be a valid boolean"));
    return std::nullopt;
}

} // namespace

std::optional<RequestRejection> AnthropicRequestValidator::validate(const QByteArray &body)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (!doc.isObject())
        return reject(QStringLiteral("The request body is not valid JSON: %1").arg(parseError.errorString()));
    const QJsonObject json = doc.object();
    if (auto r = checkTopLevel(json))
        return r;
    if (auto r = checkTools(json))
        return r;

    const QJsonArray messages = json.value(QStringLiteral("messages")).toArray();
    if (messages.isEmpty())
        return reject(QStringLiteral("messages: at least one message is required"));

    // Each message on its own: roles, content, blocks.
    QSet<QString> toolUseIds; // unique across the whole request
    QList<Turn> turns;
    for (int i = 0; i < messages.size(); ++i) {
        const QJsonObject m = messages.at(i).toObject();
        const QString role = m.value(QStringLiteral("role")).toString();
        // No system role: the system prompt is the top-level `system` [ref].
        if (role != QLatin1String("user") && role != QLatin1String("assistant"))
            return reject(QStringLiteral("messages.%1.role: Input should be 'user' or 'assistant'").arg(i));
        if (!m.contains(QStringLiteral("content")))
            return reject(QStringLiteral("messages.%1.content: Field required").arg(i));
        const QJsonValue content = m.value(QStringLiteral("content"));
        QList<QJsonObject> blocks;
        if (content.isString()) {
            if (!content.toString().isEmpty())
                blocks.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                          {QStringLiteral("text"), content.toString()}});
        } else if (content.isArray()) {
            for (const QJsonValue &b : content.toArray()) {
                if (!b.isObject())
                    return reject(QStringLiteral("messages.%1.content: Input should be a valid "
                                                 "dictionary").arg(i));
                blocks.append(b.toObject());
            }
        } else {
            return reject(QStringLiteral("messages.%1.content: Input should be a valid string or list").arg(i));
        }
        const bool finalAssistant = i == messages.size() - 1 && role == QLatin1String("assistant");
        if (blocks.isEmpty() && !finalAssistant)
            return reject(QStringLiteral("messages.%1: all messages must have non-empty content except "
                                         "for the optional final assistant message").arg(i));
        for (int b = 0; b < blocks.size(); ++b) {
            if (auto r = checkBlock(blocks.at(b), role, QStringLiteral("messages.%1.content.%2").arg(i).arg(b),
                                    toolUseIds))
                return r;
        }
        if (turns.isEmpty() || turns.last().role != role)
            turns.append(Turn{role, {}, {}, {}});
        for (int b = 0; b < blocks.size(); ++b) {
            turns.last().blocks.append(blocks.at(b));
            turns.last().messageOf.append(i);
            turns.last().blockOf.append(b);
        }
    }

    if (turns.first().role != QLatin1String("user"))
        return reject(QStringLiteral("messages.0.role: The first message must use the \"user\" role"));

    // Tool use and tool results across turns [tools].
    for (int t = 0; t < turns.size(); ++t) {
        const Turn &turn = turns.at(t);
        const Turn *previous = t > 0 ? &turns.at(t - 1) : nullptr;
        if (turn.role == QLatin1String("user")) {
            // Every tool_result answers a tool_use of the turn right before it.
            QSet<QString> asked;
            if (previous) {
                for (const QJsonObject &b : previous->blocks) {
                    if (b.value(QStringLiteral("type")).toString() == QLatin1String("tool_use"))
                        asked.insert(b.value(QStringLiteral("id")).toString());
                }
            }
            for (int b = 0; b < turn.blocks.size(); ++b) {
                const QJsonObject &block = turn.blocks.at(b);
                if (block.value(QStringLiteral("type")).toString() != QLatin1String("tool_result"))
                    continue;
                const QString id = block.value(QStringLiteral("tool_use_id")).toString();
                if (!asked.contains(id))
                    return reject(QStringLiteral("messages.%1.content.%2: unexpected `tool_use_id` "
                                                 "found in `tool_result` blocks: %3. Each "
                                                 "`tool_result` block must have a corresponding "
                                                 "`tool_use` block in the previous message.")
                                          .arg(turn.messageOf.at(b))
                                          .arg(turn.blockOf.at(b))
                                          .arg(id));
            }
            continue;
        }
        // Every tool_use is answered by a tool_result at the head of the next turn, before any
        // other content [tools].
        QStringList missing;
        int where = -1;
        QSet<QString> answered;
        if (t + 1 < turns.size()) {
            for (const QJsonObject &b : turns.at(t + 1).blocks) {
                if (b.value(QStringLiteral("type")).toString() != QLatin1String("tool_result"))
                    break;
                answered.insert(b.value(QStringLiteral("tool_use_id")).toString());
            }
        }
        for (int b = 0; b < turn.blocks.size(); ++b) {
            const QJsonObject &block = turn.blocks.at(b);
            if (block.value(QStringLiteral("type")).toString() != QLatin1String("tool_use"))
                continue;
            const QString id = block.value(QStringLiteral("id")).toString();
            if (!answered.contains(id)) {
                missing.append(id);
                if (where < 0)
                    where = turn.messageOf.at(b);
            }
        }
        if (!missing.isEmpty())
            return reject(QStringLiteral("messages.%1: `tool_use` ids were found without "
                                         "`tool_result` blocks immediately after: %2. Each "
                                         "`tool_use` block must have a corresponding `tool_result` "
                                         "block in the next message.")
                                  .arg(where)
                                  .arg(missing.join(QStringLiteral(", "))));
    }
    return std::nullopt;
}

QJsonObject AnthropicRequestValidator::errorBody(const RequestRejection &rejection)
{
    return QJsonObject{
            {QStringLiteral("type"), QStringLiteral("error")},
            {QStringLiteral("error"),
             QJsonObject{{QStringLiteral("type"), QStringLiteral("invalid_request_error")},
                         {QStringLiteral("message"), rejection.message}}}};
}

} // namespace Spool::Test
