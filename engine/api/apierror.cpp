#include "api/apierror.h"

namespace Spool {

ApiError ApiError::make(int status, const QString &code, const QString &message, const QString &param)
{
    ApiError e;
    e.status = status;
    e.code = code;
    e.message = message;
    e.param = param;
    return e;
}

ApiError ApiError::fromEngine(const Error &error)
{
    switch (error.code) {
    case ErrorCode::InvalidArgument: return make(400, QStringLiteral("invalid_argument"), error.message);
    case ErrorCode::NotFound: return make(404, QStringLiteral("not_found"), error.message);
    case ErrorCode::Conflict:
    case ErrorCode::IllegalTransition: return make(409, QStringLiteral("conflict"), error.message);
    case ErrorCode::Cancelled: return make(409, QStringLiteral("cancelled"), error.message);
    case ErrorCode::Provider: return make(502, QStringLiteral("provider_error"), error.message);
    case ErrorCode::JournalUnavailable:
    case ErrorCode::JournalNotSqlite:
    case ErrorCode::JournalCorrupt:
    case ErrorCode::Storage:
    case ErrorCode::DiskFull: return make(503, QStringLiteral("journal_unavailable"), error.message);
    case ErrorCode::Tool:
    case ErrorCode::Internal:
    case ErrorCode::None: break;
    }
    return make(500, QStringLiteral("internal_error"), error.message);
}

QString ApiError::type() const
{
    switch (status) {
    case 401: return QStringLiteral("authentication_error");
    case 403: return QStringLiteral("permission_error");
    case 429: return QStringLiteral("rate_limit_error");
    default: break;
    }
    return status >= 500 ? QStringLiteral("server_error") : QStringLiteral("invalid_request_error");
}

QJsonObject ApiError::toJson() const
{
    return QJsonObject{{QStringLiteral("error"),
                        QJsonObject{{QStringLiteral("message"), message},
                                    {QStringLiteral("type"), type()},
                                    {QStringLiteral("param"), param.isEmpty() ? QJsonValue() : QJsonValue(param)},
                                    {QStringLiteral("code"), code}}}};
}

} // namespace Spool
