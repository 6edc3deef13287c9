// The fault VFS (faultvfs.h) as a library to LD_PRELOAD into a real `spool` process, so that
// its journal meets the I/O errors a test chooses. It links the system libsqlite3, which is
// thus loaded before Qt's QSQLITE driver asks for it: the driver's connections open through
// the VFS registered here as the default.
//
// Controlled by the environment, read once when the library is loaded:
//   SPOOL_FAULT_VFS      the faults, "op[,suffix[,after[,times[,code]]]]" separated by ';'
//                        (op: read, write, sync, truncate, shmmap; suffix: the end of the
//                        file's name, e.g. "-wal" or ".sqlite3", empty for any file; after:
//                        matching calls that still succeed; times: failures then, -1 for
//                        every call; code: the SQLite result code, 0 for the operation's own
//                        SQLITE_IOERR_*). Example: "write,-wal;sync,-wal".
//   SPOOL_FAULT_VFS_LOG  a file that gets one line per failure injected ("write <path>"), so
//                        a test can tell its fault really fired.
//   SPOOL_FAULT_VFS_TRIGGER  a file: the faults fire only while it exists, so a test can
//                        break the disk under a process in the middle of its work.
// A malformed SPOOL_FAULT_VFS is said on stderr and the process exits with status 99, so a
// typo in a test never passes for a working disk.

#include "faultvfs.h"

#include <cstdio>
#include <cstdlib>

namespace {

__attribute__((constructor)) void installFaultVfs()
{
    using namespace Spool::Test;
    if (!FaultVfs::install()) {
        std::fprintf(stderr, "faultvfs: cannot register the SQLite VFS\n");
        std::_Exit(99);
    }
    if (const char *log = std::getenv("SPOOL_FAULT_VFS_LOG"))
        FaultVfs::setLogFile(log);
    if (const char *trigger = std::getenv("SPOOL_FAULT_VFS_TRIGGER"))
        FaultVfs::setTriggerFile(trigger);
    if (const char *spec = std::getenv("SPOOL_FAULT_VFS")) {
        if (!FaultVfs::injectSpec(spec)) {
            std::fprintf(stderr, "faultvfs: cannot parse SPOOL_FAULT_VFS=\"%s\"\n", spec);
            std::_Exit(99);
        }
    }
}

} // namespace
