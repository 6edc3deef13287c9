#pragma once

#include "memory/memoryitem.h"

#include <QJsonObject>
#include <QMetaType>

namespace Spool {

// One search result: the item, its fused score and the parts it came from.
struct MemoryHit
{
    MemoryItem item;
    // 0..1: the reciprocal-rank fusion of both lists (1 for first in every list used), times
    // 0.85 + 0.15 * recency (halving every 90 days), scaled to 0.9, plus 0.1 when pinned.
    double score = 0;
    int lexicalRank = 0;    // 1-based place in the BM25 list; 0 when not in it
    int vectorRank = 0;     // 1-based place in the cosine list; 0 when not in it
    double bm25 = 0;        // the BM25 score (higher is better) when lexicalRank > 0
    double similarity = 0;  // the cosine similarity when vectorRank > 0

    // {id, score, source, snippet, scope, lexical_rank?, vector_rank?, similarity?}: what the
    // `context` tape event and --json list.
    QJsonObject toJson(int snippetChars = 160) const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::MemoryHit)
