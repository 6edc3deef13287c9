#pragma once

#include "core/error.h"

namespace Spool::Cli {

// `spool` exit codes; documented in docs/CLI.md. Scripts rely on them: never renumber.
enum ExitCode : int {
    ExitOk = 0,
    ExitFailure = 1,         // the run failed, or the operation failed
    ExitUsage = 2,           // unknown command, bad flag, missing argument
    ExitJournal = 3,         // the journal cannot be used: unreadable, not SQLite, damaged, newer
    ExitNotFound = 4,        // no such session, run, approval or agent
    ExitConflict = 5,        // refused by stored state: wrong owner, key in use, already decided
    ExitCancelled = 6,       // the run was cancelled (by another front end)
    ExitDiskFull = 7,        // the journal's disk is full: nothing new could be written
    ExitInterrupted = 130,   // Ctrl-C: the run was cancelled from this terminal
};

int exitCodeFor(const Error &error);

} // namespace Spool::Cli
