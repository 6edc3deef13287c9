#pragma once

#include "core/result.h"
#include "memory/memoryfilter.h"
#include "memory/memoryimportreport.h"
#include "memory/memoryitem.h"
#include "memory/memoryquery.h"
#include "memory/memorysearchresult.h"
#include "memory/memorystatus.h"

#include <QStringList>

#include <functional>

namespace Spool {

// What the engine remembers across sessions (SPEC §7; Engine::memories()). Items are browsed,
// added, edited, pinned and forgotten directly; ranked search and imports answer later,
// through their callbacks on the engine thread. Its settings are the Engine's.
class Memories
{
public:
    virtual ~Memories() = default;

    virtual MemoryStatus status() const = 0;
    // The same text in the same scope is refused (Conflict, naming the item already there).
    virtual Result<MemoryItem> add(const MemoryItem &item) = 0;
    // Text, tags, scope, pin and expiry of an existing item.
    virtual Result<MemoryItem> update(const MemoryItem &item) = 0;
    // Forgets the item.
    virtual Status remove(qint64 id) = 0;
    virtual Result<MemoryItem> get(qint64 id) const = 0;
    virtual Result<QList<MemoryItem>> list(const MemoryFilter &filter = {}) const = 0;
    // Ranked: hybrid when the query could be embedded and stored vectors exist; otherwise
    // lexical, and the result's note says why.
    virtual void search(const MemoryQuery &query,
                        std::function<void(const Result<MemorySearchResult> &)> done) = 0;
    // Files and folders; every file that cannot be imported has its error in the report.
    virtual void import(const QStringList &paths,
                        std::function<void(const MemoryImportProgress &)> progress,
                        std::function<void(const MemoryImportReport &)> done) = 0;
    // Drops every vector and computes them again in the background.
    virtual Status reindex() = 0;
};

} // namespace Spool
