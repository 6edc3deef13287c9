#pragma once

#include "core/result.h"
#include "providers/retrypolicy.h"

#include <QJsonObject>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QUrl>

#include <optional>

namespace Spool {

// One configured model provider (SPEC §5): which API it speaks, where, with which key and
// default model, and how patient Spool is with it. Stored in `spool.conf` by ProviderSettings;
// the key itself lives in the KeyStore and only its reference is here.
struct ProviderConfig
{
    enum class Kind { OpenAi, Anthropic };

    QString name;          // what agents refer to; [A-Za-z0-9._-], 1-64 characters
    Kind kind = Kind::OpenAi;
    QString baseUrl;       // e.g. https://api.openai.com/v1, http://127.0.0.1:11434/v1
    QString defaultModel;
    // Where the API key is: "" for none (local servers), "env:NAME" for an environment
    // variable, anything else is an entry of the KeyStore (by default "provider/<name>").
    QString keyRef;
    QMap<QString, QString> extraHeaders; // sent with every request (organisation, project, ...)
    int connectTimeoutMs = 10000;
    int stallTimeoutMs = 60000;          // no byte for this long during a call is an error
    int maxRetries = 2;
    qint64 retryBaseDelayMs = 500;
    qint64 maxRetryDelayMs = 60000;      // the longest Retry-After honoured
    int maxTokens = 4096;                // Anthropic requires max_tokens; OpenAI only if set here
    bool sendMaxTokens = false;          // whether OpenAI requests carry max_tokens
    // Tokens the models of this provider take in one request; 0: known per model (ContextWindow).
    int contextWindow = 0;

    static QString kindName(Kind kind);
    static std::optional<Kind> parseKind(const QString &name);
    static QString defaultBaseUrl(Kind kind);
    static QString defaultKeyRef(const QString &providerName);
    static bool isValidName(const QString &name);
    // "env:NAME": the key is read from the environment variable NAME when it is needed.
    static bool isEnvironmentRef(const QString &ref) { return ref.startsWith(QLatin1String("env:")); }
    bool keyFromEnvironment() const { return isEnvironmentRef(keyRef); }

    QString kindName() const { return kindName(kind); }
    // The base URL with `path` appended ("/chat/completions", "/v1/messages", ...).
    QUrl endpoint(const QString &path) const;
    RetryPolicy retryPolicy() const;
    // Refuses what cannot work or would leak: a bad name or URL, impossible limits, malformed
    // headers, and extra headers that carry a secret (Authorization, *key*, *token*, ...): they
    // would be stored unencrypted in spool.conf, where the key belongs in the keychain.
    Status validate() const;

    // For front ends and --json: never the key, and extra header values only when they are
    // not secrets (Redactor's key names).
    QJsonObject toJson() const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::ProviderConfig)
