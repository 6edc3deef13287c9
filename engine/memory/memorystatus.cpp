#include "memory/memorystatus.h"

namespace Spool {

QString MemoryStatus::searchMode() const
{
    return !embeddingModel.isEmpty() && vectors > 0 ? QStringLiteral("hybrid")
                                                    : QStringLiteral("lexical");
}

QJsonObject MemoryStatus::toJson() const
{
    QJsonObject o{{QStringLiteral("enabled"), enabled},
                  {QStringLiteral("items"), items},
                  {QStringLiteral("documents"), documents},
                  {QStringLiteral("embedding_model"), embeddingModel},
                  {QStringLiteral("dimension"), dimension},
                  {QStringLiteral("vectors"), vectors},
                  {QStringLiteral("indexing"), indexing},
                  {QStringLiteral("search_mode"), searchMode()}};
    if (!lastError.isEmpty())
        o.insert(QStringLiteral("last_error"), lastError);
    return o;
}

} // namespace Spool
