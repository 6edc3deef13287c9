#include "memory/memoryhit.h"

#include <cmath>

namespace Spool {

namespace {

double rounded(double v)
{
    return std::round(v * 10000.0) / 10000.0;
}

} // namespace

QJsonObject MemoryHit::toJson(int snippetChars) const
{
    QString source = memorySourceName(item.source);
    if (item.source == MemorySource::File && !item.sourceRef.isEmpty())
        source += QLatin1Char(':') + item.sourceRef + QStringLiteral("#") + QString::number(item.chunk);
    QJsonObject o{{QStringLiteral("id"), item.id},
                  {QStringLiteral("score"), rounded(score)},
                  {QStringLiteral("source"), source},
                  {QStringLiteral("scope"), item.scopeLabel()},
                  {QStringLiteral("snippet"), item.snippet(snippetChars)}};
    if (lexicalRank > 0)
        o.insert(QStringLiteral("lexical_rank"), lexicalRank);
    if (vectorRank > 0) {
        o.insert(QStringLiteral("vector_rank"), vectorRank);
        o.insert(QStringLiteral("similarity"), rounded(similarity));
    }
    if (item.pinned)
        o.insert(QStringLiteral("pinned"), true);
    return o;
}

} // namespace Spool
