#include "core/redactor.h"

#include <QJsonArray>

namespace Spool {

QStringList Redactor::defaultKeys()
{
    return {
        QStringLiteral("api_key"),       QStringLiteral("apikey"),
        QStringLiteral("api-key"),       QStringLiteral("x-api-key"),
        QStringLiteral("authorization"), QStringLiteral("proxy-authorization"),
        QStringLiteral("password"),      QStringLiteral("secret"),
        QStringLiteral("client_secret"), QStringLiteral("access_token"),
        QStringLiteral("refresh_token"), QStringLiteral("token"),
        QStringLiteral("cookie"),        QStringLiteral("set-cookie"),
    };
}

Redactor::Redactor() : Redactor(defaultKeys()) {}

Redactor::Redactor(const QStringList &keys)
{
    addKeys(keys);
}

void Redactor::addKeys(const QStringList &keys)
{
    for (const QString &k : keys) {
        const QString trimmed = k.trimmed();
        if (!trimmed.isEmpty() && !m_keys.contains(trimmed.toLower()))
            m_keys.append(trimmed.toLower());
    }
}

bool Redactor::isSecretKey(const QString &key) const
{
    for (const QString &k : m_keys) {
        if (k.size() == key.size() && key.compare(k, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

bool Redactor::containsSecret(const QJsonValue &value) const
{
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if ((isSecretKey(it.key()) && !it.value().isNull()) || containsSecret(it.value()))
                return true;
        }
    } else if (value.isArray()) {
        const QJsonArray array = value.toArray();
        for (const QJsonValue &v : array) {
            if (containsSecret(v))
                return true;
        }
    }
    return false;
}

QJsonObject Redactor::redact(const QJsonObject &object) const
{
    // Most payloads hold no secret: scanning is much cheaper than rebuilding them.
    if (!containsSecret(object))
        return object;
    QJsonObject out;
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        if (isSecretKey(it.key()) && !it.value().isNull())
            out.insert(it.key(), placeholder());
        else
            out.insert(it.key(), redact(it.value()));
    }
    return out;
}

QJsonValue Redactor::redact(const QJsonValue &value) const
{
    if (value.isObject())
        return redact(value.toObject());
    if (value.isArray()) {
        QJsonArray out;
        const QJsonArray in = value.toArray();
        for (const QJsonValue &v : in)
            out.append(redact(v));
        return out;
    }
    return value;
}

} // namespace Spool
