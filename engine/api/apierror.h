#pragma once

#include "core/error.h"

#include <QJsonObject>
#include <QString>

namespace Spool {

// An error answer of the local API, in OpenAI's error shape on every route, so the OpenAI SDKs
// raise the matching exception and scripts read one shape:
// {"error": {"message", "type", "param", "code"}}.
struct ApiError
{
    int status = 500;
    QString code;    // a short token: invalid_api_key, model_not_found, body_too_large, ...
    QString message; // for the user
    QString param;   // the request field at fault, if one is

    static ApiError make(int status, const QString &code, const QString &message,
                         const QString &param = {});
    // An engine error as an HTTP answer: not found 404, conflict 409, bad input 400, ...
    static ApiError fromEngine(const Error &error);

    // invalid_request_error, authentication_error, permission_error, ..., from the status.
    QString type() const;
    QJsonObject toJson() const;
};

} // namespace Spool
