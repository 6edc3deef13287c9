#include "providers/chatmessage.h"

#include "providers/attachmentkind.h"

#include <climits>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

namespace Spool {

QJsonObject ToolCallRequest::toJson() const
{
    QJsonObject o{
        {QStringLiteral("id"), id},
        {QStringLiteral("name"), name},
        {QStringLiteral("arguments"), arguments},
    };
    if (!argumentsError.isEmpty()) {
        o.insert(QStringLiteral("raw_arguments"), rawArguments);
        o.insert(QStringLiteral("arguments_error"), argumentsError);
    }
    if (!nameError.isEmpty())
        o.insert(QStringLiteral("name_error"), nameError);
    return o;
}

ToolCallRequest ToolCallRequest::fromJson(const QJsonObject &json)
{
    ToolCallRequest c;
    c.id = json.value(QStringLiteral("id")).toString();
    c.name = json.value(QStringLiteral("name")).toString();
    c.arguments = json.value(QStringLiteral("arguments")).toObject();
    c.argumentsError = json.value(QStringLiteral("arguments_error")).toString();
    c.nameError = json.value(QStringLiteral("name_error")).toString();
    c.rawArguments = c.argumentsError.isEmpty()
            ? QString::fromUtf8(QJsonDocument(c.arguments).toJson(QJsonDocument::Compact))
            : json.value(QStringLiteral("raw_arguments")).toString();
    return c;
}

ToolCallRequest ToolCallRequest::make(const QString &id, const QString &name,
                                      const QString &rawArguments)
{
    ToolCallRequest c;
    c.id = id;
    c.name = name;
    c.rawArguments = rawArguments;
    const QString trimmed = rawArguments.trimmed();
    if (trimmed.isEmpty())
        return c; // no arguments: an empty object
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(trimmed.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError)
        c.argumentsError = QStringLiteral("arguments are not valid JSON (%1 at offset %2)")
                                   .arg(error.errorString())
                                   .arg(error.offset);
    else if (!doc.isObject())
        c.argumentsError = QStringLiteral("arguments must be a JSON object");
    else
        c.arguments = doc.object();
    return c;
}

QJsonObject Attachment::toJson() const
{
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("mime"), mime},
        {QStringLiteral("bytes"), bytes},
        {QStringLiteral("sha256"), sha256},
    };
}

ChatMessage ChatMessage::user(const QString &text)
{
    ChatMessage m;
    m.role = Role::User;
    m.text = text;
    return m;
}

ChatMessage ChatMessage::assistant(const QString &text, const QList<ToolCallRequest> &calls)
{
    ChatMessage m;
    m.role = Role::Assistant;
    m.text = text;
    m.toolCalls = calls;
    return m;
}

ChatMessage ChatMessage::toolResult(const QString &callId, const QString &tool,
                                    const QString &output, bool ok)
{
    ChatMessage m;
    m.role = Role::Tool;
    m.toolCallId = callId;
    m.toolName = tool;
    m.text = output;
    m.toolOk = ok;
    return m;
}

QString ChatMessage::roleName(Role role)
{
    switch (role) {
    case Role::System: return QStringLiteral("system");
    case Role::User: return QStringLiteral("user");
    case Role::Assistant: return QStringLiteral("assistant");
    case Role::Tool: return QStringLiteral("tool");
    }
    return QString();
}

QJsonObject ChatMessage::toJson() const
{
    QJsonObject o{{QStringLiteral("role"), roleName(role)}, {QStringLiteral("text"), text}};
    if (!toolCalls.isEmpty()) {
        QJsonArray calls;
        for (const ToolCallRequest &c : toolCalls)
            calls.append(c.toJson());
        o.insert(QStringLiteral("tool_calls"), calls);
    }
    if (role == Role::Tool) {
        o.insert(QStringLiteral("tool_call_id"), toolCallId);
        o.insert(QStringLiteral("tool"), toolName);
        o.insert(QStringLiteral("ok"), toolOk);
    }
    if (!attachments.isEmpty()) {
        QJsonArray list;
        for (const Attachment &a : attachments)
            list.append(a.toJson());
        o.insert(QStringLiteral("attachments"), list);
    }
    return o;
}

int estimateTokens(const QString &text)
{
    return int((text.size() + 3) / 4);
}

int ChatMessage::estimatedTokens() const
{
    int tokens = 4 + estimateTokens(text); // a few tokens of framing per message
    for (const ToolCallRequest &c : toolCalls)
        tokens += estimateTokens(c.name) + estimateTokens(c.rawArguments) + 4;
    // An image costs the providers about a thousand and a half tokens at the sizes Spool
    // sends; a text file about its length; a PDF much more per byte of its text, but its bytes
    // are mostly not text: a quarter of its size is a cautious guess.
    for (const Attachment &a : attachments)
        tokens += isImageAttachment(a) ? 1600 : int(qMin<qint64>(a.bytes / 4, INT_MAX / 8));
    return tokens;
}

} // namespace Spool
