#pragma once

#include "api/apierror.h"
#include "providers/chatmessage.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace Spool {

struct Agent;

// A request to POST /v1/chat/completions, as Spool takes it.
struct ChatCompletionRequest
{
    QString model;               // an agent's name, or "spool" for the server's default agent
    QList<ChatMessage> earlier;  // the messages before the last one: system, user, assistant
    QString input;               // the last message, the user's
    // Its images (`image_url` parts with a data: URL) and files (`file` parts with file_data),
    // as sent: the engine reads their type from the content and applies its limits.
    QList<Attachment> attachments;
    bool stream = false;
    bool includeUsage = false;   // stream_options.include_usage
    QStringList ignored;         // fields accepted but not applied (tools, temperature, ...)
};

// The OpenAI Chat Completions wire format (the subset Spool speaks), both ways. Client-defined
// `tools` are not offered to the model: the agent has its own tools, which run inside Spool
// under its policy and approvals; the client sees only the agent's text. Such fields are
// accepted and reported as ignored, except what cannot be honoured (tool_choice forcing a
// client tool, n > 1, tool messages), which is refused.
class OpenAiChat
{
public:
    static std::optional<ApiError> parse(const QJsonObject &body, ChatCompletionRequest *out);

    // GET /v1/models entries.
    static QJsonObject model(const Agent &agent);

    static QString completionId(const QString &runId) { return QStringLiteral("chatcmpl-") + runId; }
    static QJsonObject usage(qint64 promptTokens, qint64 completionTokens);
    static QJsonObject completion(const QString &runId, qint64 createdSecs, const QString &model,
                                  const QString &text, const QJsonObject &usage);
    // One streamed chunk with `delta` and, on the last one, a finish reason.
    static QJsonObject chunk(const QString &runId, qint64 createdSecs, const QString &model,
                             const QJsonObject &delta, const QString &finishReason,
                             bool withUsageField);
    // The chunk with no choices that carries the usage (stream_options.include_usage).
    static QJsonObject usageChunk(const QString &runId, qint64 createdSecs, const QString &model,
                                  const QJsonObject &usage);
    // A server-sent event: "data: <json>\n\n".
    static QByteArray event(const QJsonObject &data);
};

} // namespace Spool
