#include "core/processidentity.h"

#include <QFile>
#include <QList>
#include <QSysInfo>

namespace Spool::ProcessIdentity {

QString currentHost()
{
    QFile bootId(QStringLiteral("/proc/sys/kernel/random/boot_id"));
    QString boot;
    if (bootId.open(QIODevice::ReadOnly))
        boot = QString::fromLatin1(bootId.readAll()).trimmed();
    return QSysInfo::machineHostName() + QLatin1Char('/') + boot;
}

QString startTime(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return QString();
    const QByteArray line = stat.readAll();
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const int close = line.lastIndexOf(')');
    if (close < 0)
        return QString();
    const QList<QByteArray> fields = line.mid(close + 2).split(' ');
    // After "pid (comm) " the state is field 3; starttime is field 22, i.e. index 19 here.
    if (fields.size() <= 19)
        return QString();
    return QString::fromLatin1(fields.at(19));
}

bool isRunning(qint64 pid, const QString &recordedStart, const QString &host)
{
    if (pid <= 0 || recordedStart.isEmpty() || host != currentHost())
        return false;
    return startTime(pid) == recordedStart;
}

} // namespace Spool::ProcessIdentity
