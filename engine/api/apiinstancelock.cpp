#include "api/apiinstancelock.h"

#include "core/datapaths.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QSaveFile>

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace Spool {

namespace {

QString lockPath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("api.lock"));
}

QString infoPath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("api.json"));
}

} // namespace

ApiInstanceLock::ApiInstanceLock(const QString &dataDir) : m_dataDir(dataDir) {}

ApiInstanceLock::~ApiInstanceLock()
{
    release();
}

Status ApiInstanceLock::acquire()
{
    if (isHeld())
        return {};
    if (Status s = DataPaths::ensurePrivateDir(m_dataDir); !s)
        return s;
    auto lock = std::make_unique<QLockFile>(lockPath(m_dataDir));
    // Stale only when its process is gone, never by age: a server may run for weeks.
    lock->setStaleLockTime(0);
    if (lock->tryLock(0)) {
        m_lock = std::move(lock);
        return {};
    }
    if (lock->error() == QLockFile::LockFailedError) {
        const std::optional<Holder> h = holder(m_dataDir);
        QString where;
        if (h && h->url.isValid())
            where = QStringLiteral(" at %1 (process %2)").arg(h->url.toString()).arg(h->pid);
        else if (h)
            where = QStringLiteral(" (process %1)").arg(h->pid);
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("The local API for %1 is already served%2; stop it first "
                                        "or use another data folder.")
                                 .arg(QDir::toNativeSeparators(m_dataDir), where));
    }
    return makeError(ErrorCode::Storage,
                     QStringLiteral("Cannot create the lock file %1.").arg(lockPath(m_dataDir)));
}

Status ApiInstanceLock::publish(const QUrl &url)
{
    QSaveFile file(infoPath(m_dataDir));
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::Storage, QStringLiteral("Cannot write %1.").arg(file.fileName()));
    file.write(QJsonDocument(QJsonObject{{QStringLiteral("url"), url.toString()},
                                         {QStringLiteral("pid"), qint64(::getpid())}})
                       .toJson(QJsonDocument::Compact));
    if (!file.commit())
        return makeError(ErrorCode::Storage, QStringLiteral("Cannot write %1.").arg(file.fileName()));
    return {};
}

void ApiInstanceLock::release()
{
    if (!m_lock)
        return;
    QFile::remove(infoPath(m_dataDir));
    m_lock->unlock();
    m_lock.reset();
}

bool ApiInstanceLock::isHeld() const
{
    return m_lock && m_lock->isLocked();
}

std::optional<ApiInstanceLock::Holder> ApiInstanceLock::holder(const QString &dataDir)
{
    QLockFile probe(lockPath(dataDir));
    probe.setStaleLockTime(0);
    qint64 pid = 0;
    QString host;
    QString app;
    if (!probe.getLockInfo(&pid, &host, &app))
        return std::nullopt;
    // A lock of a process that is gone is nobody's.
    if (pid <= 0 || (::kill(pid_t(pid), 0) != 0 && errno == ESRCH))
        return std::nullopt;
    Holder h;
    h.pid = pid;
    QFile info(infoPath(dataDir));
    if (info.open(QIODevice::ReadOnly)) {
        const QJsonObject o = QJsonDocument::fromJson(info.readAll()).object();
        if (o.value(QStringLiteral("pid")).toInteger() == pid)
            h.url = QUrl(o.value(QStringLiteral("url")).toString());
    }
    return h;
}

} // namespace Spool
