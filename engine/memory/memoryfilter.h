#pragma once

#include "memory/memoryitem.h"

#include <QMetaType>
#include <QString>

#include <optional>

namespace Spool {

// What the Memory view and `spool memory list` browse: newest first, pinned first, filtered.
struct MemoryFilter
{
    QString text;                        // words that must all occur (the FTS5 index); empty: all
    std::optional<MemoryScope> scope;    // empty: every scope
    QString scopeKey;                    // with scope Agent or Session: only that agent/session
    std::optional<MemorySource> source;  // empty: every source
    QString tag;
    bool pinnedOnly = false;
    bool includeExpired = false;
    int limit = 500;
    int offset = 0;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::MemoryFilter)
