#include "mcp/mcpmessage.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

namespace Spool {

McpMessage McpMessage::request(const QJsonValue &id, const QString &method,
                               const QJsonObject &params)
{
    McpMessage m;
    m.m_kind = Kind::Request;
    m.m_id = id;
    m.m_method = method;
    m.m_params = params;
    return m;
}

McpMessage McpMessage::notification(const QString &method, const QJsonObject &params)
{
    McpMessage m;
    m.m_kind = Kind::Notification;
    m.m_method = method;
    m.m_params = params;
    return m;
}

McpMessage McpMessage::result(const QJsonValue &id, const QJsonObject &result)
{
    McpMessage m;
    m.m_kind = Kind::Result;
    m.m_id = id;
    m.m_result = result;
    return m;
}

McpMessage McpMessage::error(const QJsonValue &id, int code, const QString &message,
                             const QJsonValue &data)
{
    McpMessage m;
    m.m_kind = Kind::Error;
    m.m_id = id;
    m.m_errorCode = code;
    m.m_errorMessage = message;
    m.m_errorData = data;
    return m;
}

Result<McpMessage> McpMessage::parse(QByteArrayView bytes)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("not JSON (%1 at byte %2)")
                             .arg(parseError.errorString())
                             .arg(parseError.offset));
    }
    if (doc.isArray()) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("a JSON-RPC batch of %1 messages; MCP no longer allows "
                                        "batches and Spool does not accept them")
                             .arg(doc.array().size()));
    }
    if (!doc.isObject())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("not a JSON-RPC object"));
    return fromJson(doc.object());
}

Result<McpMessage> McpMessage::fromJson(const QJsonObject &o)
{
    if (o.value(QLatin1String("jsonrpc")).toString() != QLatin1String("2.0"))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("not JSON-RPC 2.0 (\"jsonrpc\" is missing or wrong)"));
    const QJsonValue id = o.value(QLatin1String("id"));
    const bool hasId = o.contains(QLatin1String("id")) && !id.isNull();
    if (hasId && !id.isString() && !id.isDouble())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("a JSON-RPC id must be a string or a number"));
    McpMessage m;
    m.m_id = hasId ? id : QJsonValue();
    if (o.contains(QLatin1String("method"))) {
        const QJsonValue method = o.value(QLatin1String("method"));
        if (!method.isString() || method.toString().isEmpty())
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("a JSON-RPC method must be a non-empty string"));
        m.m_method = method.toString();
        const QJsonValue params = o.value(QLatin1String("params"));
        if (!params.isUndefined() && !params.isNull() && !params.isObject())
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("MCP params must be an object (method %1)")
                                 .arg(m.m_method));
        m.m_params = params.toObject();
        m.m_kind = hasId ? Kind::Request : Kind::Notification;
        return m;
    }
    if (o.contains(QLatin1String("error"))) {
        const QJsonObject error = o.value(QLatin1String("error")).toObject();
        m.m_kind = Kind::Error;
        m.m_errorCode = error.value(QLatin1String("code")).toInt(InternalError);
        m.m_errorMessage = error.value(QLatin1String("message")).toString();
        m.m_errorData = error.value(QLatin1String("data"));
        return m;
    }
    if (o.contains(QLatin1String("result"))) {
        if (!hasId)
            return makeError(ErrorCode::InvalidArgument, QStringLiteral("a result without an id"));
        const QJsonValue result = o.value(QLatin1String("result"));
        if (!result.isObject())
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("an MCP result must be an object"));
        m.m_kind = Kind::Result;
        m.m_result = result.toObject();
        return m;
    }
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("a JSON-RPC object with neither method, result nor error"));
}

QString McpMessage::idKey(const QJsonValue &id)
{
    if (id.isString())
        return QLatin1String("s:") + id.toString();
    if (id.isDouble())
        return QLatin1String("n:") + QString::number(id.toDouble(), 'g', 17);
    return {};
}

QJsonObject McpMessage::toJson() const
{
    QJsonObject o{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")}};
    switch (m_kind) {
    case Kind::Request:
        o.insert(QStringLiteral("id"), m_id);
        o.insert(QStringLiteral("method"), m_method);
        if (!m_params.isEmpty())
            o.insert(QStringLiteral("params"), m_params);
        break;
    case Kind::Notification:
        o.insert(QStringLiteral("method"), m_method);
        if (!m_params.isEmpty())
            o.insert(QStringLiteral("params"), m_params);
        break;
    case Kind::Result:
        o.insert(QStringLiteral("id"), m_id);
        o.insert(QStringLiteral("result"), m_result);
        break;
    case Kind::Error: {
        o.insert(QStringLiteral("id"), m_id.isUndefined() ? QJsonValue() : m_id);
        QJsonObject error{{QStringLiteral("code"), m_errorCode},
                          {QStringLiteral("message"), m_errorMessage}};
        if (!m_errorData.isUndefined() && !m_errorData.isNull())
            error.insert(QStringLiteral("data"), m_errorData);
        o.insert(QStringLiteral("error"), error);
        break;
    }
    }
    return o;
}

QByteArray McpMessage::serialize() const
{
    return QJsonDocument(toJson()).toJson(QJsonDocument::Compact);
}

} // namespace Spool
