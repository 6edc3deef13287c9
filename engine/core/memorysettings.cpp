#include "core/memorysettings.h"

#include <QJsonArray>

namespace Spool {

QString MemorySettings::embeddingId() const
{
    if (embeddingProvider.isEmpty())
        return {};
    return embeddingProvider + QLatin1Char('/') + embeddingModel;
}

QJsonObject MemorySettings::toJson() const
{
    return QJsonObject{{QStringLiteral("enabled"), enabled},
                       {QStringLiteral("top_k"), topK},
                       {QStringLiteral("token_budget"), tokenBudget},
                       {QStringLiteral("min_score"), minScore},
                       {QStringLiteral("embedding_provider"), embeddingProvider},
                       {QStringLiteral("embedding_model"), embeddingModel},
                       {QStringLiteral("folders"), QJsonArray::fromStringList(folders)}};
}

} // namespace Spool
