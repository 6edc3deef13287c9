#include "providers/providerfailure.h"

#include "providers/retrypolicy.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace Spool {

namespace {

struct ErrorBody
{
    QString message;
    QString type;
    QString code;
    QString param; // OpenAI: the field the error is about
};

ErrorBody readErrorObject(const QJsonObject &json)
{
    ErrorBody e;
    const QJsonValue error = json.value(QStringLiteral("error"));
    if (error.isObject()) {
        const QJsonObject o = error.toObject();
        e.message = o.value(QStringLiteral("message")).toString();
        e.type = o.value(QStringLiteral("type")).toString();
        const QJsonValue code = o.value(QStringLiteral("code"));
        e.code = code.isDouble() ? QString::number(code.toInt()) : code.toString();
        e.param = o.value(QStringLiteral("param")).toString();
    } else if (error.isString()) {
        e.message = error.toString(); // Ollama and llama.cpp style
    }
    if (e.message.isEmpty())
        e.message = json.value(QStringLiteral("message")).toString();
    if (e.message.isEmpty())
        e.message = json.value(QStringLiteral("detail")).toString(); // some proxies (FastAPI)
    return e;
}

ErrorBody readErrorBody(const QByteArray &body)
{
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (doc.isObject())
        return readErrorObject(doc.object());
    // Not JSON (an HTML page from a proxy, plain text): a short excerpt still helps.
    ErrorBody e;
    QString text = QString::fromUtf8(body).simplified();
    if (text.startsWith(QLatin1Char('<')))
        text.clear();
    e.message = text;
    return e;
}

QString clip(QString text, int max = 300)
{
    text = text.simplified();
    if (text.size() > max)
        text = text.left(max - 1) + QChar(0x2026);
    return text;
}

QString withStatus(const QString &message, int status)
{
    QString m = clip(message);
    if (m.isEmpty())
        m = QStringLiteral("No details were given");
    if (!m.endsWith(QLatin1Char('.')) && !m.endsWith(QChar(0x2026)))
        m += QLatin1Char('.');
    if (status > 0)
        m += QStringLiteral(" (HTTP %1)").arg(status);
    return m;
}

// The class the error's code or type names. OpenAI's string_above_max_length is about any
// string: the conversation's content is the context, but a tool name or call id that is too
// long is an invalid request like any other.
std::optional<ProviderErrorClass> namedClass(const ErrorBody &e)
{
    if (e.code == QLatin1String("string_above_max_length") && !e.param.isEmpty()
        && e.param != QLatin1String("messages") && !e.param.endsWith(QLatin1String("content")))
        return ProviderErrorClass::InvalidRequest;
    const auto byCode = ProviderFailure::classForType(e.code);
    return byCode ? byCode : ProviderFailure::classForType(e.type);
}

bool mentionsQuota(const ErrorBody &e)
{
    static const QRegularExpression words(
            QStringLiteral("quota|billing|credit balance|insufficient (funds|credit)|payment"),
            QRegularExpression::CaseInsensitiveOption);
    return ProviderFailure::classForType(e.code) == ProviderErrorClass::Quota
            || ProviderFailure::classForType(e.type) == ProviderErrorClass::Quota
            || words.match(e.message).hasMatch();
}

QString hintFor(ProviderErrorClass cls)
{
    switch (cls) {
    case ProviderErrorClass::Auth:
        return QStringLiteral(" Check the API key in the provider settings.");
    case ProviderErrorClass::Quota:
        return QStringLiteral(" Check the account's plan and billing with the provider.");
    case ProviderErrorClass::ContextTooLong:
        return QStringLiteral(" Start a new session or reset this one to shorten the context.");
    default:
        return QString();
    }
}

} // namespace

std::optional<ProviderErrorClass> ProviderFailure::classForType(const QString &typeOrCode)
{
    const QString t = typeOrCode.toLower();
    if (t.isEmpty())
        return std::nullopt;
    if (t == QLatin1String("insufficient_quota") || t == QLatin1String("billing_error")
        || t == QLatin1String("billing_hard_limit_reached")
        || t == QLatin1String("billing_not_active"))
        return ProviderErrorClass::Quota;
    if (t == QLatin1String("rate_limit_error") || t == QLatin1String("rate_limit_exceeded")
        || t == QLatin1String("429"))
        return ProviderErrorClass::RateLimit;
    if (t == QLatin1String("authentication_error") || t == QLatin1String("invalid_api_key")
        || t == QLatin1String("401"))
        return ProviderErrorClass::Auth;
    if (t == QLatin1String("permission_error") || t == QLatin1String("403"))
        return ProviderErrorClass::Permission;
    if (t == QLatin1String("context_length_exceeded") || t == QLatin1String("request_too_large")
        || t == QLatin1String("string_above_max_length"))
        return ProviderErrorClass::ContextTooLong;
    if (t == QLatin1String("invalid_request_error") || t == QLatin1String("not_found_error")
        || t == QLatin1String("model_not_found") || t == QLatin1String("400")
        || t == QLatin1String("404"))
        return ProviderErrorClass::InvalidRequest;
    if (t == QLatin1String("overloaded_error") || t == QLatin1String("api_error")
        || t == QLatin1String("server_error") || t == QLatin1String("internal_server_error")
        || t == QLatin1String("service_unavailable") || t.startsWith(QLatin1Char('5')))
        return ProviderErrorClass::Server;
    if (t == QLatin1String("timeout_error") || t == QLatin1String("timeout"))
        return ProviderErrorClass::Timeout;
    return std::nullopt;
}

bool ProviderFailure::looksLikeContextLength(const QString &message)
{
    // The shapes OpenAI ("This model's maximum context length is 128000 tokens ..."),
    // Anthropic ("prompt is too long: 210000 tokens > 200000 maximum"), llama.cpp ("the request
    // exceeds the available context size") and vLLM use.
    static const QRegularExpression re(
            QStringLiteral("maximum context length|context[ _]length|context window|context size"
                           "|prompt is too long|too many (input )?tokens|input is too long"
                           "|reduce the length of the (messages|prompt)"),
            QRegularExpression::CaseInsensitiveOption);
    return re.match(message).hasMatch();
}

ProviderError ProviderFailure::fromHttp(int httpStatus, const QByteArray &body)
{
    const ErrorBody e = readErrorBody(body);
    ProviderError error;
    error.httpStatus = httpStatus;
    const auto named = namedClass(e);
    if (httpStatus == 401) {
        error.errorClass = ProviderErrorClass::Auth;
    } else if (httpStatus == 403) {
        error.errorClass = ProviderErrorClass::Permission;
    } else if (httpStatus == 402) {
        error.errorClass = ProviderErrorClass::Quota;
    } else if (httpStatus == 429) {
        error.errorClass = mentionsQuota(e) ? ProviderErrorClass::Quota : ProviderErrorClass::RateLimit;
    } else if (httpStatus == 413) {
        error.errorClass = ProviderErrorClass::ContextTooLong;
    } else if (httpStatus == 408) {
        error.errorClass = ProviderErrorClass::Timeout;
    } else if (httpStatus >= 500) {
        error.errorClass = ProviderErrorClass::Server;
    } else if (httpStatus == 409) {
        error.errorClass = ProviderErrorClass::Server; // a conflict the server expects to clear
    } else if (httpStatus >= 400) {
        if (named == ProviderErrorClass::ContextTooLong || looksLikeContextLength(e.message))
            error.errorClass = ProviderErrorClass::ContextTooLong;
        else if (named == ProviderErrorClass::Quota)
            error.errorClass = ProviderErrorClass::Quota;
        else
            error.errorClass = ProviderErrorClass::InvalidRequest;
    } else {
        error.errorClass = ProviderErrorClass::MalformedResponse;
    }
    error.message = withStatus(e.message, httpStatus) + hintFor(error.errorClass);
    return error;
}

ProviderError ProviderFailure::fromStreamError(const QJsonObject &json)
{
    const ErrorBody e = readErrorObject(json);
    ProviderError error;
    // The code is the more specific of the two (OpenAI: type invalid_request_error, code
    // invalid_api_key).
    auto cls = namedClass(e);
    if (cls == ProviderErrorClass::InvalidRequest && looksLikeContextLength(e.message))
        cls = ProviderErrorClass::ContextTooLong;
    if (cls == ProviderErrorClass::RateLimit && mentionsQuota(e))
        cls = ProviderErrorClass::Quota;
    error.errorClass = cls.value_or(ProviderErrorClass::Server);
    error.message = QStringLiteral("The stream reported an error: ") + withStatus(e.message, 0)
            + hintFor(error.errorClass);
    return error;
}

ProviderError ProviderFailure::fromTransport(QNetworkReply::NetworkError code, const QString &detail)
{
    ProviderError error;
    error.errorClass = ProviderErrorClass::Network;
    switch (code) {
    case QNetworkReply::ConnectionRefusedError:
        error.message = QStringLiteral("The connection was refused: is the server running at "
                                       "this address?");
        break;
    case QNetworkReply::HostNotFoundError:
        error.message = QStringLiteral("The server's host name could not be found.");
        break;
    case QNetworkReply::RemoteHostClosedError:
        error.message = QStringLiteral("The server closed the connection before the reply was "
                                       "complete.");
        break;
    case QNetworkReply::TimeoutError:
        error.errorClass = ProviderErrorClass::Timeout;
        error.message = QStringLiteral("The connection timed out.");
        break;
    case QNetworkReply::SslHandshakeFailedError:
        error.message = QStringLiteral("The secure (TLS) connection could not be set up: ")
                + clip(detail);
        break;
    default:
        error.message = clip(detail);
        break;
    }
    return error;
}

ProviderError ProviderFailure::malformed(const QString &what)
{
    ProviderError error;
    error.errorClass = ProviderErrorClass::MalformedResponse;
    error.message = clip(what, 400);
    return error;
}

ProviderError ProviderFailure::connectTimeout(qint64 ms)
{
    ProviderError error;
    error.errorClass = ProviderErrorClass::Timeout;
    error.message = QStringLiteral("No connection to the server within %1 s.")
                            .arg(QString::number(double(ms) / 1000.0));
    return error;
}

ProviderError ProviderFailure::stalled(qint64 ms)
{
    ProviderError error;
    error.errorClass = ProviderErrorClass::Timeout;
    error.message = QStringLiteral("The server sent nothing for %1 s; Spool gave up waiting.")
                            .arg(QString::number(double(ms) / 1000.0));
    return error;
}

ProviderError ProviderFailure::incompleteStream()
{
    ProviderError error;
    error.errorClass = ProviderErrorClass::Network;
    error.message = QStringLiteral("The stream ended before the reply was complete.");
    return error;
}

bool ProviderFailure::isRetryable(const ProviderError &error)
{
    switch (error.errorClass) {
    case ProviderErrorClass::RateLimit:
    case ProviderErrorClass::Server:
    case ProviderErrorClass::Network:
    case ProviderErrorClass::Timeout:
        return true;
    case ProviderErrorClass::Quota:
    case ProviderErrorClass::Auth:
    case ProviderErrorClass::Permission:
    case ProviderErrorClass::ContextTooLong:
    case ProviderErrorClass::InvalidRequest:
    case ProviderErrorClass::MalformedResponse:
    case ProviderErrorClass::Cancelled:
        return false;
    }
    return false;
}

QString ProviderFailure::scrub(const QString &text, const QString &secret)
{
    if (secret.size() < 4)
        return text; // too short to be a key; replacing it would mangle ordinary words
    QString out = text;
    out.replace(secret, QStringLiteral("[redacted]"));
    return out;
}

} // namespace Spool
