#pragma once

#include <QMetaType>
#include <QString>

namespace Spool {

// What went wrong, in a form every front end can map: the CLI to an exit code, the GUI to a
// message, the local API to an HTTP status.
enum class ErrorCode {
    None,
    InvalidArgument,   // the caller asked for something malformed (bad key, bad JSON, bad flag)
    NotFound,          // no such session, run, approval
    Conflict,          // the request contradicts stored state (key taken, wrong principal, decided)
    IllegalTransition, // a run state change the lifecycle forbids
    JournalUnavailable,// the journal file cannot be opened (permissions, missing folder)
    JournalNotSqlite,  // the journal file is not an SQLite database
    JournalCorrupt,    // the journal fails its integrity check
    Storage,           // an SQL statement or transaction failed (I/O error, locked)
    DiskFull,          // the journal's disk (or its size limit) is full: nothing new can be written
    Provider,          // the model provider failed
    Tool,              // a tool failed to run
    Cancelled,         // the operation was cancelled
    Internal,          // a programming error
};

struct Error
{
    ErrorCode code = ErrorCode::None;
    QString message;

    bool isError() const { return code != ErrorCode::None; }
};

QString errorCodeName(ErrorCode code);

} // namespace Spool

Q_DECLARE_METATYPE(Spool::Error)
