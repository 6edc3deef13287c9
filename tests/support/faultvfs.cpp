#include "faultvfs.h"

#include <sqlite3.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <vector>

#include <unistd.h>

namespace Spool::Test::FaultVfs {

namespace {

constexpr int kOps = 5;
constexpr std::size_t kNameTail = 512;

// One open file: ours first, the wrapped unix file right behind it (szOsFile covers both).
struct alignas(8) FaultFile
{
    sqlite3_file base;
    sqlite3_file *real;
    char name[kNameTail]; // the file's name (its last bytes, if longer), for matching
};

struct ArmedFault
{
    Fault fault;
    int seen = 0;   // matching calls since armed
    int failed = 0; // failures returned
};

struct State
{
    std::mutex mutex;
    std::vector<ArmedFault> faults;
    std::map<std::string, std::array<int, kOps>> calls;
    std::array<int, kOps> failures{};
    std::string logFile;
    std::string trigger;
    std::atomic<bool> armed{false};
};

State &state()
{
    static State s;
    return s;
}

sqlite3_vfs *g_real = nullptr;
sqlite3_vfs g_vfs{};

bool endsWith(const std::string &name, const std::string &suffix)
{
    return suffix.size() <= name.size()
            && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

int defaultCode(Op op)
{
    switch (op) {
    case Op::Read: return SQLITE_IOERR_READ;
    case Op::Write: return SQLITE_IOERR_WRITE;
    case Op::Sync: return SQLITE_IOERR_FSYNC;
    case Op::Truncate: return SQLITE_IOERR_TRUNCATE;
    case Op::ShmMap: return SQLITE_IOERR_SHMMAP;
    }
    return SQLITE_IOERR;
}

const char *opName(Op op)
{
    switch (op) {
    case Op::Read: return "read";
    case Op::Write: return "write";
    case Op::Sync: return "sync";
    case Op::Truncate: return "truncate";
    case Op::ShmMap: return "shmmap";
    }
    return "?";
}

// SQLITE_OK, or the error this call of `op` on `name` is to fail with.
int check(Op op, const std::string &name)
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    s.calls[name][int(op)]++;
    if (!s.armed.load(std::memory_order_relaxed))
        return SQLITE_OK;
    if (!s.trigger.empty() && ::access(s.trigger.c_str(), F_OK) != 0)
        return SQLITE_OK;
    for (ArmedFault &a : s.faults) {
        if (a.fault.op != op || !endsWith(name, a.fault.suffix))
            continue;
        if (a.seen++ < a.fault.after)
            continue;
        if (a.fault.times >= 0 && a.failed >= a.fault.times)
            continue;
        a.failed++;
        s.failures[int(op)]++;
        if (!s.logFile.empty()) {
            if (FILE *log = std::fopen(s.logFile.c_str(), "a")) {
                std::fprintf(log, "%s %s\n", opName(op), name.c_str());
                std::fclose(log);
            }
        }
        return a.fault.code ? a.fault.code : defaultCode(op);
    }
    return SQLITE_OK;
}

// Whether a read of `name` could fail now: then pages are not memory-mapped, so that reads
// go through xRead (SQLite falls back to it when xFetch maps nothing).
bool readFaultArmed(const std::string &name)
{
    State &s = state();
    if (!s.armed.load(std::memory_order_relaxed))
        return false;
    std::lock_guard lock(s.mutex);
    for (const ArmedFault &a : s.faults) {
        if (a.fault.op == Op::Read && endsWith(name, a.fault.suffix))
            return true;
    }
    return false;
}

FaultFile *ff(sqlite3_file *f)
{
    return reinterpret_cast<FaultFile *>(f);
}

sqlite3_file *real(sqlite3_file *f)
{
    return ff(f)->real;
}

// --- the file's methods: check for a fault, else pass on to the unix file -------------------

int xClose(sqlite3_file *f)
{
    return real(f)->pMethods->xClose(real(f));
}

int xRead(sqlite3_file *f, void *buffer, int amount, sqlite3_int64 offset)
{
    if (int rc = check(Op::Read, ff(f)->name))
        return rc;
    return real(f)->pMethods->xRead(real(f), buffer, amount, offset);
}

int xWrite(sqlite3_file *f, const void *buffer, int amount, sqlite3_int64 offset)
{
    if (int rc = check(Op::Write, ff(f)->name))
        return rc;
    return real(f)->pMethods->xWrite(real(f), buffer, amount, offset);
}

int xTruncate(sqlite3_file *f, sqlite3_int64 size)
{
    if (int rc = check(Op::Truncate, ff(f)->name))
        return rc;
    return real(f)->pMethods->xTruncate(real(f), size);
}

int xSync(sqlite3_file *f, int flags)
{
    if (int rc = check(Op::Sync, ff(f)->name))
        return rc;
    return real(f)->pMethods->xSync(real(f), flags);
}

int xFileSize(sqlite3_file *f, sqlite3_int64 *size)
{
    return real(f)->pMethods->xFileSize(real(f), size);
}

int xLock(sqlite3_file *f, int level)
{
    return real(f)->pMethods->xLock(real(f), level);
}

int xUnlock(sqlite3_file *f, int level)
{
    return real(f)->pMethods->xUnlock(real(f), level);
}

int xCheckReservedLock(sqlite3_file *f, int *out)
{
    return real(f)->pMethods->xCheckReservedLock(real(f), out);
}

int xFileControl(sqlite3_file *f, int op, void *arg)
{
    return real(f)->pMethods->xFileControl(real(f), op, arg);
}

int xSectorSize(sqlite3_file *f)
{
    return real(f)->pMethods->xSectorSize(real(f));
}

int xDeviceCharacteristics(sqlite3_file *f)
{
    return real(f)->pMethods->xDeviceCharacteristics(real(f));
}

int xShmMap(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
    if (int rc = check(Op::ShmMap, std::string(ff(f)->name) + "-shm"))
        return rc;
    return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}

int xShmLock(sqlite3_file *f, int offset, int n, int flags)
{
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}

void xShmBarrier(sqlite3_file *f)
{
    real(f)->pMethods->xShmBarrier(real(f));
}

int xShmUnmap(sqlite3_file *f, int deleteFlag)
{
    return real(f)->pMethods->xShmUnmap(real(f), deleteFlag);
}

int xFetch(sqlite3_file *f, sqlite3_int64 offset, int amount, void **out)
{
    if (readFaultArmed(ff(f)->name)) {
        *out = nullptr;
        return SQLITE_OK;
    }
    return real(f)->pMethods->xFetch(real(f), offset, amount, out);
}

int xUnfetch(sqlite3_file *f, sqlite3_int64 offset, void *p)
{
    return real(f)->pMethods->xUnfetch(real(f), offset, p);
}

// Version 3, as the unix VFS's own files are (shared memory and memory-mapped reads).
const sqlite3_io_methods g_methods = {
    3,
    xClose,
    xRead,
    xWrite,
    xTruncate,
    xSync,
    xFileSize,
    xLock,
    xUnlock,
    xCheckReservedLock,
    xFileControl,
    xSectorSize,
    xDeviceCharacteristics,
    xShmMap,
    xShmLock,
    xShmBarrier,
    xShmUnmap,
    xFetch,
    xUnfetch,
};

// --- the VFS: opens wrap the unix file, everything else is the unix VFS's own ---------------

int vfsOpen(sqlite3_vfs *, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags)
{
    FaultFile *f = ff(file);
    f->real = reinterpret_cast<sqlite3_file *>(f + 1);
    f->name[0] = '\0';
    if (name) {
        const std::size_t length = std::strlen(name);
        const char *tail = length >= kNameTail ? name + length - (kNameTail - 1) : name;
        std::strncpy(f->name, tail, kNameTail - 1);
        f->name[kNameTail - 1] = '\0';
    }
    const int rc = g_real->xOpen(g_real, name, f->real, flags, outFlags);
    // SQLite calls xClose exactly when pMethods is set, whatever xOpen returned; the unix file
    // says whether it has something to close.
    f->base.pMethods = f->real->pMethods ? &g_methods : nullptr;
    return rc;
}

int vfsDelete(sqlite3_vfs *, const char *name, int syncDir)
{
    return g_real->xDelete(g_real, name, syncDir);
}

int vfsAccess(sqlite3_vfs *, const char *name, int flags, int *out)
{
    return g_real->xAccess(g_real, name, flags, out);
}

int vfsFullPathname(sqlite3_vfs *, const char *name, int size, char *out)
{
    return g_real->xFullPathname(g_real, name, size, out);
}

void *vfsDlOpen(sqlite3_vfs *, const char *name)
{
    return g_real->xDlOpen(g_real, name);
}

void vfsDlError(sqlite3_vfs *, int size, char *out)
{
    g_real->xDlError(g_real, size, out);
}

void (*vfsDlSym(sqlite3_vfs *, void *handle, const char *symbol))(void)
{
    return g_real->xDlSym(g_real, handle, symbol);
}

void vfsDlClose(sqlite3_vfs *, void *handle)
{
    g_real->xDlClose(g_real, handle);
}

int vfsRandomness(sqlite3_vfs *, int size, char *out)
{
    return g_real->xRandomness(g_real, size, out);
}

int vfsSleep(sqlite3_vfs *, int microseconds)
{
    return g_real->xSleep(g_real, microseconds);
}

int vfsCurrentTime(sqlite3_vfs *, double *out)
{
    return g_real->xCurrentTime(g_real, out);
}

int vfsGetLastError(sqlite3_vfs *, int size, char *out)
{
    return g_real->xGetLastError ? g_real->xGetLastError(g_real, size, out) : 0;
}

int vfsCurrentTimeInt64(sqlite3_vfs *, sqlite3_int64 *out)
{
    return g_real->xCurrentTimeInt64(g_real, out);
}

int vfsSetSystemCall(sqlite3_vfs *, const char *name, sqlite3_syscall_ptr call)
{
    return g_real->xSetSystemCall(g_real, name, call);
}

sqlite3_syscall_ptr vfsGetSystemCall(sqlite3_vfs *, const char *name)
{
    return g_real->xGetSystemCall(g_real, name);
}

const char *vfsNextSystemCall(sqlite3_vfs *, const char *name)
{
    return g_real->xNextSystemCall(g_real, name);
}

bool parseOp(const std::string &word, Op &op)
{
    static const std::map<std::string, Op> ops{{"read", Op::Read},
                                               {"write", Op::Write},
                                               {"sync", Op::Sync},
                                               {"truncate", Op::Truncate},
                                               {"shmmap", Op::ShmMap}};
    const auto it = ops.find(word);
    if (it == ops.end())
        return false;
    op = it->second;
    return true;
}

bool parseInt(const std::string &word, int &value)
{
    if (word.empty())
        return true; // keeps the default
    char *end = nullptr;
    const long v = std::strtol(word.c_str(), &end, 10);
    if (*end != '\0')
        return false;
    value = int(v);
    return true;
}

std::vector<std::string> split(const std::string &text, char separator)
{
    std::vector<std::string> parts;
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, separator))
        parts.push_back(part);
    if (!text.empty() && text.back() == separator)
        parts.emplace_back();
    return parts;
}

} // namespace

bool install()
{
    static std::once_flag once;
    std::call_once(once, [] {
        g_real = sqlite3_vfs_find("unix");
        if (!g_real || g_real->iVersion < 3)
            return;
        g_vfs.iVersion = 3;
        g_vfs.szOsFile = int(sizeof(FaultFile)) + g_real->szOsFile;
        g_vfs.mxPathname = g_real->mxPathname;
        g_vfs.zName = "spoolfault";
        g_vfs.xOpen = vfsOpen;
        g_vfs.xDelete = vfsDelete;
        g_vfs.xAccess = vfsAccess;
        g_vfs.xFullPathname = vfsFullPathname;
        g_vfs.xDlOpen = vfsDlOpen;
        g_vfs.xDlError = vfsDlError;
        g_vfs.xDlSym = vfsDlSym;
        g_vfs.xDlClose = vfsDlClose;
        g_vfs.xRandomness = vfsRandomness;
        g_vfs.xSleep = vfsSleep;
        g_vfs.xCurrentTime = vfsCurrentTime;
        g_vfs.xGetLastError = vfsGetLastError;
        g_vfs.xCurrentTimeInt64 = vfsCurrentTimeInt64;
        g_vfs.xSetSystemCall = vfsSetSystemCall;
        g_vfs.xGetSystemCall = vfsGetSystemCall;
        g_vfs.xNextSystemCall = vfsNextSystemCall;
    });
    if (!g_real || !g_vfs.xOpen)
        return false;
    return sqlite3_vfs_register(&g_vfs, 1) == SQLITE_OK && sqlite3_vfs_find(nullptr) == &g_vfs;
}

void inject(const Fault &fault)
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    s.faults.push_back(ArmedFault{fault});
    s.armed = true;
}

bool injectSpec(const std::string &spec)
{
    std::vector<Fault> faults;
    for (const std::string &entry : split(spec, ';')) {
        if (entry.empty())
            continue;
        const std::vector<std::string> fields = split(entry, ',');
        if (fields.size() > 5)
            return false;
        Fault f;
        if (!parseOp(fields[0], f.op))
            return false;
        if (fields.size() > 1)
            f.suffix = fields[1];
        if ((fields.size() > 2 && !parseInt(fields[2], f.after))
            || (fields.size() > 3 && !parseInt(fields[3], f.times))
            || (fields.size() > 4 && !parseInt(fields[4], f.code)))
            return false;
        faults.push_back(f);
    }
    for (const Fault &f : faults)
        inject(f);
    return true;
}

void clear()
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    s.faults.clear();
    s.calls.clear();
    s.failures = {};
    s.armed = false;
}

int failures()
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    int total = 0;
    for (int n : s.failures)
        total += n;
    return total;
}

int failures(Op op)
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    return s.failures[int(op)];
}

int calls(Op op, const std::string &suffix)
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    int total = 0;
    for (const auto &[name, counts] : s.calls) {
        if (endsWith(name, suffix))
            total += counts[int(op)];
    }
    return total;
}

void setTriggerFile(const std::string &path)
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    s.trigger = path;
}

void setLogFile(const std::string &path)
{
    State &s = state();
    std::lock_guard lock(s.mutex);
    s.logFile = path;
}

} // namespace Spool::Test::FaultVfs
