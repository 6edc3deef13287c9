#include "journal/journalstamp.h"

#include "core/processidentity.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Spool {

namespace {

qint64 nanoseconds(const struct timespec &t)
{
    return qint64(t.tv_sec) * 1000000000 + t.tv_nsec;
}

// The journal's files as the stamp records them. Numbers as strings: JSON doubles would round
// nanoseconds.
QJsonObject fileState(const QString &journalPath)
{
    QJsonObject state;
    struct stat st;
    if (::stat(QFile::encodeName(journalPath).constData(), &st) == 0) {
        state.insert(QStringLiteral("size"), QString::number(st.st_size));
        state.insert(QStringLiteral("mtime_ns"), QString::number(nanoseconds(st.st_mtim)));
        state.insert(QStringLiteral("inode"), QString::number(qint64(st.st_ino)));
    }
    if (::stat(QFile::encodeName(journalPath + QStringLiteral("-wal")).constData(), &st) == 0) {
        state.insert(QStringLiteral("wal_size"), QString::number(st.st_size));
        state.insert(QStringLiteral("wal_mtime_ns"), QString::number(nanoseconds(st.st_mtim)));
    }
    return state;
}

QJsonObject self()
{
    const qint64 pid = QCoreApplication::applicationPid();
    return {{QStringLiteral("pid"), QString::number(pid)},
            {QStringLiteral("start"), ProcessIdentity::startTime(pid)},
            {QStringLiteral("host"), ProcessIdentity::currentHost()}};
}

bool isRunning(const QJsonObject &holder)
{
    return ProcessIdentity::isRunning(holder.value(QStringLiteral("pid")).toString().toLongLong(),
                                      holder.value(QStringLiteral("start")).toString(),
                                      holder.value(QStringLiteral("host")).toString());
}

QJsonArray runningHolders(const QJsonObject &stamp)
{
    QJsonArray running;
    for (const QJsonValue &holder : stamp.value(QStringLiteral("holders")).toArray()) {
        if (isRunning(holder.toObject()))
            running.append(holder);
    }
    return running;
}

QJsonObject readFrom(int fd)
{
    QByteArray bytes(64 * 1024, Qt::Uninitialized);
    const ssize_t n = ::pread(fd, bytes.data(), bytes.size(), 0);
    return n > 0 ? QJsonDocument::fromJson(bytes.left(n)).object() : QJsonObject();
}

// Reads the stamp, lets `change` edit it and writes it back, under an exclusive lock.
template<typename Change>
void update(const QString &path, Change change)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    if (::flock(fd, LOCK_EX) == 0) {
        QJsonObject stamp = readFrom(fd);
        change(stamp);
        const QByteArray bytes = QJsonDocument(stamp).toJson(QJsonDocument::Compact);
        if (::ftruncate(fd, 0) == 0 && ::pwrite(fd, bytes.constData(), bytes.size(), 0) != bytes.size())
            (void)::ftruncate(fd, 0); // torn: read as no stamp, so a full check
    }
    ::close(fd); // releases the lock
}

} // namespace

JournalStamp::JournalStamp(const QString &journalPath)
    : m_journalPath(journalPath), m_path(journalPath + QStringLiteral(".checked"))
{
}

JournalStamp::Verdict JournalStamp::judge(qint64 nowMs) const
{
    QJsonObject stamp;
    const int fd = ::open(QFile::encodeName(m_path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (::flock(fd, LOCK_SH) == 0)
            stamp = readFrom(fd);
        ::close(fd);
    }
    const qint64 checked = stamp.value(QStringLiteral("checked_at_ms")).toString().toLongLong();
    if (checked <= 0 || checked > nowMs || nowMs - checked > kFullCheckIntervalMs)
        return {true, checked > 0 ? checked : 0};
    if (!runningHolders(stamp).isEmpty())
        return {false, checked};
    const QJsonObject recorded = stamp.value(QStringLiteral("state")).toObject();
    return {recorded.isEmpty() || recorded != fileState(m_journalPath), checked};
}

void JournalStamp::enter(qint64 lastFullCheckMs)
{
    update(m_path, [lastFullCheckMs](QJsonObject &stamp) {
        QJsonArray holders = runningHolders(stamp);
        holders.append(self());
        stamp.insert(QStringLiteral("holders"), holders);
        const qint64 recorded = stamp.value(QStringLiteral("checked_at_ms")).toString().toLongLong();
        stamp.insert(QStringLiteral("checked_at_ms"), QString::number(qMax(recorded, lastFullCheckMs)));
    });
}

void JournalStamp::leave()
{
    update(m_path, [this](QJsonObject &stamp) {
        QJsonArray holders = runningHolders(stamp);
        const QJsonObject me = self();
        for (qsizetype i = 0; i < holders.size(); ++i) {
            if (holders.at(i).toObject() == me) {
                holders.removeAt(i); // one entry: a process may hold the journal twice
                break;
            }
        }
        stamp.insert(QStringLiteral("holders"), holders);
        if (holders.isEmpty())
            stamp.insert(QStringLiteral("state"), fileState(m_journalPath));
    });
}

} // namespace Spool
