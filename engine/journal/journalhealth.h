#pragma once

#include <QString>

namespace Spool {

// What `spool status` and the operations view say about the journal file.
struct JournalHealth
{
    QString path;
    qint64 fileBytes = 0;
    qint64 walBytes = 0;
    int schemaVersion = 0;
    QString check; // "ok", or what the check found, or "not checked"
    // When the journal was last checked in full (when opened, or earlier: JournalStore), in
    // milliseconds since the epoch; 0 if never.
    qint64 lastFullCheckMs = 0;
    qint64 tapeEvents = 0;
    // Commits this process made since it opened the journal: those that synced the disk, and
    // those deferred to the next sync (JournalStore::Commit).
    qint64 syncedCommits = 0;
    qint64 deferredCommits = 0;
};

} // namespace Spool
