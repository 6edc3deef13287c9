#include "providers/providerconfig.h"

#include "core/redactor.h"

#include <QRegularExpression>

namespace Spool {

QString ProviderConfig::kindName(Kind kind)
{
    switch (kind) {
    case Kind::OpenAi: return QStringLiteral("openai");
    case Kind::Anthropic: return QStringLiteral("anthropic");
    }
    return QString();
}

std::optional<ProviderConfig::Kind> ProviderConfig::parseKind(const QString &name)
{
    const QString n = name.trimmed().toLower();
    if (n == QLatin1String("openai"))
        return Kind::OpenAi;
    if (n == QLatin1String("anthropic"))
        return Kind::Anthropic;
    return std::nullopt;
}

QString ProviderConfig::defaultBaseUrl(Kind kind)
{
    switch (kind) {
    case Kind::OpenAi: return QStringLiteral("https://api.openai.com/v1");
    case Kind::Anthropic: return QStringLiteral("https://api.anthropic.com");
    }
    return QString();
}

QString ProviderConfig::defaultKeyRef(const QString &providerName)
{
    return QStringLiteral("provider/") + providerName;
}

bool ProviderConfig::isValidName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    return re.match(name).hasMatch();
}

QUrl ProviderConfig::endpoint(const QString &path) const
{
    QString base = baseUrl.isEmpty() ? defaultBaseUrl(kind) : baseUrl.trimmed();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    QString p = path;
    // Anthropic paths carry their version; a base URL that already ends in /v1 (as people copy
    // it from OpenAI-style settings) must not get a second one.
    if (p.startsWith(QLatin1String("/v1/")) && base.endsWith(QLatin1String("/v1")))
        p = p.mid(3);
    return QUrl(base + p);
}

RetryPolicy ProviderConfig::retryPolicy() const
{
    RetryPolicy p;
    p.maxRetries = qMax(0, maxRetries);
    p.baseDelayMs = qMax<qint64>(0, retryBaseDelayMs);
    p.maxDelayMs = qMax<qint64>(p.baseDelayMs, 8 * p.baseDelayMs);
    p.maxServerDelayMs = qMax<qint64>(0, maxRetryDelayMs);
    return p;
}

Status ProviderConfig::validate() const
{
    if (!isValidName(name))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("A provider name is 1-64 characters of letters, digits, "
                                        "'.', '_' and '-'; \"%1\" is not.")
                                 .arg(name.left(80)));
    if (name == QLatin1String("deterministic"))
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("\"deterministic\" is the built-in provider's name."));
    const QUrl url = endpoint(QString());
    if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
        || url.host().isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("The base URL \"%1\" is not an http or https URL.")
                                 .arg(baseUrl.left(200)));
    if (connectTimeoutMs <= 0 || stallTimeoutMs <= 0)
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("Timeouts must be positive."));
    if (maxRetries < 0 || maxRetries > 10)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("Retries must be between 0 and 10."));
    if (maxTokens <= 0)
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("max_tokens must be positive."));
    if (contextWindow < 0)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("context_window must be positive (or 0: per model)."));
    for (auto it = extraHeaders.cbegin(); it != extraHeaders.cend(); ++it) {
        static const QRegularExpression token(QStringLiteral("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"));
        if (!token.match(it.key()).hasMatch() || it.value().contains(QLatin1Char('\n'))
            || it.value().contains(QLatin1Char('\r')))
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("The header \"%1\" is not a valid HTTP header.")
                                     .arg(it.key().left(80)));
        if (Redactor().isSecretKey(it.key()))
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("The header %1 carries a secret: it would be stored "
                                            "unencrypted in spool.conf. Give the API key as the "
                                            "provider's key instead (kept in the keychain, or "
                                            "read from an environment variable).")
                                     .arg(it.key().left(80)));
    }
    return {};
}

QJsonObject ProviderConfig::toJson() const
{
    const Redactor redactor;
    QJsonObject headers;
    for (auto it = extraHeaders.cbegin(); it != extraHeaders.cend(); ++it)
        headers.insert(it.key(), redactor.isSecretKey(it.key()) ? Redactor::placeholder() : it.value());
    QJsonObject json{
            {QStringLiteral("name"), name},
            {QStringLiteral("kind"), kindName()},
            {QStringLiteral("base_url"), baseUrl.isEmpty() ? defaultBaseUrl(kind) : baseUrl},
            {QStringLiteral("default_model"), defaultModel},
            {QStringLiteral("key_ref"), keyRef},
            {QStringLiteral("extra_headers"), headers},
            {QStringLiteral("connect_timeout_ms"), connectTimeoutMs},
            {QStringLiteral("stall_timeout_ms"), stallTimeoutMs},
            {QStringLiteral("max_retries"), maxRetries},
            {QStringLiteral("max_tokens"), maxTokens},
    };
    if (contextWindow > 0)
        json.insert(QStringLiteral("context_window"), contextWindow);
    return json;
}

} // namespace Spool
