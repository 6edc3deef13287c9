#include "api/apitoken.h"

#include "core/datapaths.h"
#include "core/logging.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QRandomGenerator>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Spool {

namespace {

QByteArray newToken()
{
    quint32 words[8];
    QRandomGenerator::system()->fillRange(words);
    const QByteArray raw(reinterpret_cast<const char *>(words), sizeof words);
    return QByteArrayLiteral("spool-")
            + raw.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

Error fileError(const QString &what, const QString &path)
{
    return makeError(ErrorCode::Storage,
                     QStringLiteral("%1 %2: %3").arg(what, path, QString::fromLocal8Bit(std::strerror(errno))));
}

} // namespace

ApiToken::ApiToken(const QString &dataDir)
    : m_dataDir(dataDir), m_path(QDir(dataDir).filePath(QStringLiteral("api-token")))
{
}

Status ApiToken::load()
{
    const QByteArray path = QFile::encodeName(m_path);
    struct stat st {};
    if (::lstat(path.constData(), &st) != 0) {
        if (errno != ENOENT)
            return fileError(QStringLiteral("Cannot read the API token file"), m_path);
        return regenerate();
    }
    if (!S_ISREG(st.st_mode))
        return makeError(ErrorCode::Storage,
                         QStringLiteral("The API token file %1 is not a regular file.").arg(m_path));
    if ((st.st_mode & 077) != 0) {
        qCWarning(lcApi, "the API token file %s could be read by others; it is now 0600",
                  qPrintable(m_path));
        if (::chmod(path.constData(), 0600) != 0)
            return fileError(QStringLiteral("Cannot make the API token file private"), m_path);
    }
    refresh();
    if (m_token.isEmpty()) // an empty or unreadable file: start over
        return regenerate();
    return {};
}

Status ApiToken::regenerate()
{
    if (Status s = write(newToken()); !s)
        return s;
    refresh();
    return m_token.isEmpty() ? Status(makeError(ErrorCode::Storage,
                                                QStringLiteral("Cannot read back the API token file %1.").arg(m_path)))
                             : Status();
}

Status ApiToken::write(const QByteArray &token)
{
    if (Status s = DataPaths::ensurePrivateDir(m_dataDir); !s)
        return s;
    // Written whole to a private file beside it, then renamed over: a reader never sees a
    // partial token, and the token is never readable by others, not even for a moment.
    const QString tmp = m_path + QStringLiteral(".tmp-%1").arg(::getpid());
    const QByteArray tmpPath = QFile::encodeName(tmp);
    ::unlink(tmpPath.constData());
    const int fd = ::open(tmpPath.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return fileError(QStringLiteral("Cannot write the API token file"), tmp);
    const QByteArray content = token + '\n';
    const bool written = ::write(fd, content.constData(), size_t(content.size())) == content.size()
            && ::fsync(fd) == 0;
    ::close(fd);
    if (!written || ::rename(tmpPath.constData(), QFile::encodeName(m_path).constData()) != 0) {
        const Error e = fileError(QStringLiteral("Cannot write the API token file"), m_path);
        ::unlink(tmpPath.constData());
        return e;
    }
    return {};
}

void ApiToken::refresh() const
{
    struct stat st {};
    const QByteArray path = QFile::encodeName(m_path);
    if (::stat(path.constData(), &st) != 0) {
        if (!m_token.isEmpty())
            qCWarning(lcApi, "the API token file %s is gone: every request is refused until a "
                             "token is generated again", qPrintable(m_path));
        m_token.clear();
        m_mtimeNs = -1;
        return;
    }
    const qint64 mtimeNs = qint64(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    if (mtimeNs == m_mtimeNs && quint64(st.st_ino) == m_inode && !m_token.isEmpty())
        return;
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly)) {
        m_token.clear();
        return;
    }
    m_token = file.read(4096).trimmed();
    m_mtimeNs = mtimeNs;
    m_inode = quint64(st.st_ino);
}

QByteArray ApiToken::value() const
{
    refresh();
    return m_token;
}

bool ApiToken::matches(QByteArrayView presented) const
{
    const QByteArray current = value();
    if (current.isEmpty())
        return false;
    return constantTimeEquals(presented, current);
}

bool ApiToken::constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    // Comparing digests makes the work independent of the inputs' lengths too.
    const QByteArray da = QCryptographicHash::hash(a, QCryptographicHash::Sha256);
    const QByteArray db = QCryptographicHash::hash(b, QCryptographicHash::Sha256);
    unsigned char diff = 0;
    for (qsizetype i = 0; i < da.size(); ++i)
        diff |= static_cast<unsigned char>(da.at(i) ^ db.at(i));
    return diff == 0;
}

} // namespace Spool
