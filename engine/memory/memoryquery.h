#pragma once

#include "memory/memoryitem.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace Spool {

// A ranked search (SPEC §7): hybrid when the current embedding model has vectors, else lexical.
struct MemoryQuery
{
    QString text;
    int limit = 10;         // top-k
    double minScore = 0;    // hits below this fused score are left out
    // Scopes: global items always; agent items of `agent`, session items of `sessionId`.
    // allScopes searches every item whatever its scope (the CLI and the Memory view).
    QString agent;
    QString sessionId;
    bool allScopes = false;
    QList<MemorySource> sources; // empty: every source
    QString tag;                 // non-empty: only items with this tag
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::MemoryQuery)
