#include "tools/workspace.h"

#include "core/logging.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

namespace Spool {

namespace {

constexpr int kMaxPathBytes = 4096;
constexpr int kMaxNameBytes = 255;

Workspace::TestHook &testHook()
{
    static Workspace::TestHook hook;
    return hook;
}

void runHook(const char *stage, const QString &path)
{
    if (const auto &hook = testHook())
        hook(stage, path);
}

// The path as the model wrote it, short enough to quote in an error.
QString shown(const QString &path)
{
    QString s = path;
    s.replace(QChar(0), QStringLiteral("\\0"));
    if (s.size() > 160)
        s = s.left(160) + QStringLiteral("...");
    return QLatin1Char('"') + s + QLatin1Char('"');
}

Error fsError(int err, const QString &path)
{
    QString why;
    switch (err) {
    case EXDEV:
        why = QStringLiteral("leads outside the workspace (through a symbolic link)");
        break;
    case ELOOP:
        why = QStringLiteral("goes through a symbolic link the workspace does not follow");
        break;
    case ENOENT:
        why = QStringLiteral("does not exist");
        break;
    case ENOTDIR:
        why = QStringLiteral("has a part that is not a folder");
        break;
    case EISDIR:
        why = QStringLiteral("is a folder");
        break;
    case EACCES:
    case EPERM:
        why = QStringLiteral("is not accessible (permission denied)");
        break;
    case ENAMETOOLONG:
        why = QStringLiteral("is too long");
        break;
    case ENOSPC:
        why = QStringLiteral("cannot be written: the disk is full");
        break;
    case EDQUOT:
        why = QStringLiteral("cannot be written: the disk quota is exhausted");
        break;
    case EROFS:
        why = QStringLiteral("is on a read-only file system");
        break;
    default:
        why = QStringLiteral("cannot be used: %1").arg(QString::fromLocal8Bit(std::strerror(err)));
        break;
    }
    return makeError(err == ENOENT ? ErrorCode::NotFound : ErrorCode::Tool,
                     shown(path) + QLatin1Char(' ') + why);
}

Error refused(const QString &path, const QString &why)
{
    return makeError(ErrorCode::InvalidArgument, shown(path) + QLatin1Char(' ') + why);
}

QString typeRefusal(mode_t mode)
{
    if (S_ISDIR(mode))
        return QStringLiteral("is a folder, not a file");
    if (S_ISLNK(mode))
        return QStringLiteral("is a symbolic link; links are not written through");
    if (S_ISFIFO(mode))
        return QStringLiteral("is a FIFO (named pipe); only regular files are used");
    if (S_ISSOCK(mode))
        return QStringLiteral("is a socket; only regular files are used");
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return QStringLiteral("is a device; only regular files are used");
    return QStringLiteral("is not a regular file");
}

Result<QString> realPathOf(int fd)
{
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    char buf[PATH_MAX + 1];
    const ssize_t n = ::readlink(link, buf, PATH_MAX);
    if (n <= 0)
        return makeError(ErrorCode::Tool, QStringLiteral("cannot tell where a folder really is "
                                                         "(is /proc mounted?)"));
    const QString path = QFile::decodeName(QByteArray(buf, int(n)));
    if (path.endsWith(QLatin1String(" (deleted)")))
        return makeError(ErrorCode::Tool, QStringLiteral("the folder was deleted meanwhile"));
    return path;
}

// Reopens for reading the regular file that the O_PATH descriptor `pathFd` names, through
// /proc/self/fd: whatever the path names by now, this is the file that was checked. Returns an
// invalid descriptor with errno ENOENT when /proc is not mounted.
UniqueFd reopenForRead(int pathFd)
{
    char link[64];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", pathFd);
    return UniqueFd(::open(link, O_RDONLY | O_NOCTTY | O_CLOEXEC));
}

bool sameFile(int fd, const struct stat &expected)
{
    struct stat st;
    return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_ino == expected.st_ino
            && st.st_dev == expected.st_dev;
}

// Opens the regular file `name` in `dirFd` for reading without following a final symbolic
// link. The type is checked on an O_PATH descriptor first, so a FIFO or a device is never
// opened for I/O (opening either can block or have effects).
Result<UniqueFd> openRegularAt(int dirFd, const QByteArray &name, const QString &shownPath,
                               struct stat *st)
{
    UniqueFd pathFd(::openat(dirFd, name.constData(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!pathFd.isValid())
        return fsError(errno, shownPath);
    if (::fstat(pathFd.get(), st) != 0)
        return fsError(errno, shownPath);
    if (!S_ISREG(st->st_mode))
        return refused(shownPath, typeRefusal(st->st_mode));
    UniqueFd fd = reopenForRead(pathFd.get());
    if (!fd.isValid()) {
        if (errno != ENOENT)
            return fsError(errno, shownPath);
        // No /proc: open by name, without blocking on whatever may have been swapped in, and
        // check that it is still the same file.
        fd = UniqueFd(::openat(dirFd, name.constData(),
                               O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        if (!fd.isValid())
            return fsError(errno, shownPath);
    }
    if (!sameFile(fd.get(), *st))
        return refused(shownPath, QStringLiteral("changed while it was being opened"));
    return fd;
}

Result<QByteArray> readAll(int fd, qint64 maxBytes, const QString &shownPath)
{
    QByteArray data;
    char buf[64 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fsError(errno, shownPath);
        }
        if (n == 0)
            break;
        if (data.size() + n > maxBytes)
            return refused(shownPath, QStringLiteral("is larger than %1 bytes, the limit for this "
                                                     "operation")
                                              .arg(maxBytes));
        data.append(buf, n);
    }
    return data;
}

Status writeAll(int fd, const QByteArray &data, const QString &shownPath)
{
    const char *p = data.constData();
    qint64 left = data.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, size_t(qMin<qint64>(left, 1 << 20)));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fsError(errno, shownPath);
        }
        p += n;
        left -= n;
    }
    return {};
}

bool isInside(const QString &path, const QString &root)
{
    return path == root || path.startsWith(root + QLatin1Char('/'));
}

} // namespace

struct Workspace::PreparedWrite
{
    UniqueFd parent;
    QByteArray base;
    QString relative;
    std::optional<QByteArray> current;
    mode_t mode = 0;
};

Workspace::Workspace(const QString &root, const QString &realRoot, Resolver resolver)
    : m_root(root), m_realRoot(realRoot), m_resolver(resolver)
{
}

void Workspace::setTestHook(TestHook hook)
{
    testHook() = std::move(hook);
}

bool Workspace::kernelHasOpenat2()
{
    static const bool has = [] {
        struct open_how how;
        std::memset(&how, 0, sizeof how);
        how.flags = O_PATH | O_CLOEXEC;
        how.resolve = RESOLVE_NO_MAGICLINKS;
        const long fd = ::syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof how);
        if (fd < 0) {
            qCInfo(lcTools) << "openat2 is not available (" << std::strerror(errno)
                            << "): the workspace follows no symbolic links";
            return false;
        }
        ::close(int(fd));
        return true;
    }();
    return has;
}

Result<Workspace> Workspace::open(const QString &root, Resolver resolver)
{
    if (root.isEmpty() || !QDir::isAbsolutePath(root))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the workspace folder must be an absolute path, not %1")
                                 .arg(shown(root)));
    if (resolver == Resolver::Automatic)
        resolver = kernelHasOpenat2() ? Resolver::Openat2 : Resolver::Walk;
    else if (resolver == Resolver::Openat2 && !kernelHasOpenat2())
        return makeError(ErrorCode::Tool, QStringLiteral("this kernel has no openat2"));
    UniqueFd fd(::open(QFile::encodeName(root).constData(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.isValid())
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("the workspace folder %1 cannot be opened: %2")
                                 .arg(shown(root), QString::fromLocal8Bit(std::strerror(errno))));
    auto real = realPathOf(fd.get());
    QString realRoot = real ? *real : QFileInfo(root).canonicalFilePath();
    if (realRoot.isEmpty() || realRoot == QLatin1String("/"))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("%1 cannot be a workspace folder").arg(shown(root)));
    return Workspace(root, realRoot, resolver);
}

QString Workspace::defaultFolder(const QString &defaultRoot, const QString &sessionId)
{
    return defaultRoot.isEmpty() ? QString() : QDir(defaultRoot).filePath(sessionId);
}

Result<Workspace> Workspace::forCall(const QString &sessionWorkspace, const QString &sessionId,
                                     const QString &defaultRoot, Resolver resolver)
{
    if (!sessionWorkspace.isEmpty())
        return open(sessionWorkspace, resolver);
    if (defaultRoot.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("this session has no workspace folder; choose one for "
                                        "the session first"));
    static const QRegularExpression idPattern(QStringLiteral("^[0-9A-Za-z_-]{1,64}$"));
    if (!idPattern.match(sessionId).hasMatch())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot make a workspace folder for session %1")
                                 .arg(shown(sessionId)));
    const QString folder = defaultFolder(defaultRoot, sessionId);
    if (!QFileInfo::exists(folder)) {
        const bool rootExisted = QFileInfo::exists(defaultRoot);
        if (!QDir().mkpath(folder))
            return makeError(ErrorCode::Tool,
                             QStringLiteral("cannot create the workspace folder %1").arg(shown(folder)));
        const auto ownerOnly = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
        QFile::setPermissions(folder, ownerOnly);
        if (!rootExisted)
            QFile::setPermissions(defaultRoot, ownerOnly);
    }
    return open(folder, resolver);
}

Result<QString> Workspace::normalize(const QString &path)
{
    if (path.contains(QChar(0)))
        return refused(path, QStringLiteral("contains a NUL character"));
    const QByteArray encoded = QFile::encodeName(path);
    if (encoded.size() > kMaxPathBytes)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the path is %1 bytes long; the limit is %2")
                                 .arg(encoded.size())
                                 .arg(kMaxPathBytes));
    for (QChar c : path) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7F)
            return refused(path, QStringLiteral("contains control characters"));
    }
    if (path.startsWith(QLatin1Char('/')))
        return refused(path, QStringLiteral("is absolute; give a path relative to the workspace "
                                            "folder, such as src/main.cpp"));
    if (path.startsWith(QLatin1Char('~')))
        return refused(path, QStringLiteral("starts with '~'; there is no home folder here, paths "
                                            "are relative to the workspace folder"));
    QStringList parts;
    for (const QString &part : path.split(QLatin1Char('/'), Qt::SkipEmptyParts)) {
        if (part == QLatin1String("."))
            continue;
        if (part == QLatin1String(".."))
            return refused(path, QStringLiteral("contains '..'; paths must stay inside the "
                                                "workspace folder"));
        if (QFile::encodeName(part).size() > kMaxNameBytes)
            return refused(path, QStringLiteral("has a name longer than %1 bytes").arg(kMaxNameBytes));
        parts.append(part);
    }
    return parts.isEmpty() ? QStringLiteral(".") : parts.join(QLatin1Char('/'));
}

const QStringList &Workspace::protectedNames()
{
    static const QStringList names{
        QStringLiteral(".git"),   QStringLiteral(".hg"),     QStringLiteral(".svn"),
        QStringLiteral(".bzr"),   QStringLiteral("_darcs"),  QStringLiteral(".jj"),
        QStringLiteral(".pijul"), QStringLiteral(".vscode"), QStringLiteral(".idea"),
        QStringLiteral(".envrc"), QStringLiteral(".direnv"),
    };
    return names;
}

bool Workspace::isVersionControlFolder(const QString &name)
{
    static const QStringList names{QStringLiteral(".git"), QStringLiteral(".hg"),
                                   QStringLiteral(".svn"), QStringLiteral(".bzr"),
                                   QStringLiteral(".jj"), QStringLiteral("_darcs")};
    return names.contains(name);
}

bool Workspace::isProtected(const QString &relativePath)
{
    const QStringList parts = relativePath.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    return std::any_of(parts.cbegin(), parts.cend(), [](const QString &part) {
        return protectedNames().contains(part, Qt::CaseInsensitive);
    });
}

Result<UniqueFd> Workspace::openRoot() const
{
    UniqueFd fd(::open(QFile::encodeName(m_root).constData(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.isValid())
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("the workspace folder %1 is gone: %2")
                                 .arg(shown(m_root), QString::fromLocal8Bit(std::strerror(errno))));
    return fd;
}

Result<UniqueFd> Workspace::resolve(int rootFd, const QString &relative, int flags) const
{
    if (relative == QLatin1String(".")) {
        UniqueFd fd(::openat(rootFd, ".", flags | O_CLOEXEC));
        if (!fd.isValid())
            return fsError(errno, relative);
        return fd;
    }
    const QByteArray encoded = QFile::encodeName(relative);
    if (m_resolver == Resolver::Openat2) {
        struct open_how how;
        std::memset(&how, 0, sizeof how);
        how.flags = quint64(flags | O_CLOEXEC);
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        // EAGAIN: a concurrent rename raced with the resolution; the kernel asks to retry.
        for (int attempt = 0; attempt < 8; ++attempt) {
            const long fd = ::syscall(SYS_openat2, rootFd, encoded.constData(), &how, sizeof how);
            if (fd >= 0)
                return UniqueFd(int(fd));
            if (errno != EAGAIN && errno != EINTR)
                break;
        }
        return fsError(errno, relative);
    }

    // One name at a time, none of them a symbolic link.
    const QList<QByteArray> names = encoded.split('/');
    UniqueFd current;
    int dirFd = rootFd;
    for (qsizetype i = 0; i < names.size(); ++i) {
        const bool last = i + 1 == names.size();
        const int f = last ? (flags | O_NOFOLLOW | O_CLOEXEC)
                           : (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        UniqueFd next(::openat(dirFd, names[i].constData(), f));
        if (!next.isValid()) {
            const int err = errno;
            struct stat st;
            if ((err == ENOTDIR || err == ELOOP)
                && ::fstatat(dirFd, names[i].constData(), &st, AT_SYMLINK_NOFOLLOW) == 0
                && S_ISLNK(st.st_mode))
                return refused(relative, QStringLiteral("goes through the symbolic link \"%1\"; "
                                                        "links are not followed on this system")
                                                 .arg(QFile::decodeName(names[i])));
            return fsError(err, relative);
        }
        if (last && (flags & O_PATH)) {
            struct stat st;
            if (::fstat(next.get(), &st) == 0 && S_ISLNK(st.st_mode))
                return refused(relative, QStringLiteral("is a symbolic link; links are not "
                                                        "followed on this system"));
        }
        current = std::move(next);
        dirFd = current.get();
    }
    return current;
}

Result<UniqueFd> Workspace::openForRead(const QString &path, qint64 *size) const
{
    auto rel = normalize(path);
    if (!rel)
        return rel.error();
    if (*rel == QLatin1String("."))
        return refused(path, QStringLiteral("is the workspace folder itself; name a file"));
    auto root = openRoot();
    if (!root)
        return root.error();
    auto pathFd = resolve(root->get(), *rel, O_PATH);
    if (!pathFd)
        return pathFd.error();
    struct stat st;
    if (::fstat(pathFd->get(), &st) != 0)
        return fsError(errno, *rel);
    if (!S_ISREG(st.st_mode))
        return refused(*rel, S_ISDIR(st.st_mode)
                                     ? QStringLiteral("is a folder; use fs.list to see what is in it")
                                     : typeRefusal(st.st_mode));
    runHook("read:opened", *rel);
    UniqueFd fd = reopenForRead(pathFd->get());
    if (!fd.isValid()) {
        if (errno != ENOENT)
            return fsError(errno, *rel);
        auto byName = resolve(root->get(), *rel, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (!byName)
            return byName.error();
        fd = std::move(*byName);
    }
    if (!sameFile(fd.get(), st))
        return refused(*rel, QStringLiteral("changed while it was being opened"));
    if (size)
        *size = st.st_size;
    return fd;
}

Result<QString> Workspace::directory(const QString &path) const
{
    auto rel = normalize(path);
    if (!rel)
        return rel.error();
    auto root = openRoot();
    if (!root)
        return root.error();
    auto fd = resolve(root->get(), *rel, O_PATH | O_DIRECTORY);
    if (!fd)
        return fd.error();
    auto real = realPathOf(fd->get());
    if (!real)
        return real.error();
    if (!isInside(*real, m_realRoot))
        return refused(*rel, QStringLiteral("is outside the workspace folder"));
    return *real;
}

Result<Workspace::PreparedWrite> Workspace::prepareWrite(const QString &path, qint64 maxBytes,
                                                         bool create, bool createDirectories) const
{
    auto rel = normalize(path);
    if (!rel)
        return rel.error();
    if (*rel == QLatin1String("."))
        return refused(path, QStringLiteral("is the workspace folder itself; name a file"));
    if (isProtected(*rel))
        return refused(*rel, QStringLiteral("is inside a protected control folder (%1); these are "
                                            "never written by tools because their content runs "
                                            "code")
                                     .arg(protectedNames().join(QStringLiteral(", "))));
    auto root = openRoot();
    if (!root)
        return root.error();

    QStringList folders = rel->split(QLatin1Char('/'));
    const QString baseName = folders.takeLast();
    PreparedWrite prepared;
    prepared.relative = *rel;
    prepared.base = QFile::encodeName(baseName);

    if (folders.isEmpty()) {
        auto fd = resolve(root->get(), QStringLiteral("."), O_PATH | O_DIRECTORY);
        if (!fd)
            return fd.error();
        prepared.parent = std::move(*fd);
    } else {
        auto fd = resolve(root->get(), folders.join(QLatin1Char('/')), O_PATH | O_DIRECTORY);
        if (!fd && fd.error().code == ErrorCode::NotFound && !create) {
            // A new file in new folders: nothing to read, but the folders would be made in
            // the deepest one that exists, so that one must be allowed.
            UniqueFd deepest;
            qsizetype depth = folders.size() - 1;
            for (; depth > 0 && !deepest.isValid(); --depth) {
                auto r = resolve(root->get(), folders.mid(0, depth).join(QLatin1Char('/')),
                                 O_PATH | O_DIRECTORY);
                if (r)
                    deepest = std::move(*r);
                else if (r.error().code != ErrorCode::NotFound)
                    return r.error();
            }
            if (!deepest.isValid()) {
                auto r = resolve(root->get(), QStringLiteral("."), O_PATH | O_DIRECTORY);
                if (!r)
                    return r.error();
                deepest = std::move(*r);
            }
            auto real = realPathOf(deepest.get());
            if (!real)
                return real.error();
            if (!isInside(*real, m_realRoot))
                return refused(*rel, QStringLiteral("is outside the workspace folder"));
            if (isProtected(QStringView(*real).mid(m_realRoot.size()).toString()))
                return refused(*rel, QStringLiteral("lands inside a protected control folder "
                                                    "through a symbolic link"));
            return prepared;
        }
        if (!fd && fd.error().code == ErrorCode::NotFound && createDirectories) {
            // Make the missing folders one by one, each created inside a folder that was itself
            // resolved beneath the root.
            UniqueFd parent;
            {
                auto r = resolve(root->get(), QStringLiteral("."), O_PATH | O_DIRECTORY);
                if (!r)
                    return r.error();
                parent = std::move(*r);
            }
            for (qsizetype i = 0; i < folders.size(); ++i) {
                const QString prefix = folders.mid(0, i + 1).join(QLatin1Char('/'));
                auto next = resolve(root->get(), prefix, O_PATH | O_DIRECTORY);
                if (!next && next.error().code == ErrorCode::NotFound) {
                    // The check the file gets below, made for each folder before it exists.
                    auto real = realPathOf(parent.get());
                    if (!real)
                        return real.error();
                    if (!isInside(*real, m_realRoot))
                        return refused(*rel, QStringLiteral("is outside the workspace folder"));
                    const QString realFolder = QStringView(*real).mid(m_realRoot.size()).toString()
                            + QLatin1Char('/') + folders[i];
                    if (isProtected(realFolder))
                        return refused(*rel, QStringLiteral("lands inside a protected control "
                                                            "folder (%1) through a symbolic link")
                                                     .arg(realFolder.mid(1)));
                    if (::mkdirat(parent.get(), QFile::encodeName(folders[i]).constData(), 0777) != 0
                        && errno != EEXIST)
                        return fsError(errno, prefix);
                    next = resolve(root->get(), prefix, O_PATH | O_DIRECTORY);
                }
                if (!next)
                    return next.error();
                parent = std::move(*next);
            }
            fd = std::move(parent);
        }
        if (!fd)
            return fd.error();
        prepared.parent = std::move(*fd);
    }

    // Where the folder really is, after any symbolic links inside the workspace: a link named
    // "hooks" that points into .git/hooks must not open the door the name check closed.
    auto real = realPathOf(prepared.parent.get());
    if (!real)
        return real.error();
    if (!isInside(*real, m_realRoot))
        return refused(*rel, QStringLiteral("is outside the workspace folder"));
    const QString realRelative = QStringView(*real).mid(m_realRoot.size()).toString()
            + QLatin1Char('/') + baseName;
    if (isProtected(realRelative))
        return refused(*rel, QStringLiteral("lands inside a protected control folder (%1) "
                                            "through a symbolic link")
                                     .arg(realRelative.mid(1)));
    runHook("write:parent-resolved", *rel);

    struct stat st;
    if (::fstatat(prepared.parent.get(), prepared.base.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISREG(st.st_mode))
            return refused(*rel, typeRefusal(st.st_mode));
        if (st.st_size > maxBytes)
            return refused(*rel, QStringLiteral("is %1 bytes; files over %2 bytes are not edited")
                                         .arg(st.st_size)
                                         .arg(maxBytes));
        auto fd = openRegularAt(prepared.parent.get(), prepared.base, *rel, &st);
        if (!fd)
            return fd.error();
        auto content = readAll(fd->get(), maxBytes, *rel);
        if (!content)
            return content.error();
        prepared.current = *content;
        prepared.mode = st.st_mode & 0777;
    } else if (errno != ENOENT) {
        return fsError(errno, *rel);
    }
    return prepared;
}

Result<Workspace::WriteTarget> Workspace::inspectWrite(const QString &path, qint64 maxBytes) const
{
    auto prepared = prepareWrite(path, maxBytes, false, false);
    if (!prepared)
        return prepared.error();
    return WriteTarget{prepared->relative, prepared->current};
}

Status Workspace::write(const QString &path, const Transform &transform, qint64 maxBytes,
                        bool createDirectories) const
{
    auto prepared = prepareWrite(path, maxBytes, true, createDirectories);
    if (!prepared)
        return prepared.error();
    const QString rel = prepared->relative;
    auto content = transform(WriteTarget{rel, prepared->current});
    if (!content)
        return content.error();
    if (content->size() > maxBytes)
        return refused(rel, QStringLiteral("would be %1 bytes; the limit is %2 bytes")
                                    .arg(content->size())
                                    .arg(maxBytes));

    const int parent = prepared->parent.get();
    QByteArray tempName;
    UniqueFd temp;
    for (int attempt = 0; attempt < 16 && !temp.isValid(); ++attempt) {
        tempName = ".spool-write-"
                + QByteArray::number(QRandomGenerator::global()->generate64(), 16);
        temp = UniqueFd(::openat(parent, tempName.constData(),
                                 O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666));
        if (!temp.isValid() && errno != EEXIST)
            return fsError(errno, rel);
    }
    if (!temp.isValid())
        return fsError(EEXIST, rel);
    auto discard = [&] { ::unlinkat(parent, tempName.constData(), 0); };
    if (Status s = writeAll(temp.get(), *content, rel); !s) {
        discard();
        return s;
    }
    if (prepared->current && ::fchmod(temp.get(), prepared->mode) != 0) {
        const int err = errno;
        discard();
        return fsError(err, rel);
    }
    if (::fsync(temp.get()) != 0) {
        const int err = errno;
        discard();
        return fsError(err, rel);
    }
    temp.reset();
    runHook("write:before-rename", rel);
    // rename() replaces the name, whatever it names by now, and never follows it.
    if (::renameat(parent, tempName.constData(), parent, prepared->base.constData()) != 0) {
        const int err = errno;
        discard();
        return fsError(err, rel);
    }
    return {};
}

Status Workspace::walk(const QString &start, int maxDepth,
                       const std::function<Visit(const Entry &)> &visit,
                       const std::atomic_bool *cancel) const
{
    auto rel = normalize(start);
    if (!rel)
        return rel.error();
    auto root = openRoot();
    if (!root)
        return root.error();
    auto top = resolve(root->get(), *rel, O_RDONLY | O_DIRECTORY);
    if (!top) {
        if (top.error().message.endsWith(QLatin1String("has a part that is not a folder")))
            return refused(*rel, QStringLiteral("is a file, not a folder"));
        return top.error();
    }

    bool stopped = false;
    std::function<void(int, const QString &, int)> walkFolder =
            [&](int dirFd, const QString &prefix, int depth) {
        const int listFd = ::fcntl(dirFd, F_DUPFD_CLOEXEC, 0);
        if (listFd < 0)
            return;
        DIR *dir = ::fdopendir(listFd);
        if (!dir) {
            ::close(listFd);
            return;
        }
        QList<QByteArray> names;
        while (const dirent *e = ::readdir(dir)) {
            if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
                continue;
            names.append(QByteArray(e->d_name));
        }
        ::closedir(dir);
        std::sort(names.begin(), names.end());
        for (const QByteArray &raw : std::as_const(names)) {
            if (stopped || (cancel && cancel->load())) {
                stopped = true;
                return;
            }
            struct stat st;
            if (::fstatat(dirFd, raw.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue; // vanished meanwhile
            Entry entry;
            entry.name = QFile::decodeName(raw);
            entry.rawName = raw;
            entry.path = prefix + entry.name;
            entry.depth = depth;
            entry.dirFd = dirFd;
            entry.size = st.st_size;
            entry.type = S_ISREG(st.st_mode)   ? EntryType::File
                    : S_ISDIR(st.st_mode)      ? EntryType::Directory
                    : S_ISLNK(st.st_mode)      ? EntryType::Symlink
                                               : EntryType::Other;
            const Visit v = visit(entry);
            if (v == Visit::Stop) {
                stopped = true;
                return;
            }
            if (entry.type != EntryType::Directory || v == Visit::SkipChildren || depth >= maxDepth)
                continue;
            UniqueFd sub(::openat(dirFd, raw.constData(),
                                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
            if (sub.isValid())
                walkFolder(sub.get(), entry.path + QLatin1Char('/'), depth + 1);
        }
    };
    walkFolder(top->get(), *rel == QLatin1String(".") ? QString() : *rel + QLatin1Char('/'), 1);
    return {};
}

Result<QByteArray> Workspace::readEntry(const Entry &entry, qint64 maxBytes)
{
    struct stat st;
    auto fd = openRegularAt(entry.dirFd, entry.rawName, entry.path, &st);
    if (!fd)
        return fd.error();
    if (st.st_size > maxBytes)
        return refused(entry.path, QStringLiteral("is larger than %1 bytes").arg(maxBytes));
    return readAll(fd->get(), maxBytes, entry.path);
}

} // namespace Spool
