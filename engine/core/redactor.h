#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Spool {

// Replaces the values of secret fields before anything reaches the tape or a log. Matching is
// by exact key name (ASCII case-insensitive, since HTTP header names are), never by substring:
// "token" is redacted, "prompt_tokens" is not.
class Redactor
{
public:
    static QStringList defaultKeys();
    static QString placeholder() { return QStringLiteral("[redacted]"); }

    Redactor();
    explicit Redactor(const QStringList &keys);

    void addKeys(const QStringList &keys);
    bool isSecretKey(const QString &key) const;

    QJsonObject redact(const QJsonObject &object) const;
    bool containsSecret(const QJsonValue &value) const;
    QJsonValue redact(const QJsonValue &value) const;

private:
    QStringList m_keys; // lower-cased; few enough that a scan beats hashing a lowered copy
};

} // namespace Spool
