#pragma once

#include <string>

// An SQLite VFS for tests that wraps the default "unix" VFS and makes chosen file operations
// fail with the I/O error codes a real disk gives (SQLITE_IOERR_WRITE, _FSYNC, _TRUNCATE,
// _READ, _SHMMAP). Installed as the process's default VFS, it sits under every connection the
// process opens on the system libsqlite3, Qt's QSQLITE driver included: a test can break the
// engine's own journal without touching its code.
//
// Plain C++ against sqlite3.h (no Qt), so the LD_PRELOAD library built from it
// (faultvfspreload.cpp) can put the same faults under a real `spool` process.
namespace Spool::Test::FaultVfs {

enum class Op { Read, Write, Sync, Truncate, ShmMap };

struct Fault
{
    Op op = Op::Write;
    // The file whose operations fail: its name ends with this ("-wal", ".sqlite3"); empty
    // matches every file. ShmMap faults match the database's name with "-shm" appended.
    std::string suffix;
    int after = 0;  // matching calls that still succeed once the fault is armed
    int times = -1; // failures after those; -1: every call until clear()
    int code = 0;   // 0: the operation's own SQLITE_IOERR_* code
};

// Registers the VFS ("spoolfault") as the default one; true when it is (again) in place.
bool install();

void inject(const Fault &fault);
// Parses and injects a list of faults: "op[,suffix[,after[,times[,code]]]]" separated by ';'
// with op one of read, write, sync, truncate, shmmap; for example "write,-wal" or
// "sync,-wal,2,1". Returns false (and injects nothing) on a malformed list.
bool injectSpec(const std::string &spec);
// Removes every fault; counts start over.
void clear();

// Failures returned since the last clear(), for a test to know its fault really fired.
int failures();
int failures(Op op);
// Calls of `op` seen since the last clear() on files whose name ends with `suffix`.
int calls(Op op, const std::string &suffix = {});

// Faults fire only while this file exists (their `after` counts calls from then), so that a
// test can break the disk under a process already at work; empty: always.
void setTriggerFile(const std::string &path);

// Appends one line per injected failure ("write /path/journal.sqlite3-wal") to this file;
// empty: no log.
void setLogFile(const std::string &path);

} // namespace Spool::Test::FaultVfs
