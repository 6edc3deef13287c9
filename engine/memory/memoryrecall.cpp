#include "memory/memoryrecall.h"

namespace Spool {

QJsonArray MemoryRecall::hitsJson() const
{
    QJsonArray list;
    for (const MemoryHit &h : hits)
        list.append(h.toJson());
    return list;
}

} // namespace Spool
