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
    QString check; // "ok", or what the check found
    qint64 tapeEvents = 0;
};

} // namespace Spool
