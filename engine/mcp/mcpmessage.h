#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

namespace Spool {

// One JSON-RPC 2.0 message as MCP uses it: a request (method + id), a notification (method, no
// id), a result or an error (id, no method). Batches were dropped from MCP in 2025-06-18 and are
// refused by parse() with a clear error rather than half-handled.
class McpMessage
{
public:
    enum class Kind { Request, Notification, Result, Error };

    // JSON-RPC error codes MCP uses.
    static constexpr int ParseError = -32700;
    static constexpr int InvalidRequest = -32600;
    static constexpr int MethodNotFound = -32601;
    static constexpr int InvalidParams = -32602;
    static constexpr int InternalError = -32603;

    static McpMessage request(const QJsonValue &id, const QString &method,
                              const QJsonObject &params = {});
    static McpMessage notification(const QString &method, const QJsonObject &params = {});
    static McpMessage result(const QJsonValue &id, const QJsonObject &result);
    static McpMessage error(const QJsonValue &id, int code, const QString &message,
                            const QJsonValue &data = {});

    // Parses one serialized message. Anything that is not a single JSON-RPC 2.0 object (garbage,
    // a batch, a wrong "jsonrpc", an object with neither method nor id) is an error that says
    // what was wrong; nothing is thrown.
    static Result<McpMessage> parse(QByteArrayView bytes);
    static Result<McpMessage> fromJson(const QJsonObject &object);

    Kind kind() const { return m_kind; }
    bool isRequest() const { return m_kind == Kind::Request; }
    bool isNotification() const { return m_kind == Kind::Notification; }
    bool isResponse() const { return m_kind == Kind::Result || m_kind == Kind::Error; }

    QJsonValue id() const { return m_id; }
    // The id in a form usable as a map key ("n:5", "s:abc").
    QString idKey() const { return idKey(m_id); }
    static QString idKey(const QJsonValue &id);

    QString method() const { return m_method; }
    QJsonObject params() const { return m_params; }
    QJsonObject resultObject() const { return m_result; }
    int errorCode() const { return m_errorCode; }
    QString errorMessage() const { return m_errorMessage; }
    QJsonValue errorData() const { return m_errorData; }

    QJsonObject toJson() const;
    // Compact, one line, no trailing newline: what both transports put on the wire.
    QByteArray serialize() const;

private:
    Kind m_kind = Kind::Notification;
    QJsonValue m_id;
    QString m_method;
    QJsonObject m_params;
    QJsonObject m_result;
    int m_errorCode = 0;
    QString m_errorMessage;
    QJsonValue m_errorData;
};

} // namespace Spool
