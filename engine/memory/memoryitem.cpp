#include "memory/memoryitem.h"

#include <QCryptographicHash>
#include <QJsonArray>

namespace Spool {

QString memoryScopeName(MemoryScope scope)
{
    switch (scope) {
    case MemoryScope::Global: return QStringLiteral("global");
    case MemoryScope::Agent: return QStringLiteral("agent");
    case MemoryScope::Session: return QStringLiteral("session");
    }
    return QStringLiteral("global");
}

std::optional<MemoryScope> parseMemoryScope(const QString &name)
{
    for (MemoryScope s : {MemoryScope::Global, MemoryScope::Agent, MemoryScope::Session}) {
        if (memoryScopeName(s) == name)
            return s;
    }
    return std::nullopt;
}

QString memorySourceName(MemorySource source)
{
    switch (source) {
    case MemorySource::User: return QStringLiteral("user");
    case MemorySource::Agent: return QStringLiteral("agent");
    case MemorySource::File: return QStringLiteral("file");
    case MemorySource::Run: return QStringLiteral("run");
    }
    return QStringLiteral("user");
}

std::optional<MemorySource> parseMemorySource(const QString &name)
{
    for (MemorySource s : {MemorySource::User, MemorySource::Agent, MemorySource::File,
                           MemorySource::Run}) {
        if (memorySourceName(s) == name)
            return s;
    }
    return std::nullopt;
}

QString MemoryItem::scopeLabel() const
{
    return scope == MemoryScope::Global ? memoryScopeName(scope)
                                        : memoryScopeName(scope) + QLatin1Char(':') + scopeKey;
}

QString MemoryItem::snippet(int maxChars) const
{
    QString s = text.simplified();
    if (s.size() > maxChars)
        s = s.left(maxChars - 1) + QChar(0x2026);
    return s;
}

QJsonObject MemoryItem::toJson() const
{
    QJsonObject o{{QStringLiteral("id"), id},
                  {QStringLiteral("text"), text},
                  {QStringLiteral("source"), memorySourceName(source)},
                  {QStringLiteral("scope"), memoryScopeName(scope)},
                  {QStringLiteral("tags"), QJsonArray::fromStringList(tags)},
                  {QStringLiteral("pinned"), pinned},
                  {QStringLiteral("created_at"), createdAt},
                  {QStringLiteral("updated_at"), updatedAt},
                  {QStringLiteral("content_hash"), contentHash},
                  {QStringLiteral("has_vector"), hasVector}};
    if (!scopeKey.isEmpty())
        o.insert(QStringLiteral("scope_key"), scopeKey);
    if (expiresAt > 0)
        o.insert(QStringLiteral("expires_at"), expiresAt);
    if (!sourceRef.isEmpty())
        o.insert(QStringLiteral("source_ref"), sourceRef);
    if (chunk >= 0)
        o.insert(QStringLiteral("chunk"), chunk);
    if (!heading.isEmpty())
        o.insert(QStringLiteral("heading"), heading);
    if (!runId.isEmpty())
        o.insert(QStringLiteral("run_id"), runId);
    return o;
}

QString MemoryItem::normalizedText(const QString &text)
{
    QString t = text;
    t.replace(QStringLiteral("\r\n"), QStringLiteral("\n"));
    t.replace(QLatin1Char('\r'), QLatin1Char('\n'));
    return t.trimmed();
}

QString MemoryItem::hashText(const QString &text)
{
    return QString::fromLatin1(
            QCryptographicHash::hash(normalizedText(text).toUtf8(), QCryptographicHash::Sha256)
                    .toHex());
}

} // namespace Spool
