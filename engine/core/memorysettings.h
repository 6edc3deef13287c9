#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace Spool {

// The `memory/...` settings of spool.conf (Settings → Memory, `spool memory`): whether runs are
// given relevant memory, how much, and which provider computes embeddings.
struct MemorySettings
{
    bool enabled = true;
    int topK = 5;              // hits considered for a run
    int tokenBudget = 1200;    // tokens of memory a run may be given
    double minScore = 0.35;    // fused score below which a hit is not given to a run
    // A configured provider with an OpenAI-compatible /embeddings endpoint, and its model.
    // Empty provider: no embeddings, search is lexical.
    QString embeddingProvider;
    QString embeddingModel;
    QStringList folders;       // imported and re-imported (Settings → Memory, `spool memory import`)

    // "provider/model", or empty when no embeddings are configured.
    QString embeddingId() const;
    QJsonObject toJson() const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::MemorySettings)
