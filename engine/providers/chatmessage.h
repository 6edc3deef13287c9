#pragma once

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace Spool {

// A tool call the model asked for. `rawArguments` is what the model sent; `arguments` is its
// parse, empty when it did not parse (then `argumentsError` says why). `nameError` is set when
// the model named a tool its request did not offer (`name` is then the model's spelling).
struct ToolCallRequest
{
    QString id;
    QString name;
    QString rawArguments;
    QJsonObject arguments;
    QString argumentsError;
    QString nameError;

    QJsonObject toJson() const;
    static ToolCallRequest fromJson(const QJsonObject &json);
    // Parses raw JSON arguments, filling arguments or argumentsError.
    static ToolCallRequest make(const QString &id, const QString &name, const QString &rawArguments);
};

struct Attachment
{
    QString name;
    QString mime;
    qint64 bytes = 0;
    QString sha256;
    QByteArray data; // not written to the tape; the tape keeps name, mime, size and hash

    QJsonObject toJson() const;
};

// One message of a conversation as providers see it.
struct ChatMessage
{
    enum class Role { System, User, Assistant, Tool };

    Role role = Role::User;
    QString text;
    QList<ToolCallRequest> toolCalls; // assistant messages that call tools
    QString toolCallId;               // tool messages: the call this output answers
    QString toolName;
    bool toolOk = true;
    QList<Attachment> attachments;

    static ChatMessage user(const QString &text);
    static ChatMessage assistant(const QString &text, const QList<ToolCallRequest> &calls = {});
    static ChatMessage toolResult(const QString &callId, const QString &tool, const QString &output,
                                  bool ok);

    static QString roleName(Role role);
    QJsonObject toJson() const;
    // A rough token count (about four characters per token), for budgets and estimates.
    int estimatedTokens() const;
};

int estimateTokens(const QString &text);

} // namespace Spool

Q_DECLARE_METATYPE(Spool::ChatMessage)
