#include "api/apisettings.h"

#include "core/datapaths.h"
#include "core/runtimeconfig.h"

#include <QSettings>
#include <QUrl>

namespace Spool {

namespace {

const QString kEnabled = QStringLiteral("api/enabled");
const QString kPort = QStringLiteral("api/port");
const QString kOrigins = QStringLiteral("api/allowed_origins");
const QString kMaxConnections = QStringLiteral("api/max_connections");
const QString kMaxBody = QStringLiteral("api/max_body_bytes");
const QString kMaxHeader = QStringLiteral("api/max_header_bytes");
const QString kHeaderTimeout = QStringLiteral("api/header_timeout_ms");
const QString kIdleTimeout = QStringLiteral("api/idle_timeout_ms");
const QString kMaxPendingWrite = QStringLiteral("api/max_pending_write_bytes");

} // namespace

ApiSettings ApiSettings::load(const RuntimeConfig &config)
{
    ApiSettings a;
    QSettings s(config.settingsPath(), QSettings::IniFormat);
    a.enabled = s.value(kEnabled, false).toBool();
    a.port = quint16(qBound(0, s.value(kPort, int(a.port)).toInt(), 65535));
    for (const QString &origin : s.value(kOrigins).toStringList()) {
        const QString o = normalizeOrigin(origin);
        if (!o.isEmpty() && !a.allowedOrigins.contains(o))
            a.allowedOrigins.append(o);
    }
    a.maxConnections = qBound(1, s.value(kMaxConnections, a.maxConnections).toInt(), 4096);
    a.maxBodyBytes = qBound<qint64>(1024, s.value(kMaxBody, a.maxBodyBytes).toLongLong(), 1LL << 30);
    a.maxHeaderBytes = qBound(1024, s.value(kMaxHeader, a.maxHeaderBytes).toInt(), 1 << 20);
    a.headerTimeoutMs = qBound(100, s.value(kHeaderTimeout, a.headerTimeoutMs).toInt(), 600000);
    a.idleTimeoutMs = qBound(100, s.value(kIdleTimeout, a.idleTimeoutMs).toInt(), 3600000);
    a.maxPendingWriteBytes = qBound<qint64>(64 << 10,
                                            s.value(kMaxPendingWrite, a.maxPendingWriteBytes).toLongLong(),
                                            1LL << 30);
    return a;
}

Status ApiSettings::save(const RuntimeConfig &config) const
{
    if (Status s = DataPaths::ensurePrivateDir(config.configDir); !s)
        return s;
    QSettings s(config.settingsPath(), QSettings::IniFormat);
    s.setValue(kEnabled, enabled);
    s.setValue(kPort, int(port));
    s.setValue(kOrigins, allowedOrigins);
    s.sync();
    if (s.status() != QSettings::NoError || !s.isWritable())
        return makeError(ErrorCode::Storage,
                         QStringLiteral("The settings could not be saved to %1: check that the "
                                        "folder is writable and the disk is not full.")
                                 .arg(config.settingsPath()));
    return {};
}

QString ApiSettings::normalizeOrigin(const QString &text)
{
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty()
        || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
        || !url.userInfo().isEmpty() || !url.query().isEmpty() || !url.fragment().isEmpty()
        || (!url.path().isEmpty() && url.path() != QLatin1String("/")))
        return {};
    // Browsers send the host as they resolved it: lower case, IPv6 in brackets, no default port.
    QString origin = url.scheme() + QStringLiteral("://") + url.host(QUrl::FullyEncoded).toLower();
    if (url.host().contains(QLatin1Char(':')))
        origin = url.scheme() + QStringLiteral("://[") + url.host().toLower() + QLatin1Char(']');
    const int defaultPort = url.scheme() == QLatin1String("https") ? 443 : 80;
    if (url.port() != -1 && url.port() != defaultPort)
        origin += QLatin1Char(':') + QString::number(url.port());
    return origin;
}

} // namespace Spool
