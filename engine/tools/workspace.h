#pragma once

#include "core/result.h"
#include "tools/uniquefd.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>
#include <optional>

namespace Spool {

// A session's folder, and the only way the file tools touch the disk.
//
// Paths from the model are relative, '/'-separated, and checked lexically first: no absolute
// paths, no '~', no '..' anywhere, no NUL or control characters, at most 4096 bytes and 255 per
// name. They are then resolved *by descriptor*, beneath the workspace root:
// - with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) where the kernel has it (5.6+): the
//   kernel refuses any resolution that leaves the root, including through symbolic links, and
//   links that stay inside are followed;
// - otherwise by walking one name at a time with openat(O_NOFOLLOW): stricter, no symbolic link
//   is followed at all.
// Files are then used through the descriptor that was checked, so a symbolic link swapped in
// after the check cannot redirect the read or the write. Only regular files are read or written:
// devices, FIFOs and sockets are refused without being opened for I/O.
//
// Writes replace the file atomically (a temporary file in the same folder, then rename): never
// through a symbolic link in the last name (refused), never into a hard-linked inode shared with
// a file outside (the rename gives the path a new inode). They are refused in control folders,
// after resolving where the folder really is (a link to `.git/hooks` counts as `.git/hooks`):
// see protectedNames().
class Workspace
{
public:
    enum class Resolver { Automatic, Openat2, Walk };

    enum class EntryType { File, Directory, Symlink, Other };

    // One name met by walk(). `dirFd` and `name` are valid during the visit only.
    struct Entry
    {
        QString path; // relative to the root
        QString name;
        QByteArray rawName; // the name as the file system has it (not always UTF-8)
        EntryType type = EntryType::Other;
        qint64 size = 0;
        int depth = 0; // 1 for the entries of the starting folder
        int dirFd = -1;
    };
    enum class Visit { Continue, SkipChildren, Stop };

    // The current content of a file about to be written, read through the descriptor that the
    // write will use. `current` is empty when the file does not exist yet.
    struct WriteTarget
    {
        QString path;
        std::optional<QByteArray> current;
    };
    using Transform = std::function<Result<QByteArray>(const WriteTarget &target)>;

    // `root` must be an absolute path to an existing folder.
    static Result<Workspace> open(const QString &root, Resolver resolver = Resolver::Automatic);
    // Where a session without a folder of its own works: `defaultRoot`/<session id>, or
    // nothing when there is no default root. forCall() creates it; others only show it.
    static QString defaultFolder(const QString &defaultRoot, const QString &sessionId);
    // The workspace of a tool call: the session's folder when it has one, else
    // defaultFolder(), created (mode 0700) on first use.
    static Result<Workspace> forCall(const QString &sessionWorkspace, const QString &sessionId,
                                     const QString &defaultRoot,
                                     Resolver resolver = Resolver::Automatic);

    QString root() const { return m_root; }
    Resolver resolver() const { return m_resolver; }
    static bool kernelHasOpenat2();

    // The lexical check: "src//./a.txt" -> "src/a.txt"; "" and "." -> ".". The error says what
    // is wrong for the model to correct.
    static Result<QString> normalize(const QString &path);
    // Names no write may touch, at any depth, compared without case: version control folders
    // (.git, .hg, .svn, .bzr, _darcs, .jj, .pijul: hooks and config run code) and editor /
    // shell automation that runs code when a folder is opened (.vscode, .idea, .envrc, .direnv).
    static const QStringList &protectedNames();
    static bool isProtected(const QString &relativePath);
    // A version control folder (.git, .hg, .svn, .bzr, .jj, _darcs): listing and search skip
    // their inside.
    static bool isVersionControlFolder(const QString &name);

    // A regular file opened for reading; `size` receives its size.
    Result<UniqueFd> openForRead(const QString &path, qint64 *size = nullptr) const;
    // Checks that `path` is a folder inside the workspace; returns its real absolute path.
    Result<QString> directory(const QString &path) const;

    // What a write of `path` would start from, with every check the write makes, but without
    // creating anything: for the approval preview. Refusals come back as errors.
    Result<WriteTarget> inspectWrite(const QString &path, qint64 maxBytes) const;
    // Reads the current content (at most `maxBytes`, else refused), lets `transform` compute the
    // new content, and replaces the file atomically. `createDirectories` makes missing folders.
    Status write(const QString &path, const Transform &transform, qint64 maxBytes,
                 bool createDirectories) const;

    // Depth-first, names sorted, never following symbolic links (they are reported as such).
    // `maxDepth` 1 lists the folder itself. Stops early when `cancel` becomes true.
    Status walk(const QString &start, int maxDepth, const std::function<Visit(const Entry &)> &visit,
                const std::atomic_bool *cancel = nullptr) const;
    // Reads a regular file met by walk(); refuses one larger than `maxBytes`.
    static Result<QByteArray> readEntry(const Entry &entry, qint64 maxBytes);

    // Tests only: called at named points between a check and the use that follows it, so a test
    // can swap a path there and show that the use does not follow the swap. Stages:
    // "write:parent-resolved", "write:before-rename", "read:opened".
    using TestHook = std::function<void(const char *stage, const QString &path)>;
    static void setTestHook(TestHook hook);

private:
    struct PreparedWrite;
    Workspace(const QString &root, const QString &realRoot, Resolver resolver);
    Result<UniqueFd> openRoot() const;
    Result<UniqueFd> resolve(int rootFd, const QString &relative, int flags) const;
    Result<PreparedWrite> prepareWrite(const QString &path, qint64 maxBytes, bool create,
                                       bool createDirectories) const;

    QString m_root;     // as given
    QString m_realRoot; // symlinks of the root itself resolved, for the control-folder check
    Resolver m_resolver = Resolver::Walk;
};

} // namespace Spool
