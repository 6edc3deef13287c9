#include "core/datapaths.h"

#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace Spool {

QString DataPaths::resolveDataDir(const QString &explicitDir)
{
    if (!explicitDir.isEmpty())
        return QDir(explicitDir).absolutePath();
    const QString env = qEnvironmentVariable("SPOOL_DATA_DIR");
    if (!env.isEmpty())
        return QDir(env).absolutePath();
    return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
}

QString DataPaths::resolveConfigDir(const QString &explicitDir)
{
    if (!explicitDir.isEmpty())
        return QDir(explicitDir).absolutePath();
    const QString env = qEnvironmentVariable("SPOOL_CONFIG_DIR");
    if (!env.isEmpty())
        return QDir(env).absolutePath();
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation);
}

Status DataPaths::ensurePrivateDir(const QString &path)
{
    if (path.isEmpty())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("no data folder is configured"));
    QFileInfo info(path);
    if (info.exists() && !info.isDir()) {
        return makeError(ErrorCode::JournalUnavailable,
                         QStringLiteral("%1 exists and is not a folder").arg(path));
    }
    if (!info.exists() && !QDir().mkpath(path)) {
        return makeError(ErrorCode::JournalUnavailable,
                         QStringLiteral("cannot create folder %1").arg(path));
    }
    const QByteArray native = QFile::encodeName(path);
    struct stat st {};
    if (::stat(native.constData(), &st) != 0) {
        return makeError(ErrorCode::JournalUnavailable,
                         QStringLiteral("cannot inspect folder %1: %2")
                                 .arg(path, QString::fromLocal8Bit(std::strerror(errno))));
    }
    // Folders of other users (a shared folder given with --data-dir) keep their mode.
    if (st.st_uid == ::geteuid() && (st.st_mode & 0077) != 0)
        ::chmod(native.constData(), 0700);
    return {};
}

} // namespace Spool
