#include "providers/retrypolicy.h"

#include <QLocale>
#include <QTimeZone>

#include <cmath>

namespace Spool {

bool RetryPolicy::isRetryableStatus(int httpStatus)
{
    return httpStatus == 408 || httpStatus == 409 || httpStatus == 429
            || (httpStatus >= 500 && httpStatus <= 599);
}

namespace {

std::optional<double> parseNumber(const QByteArray &text)
{
    const QByteArray t = text.trimmed();
    if (t.isEmpty())
        return std::nullopt;
    for (char c : t) {
        if (!(c >= '0' && c <= '9') && c != '.')
            return std::nullopt; // no signs, exponents or units
    }
    bool ok = false;
    const double v = t.toDouble(&ok);
    if (!ok || !std::isfinite(v))
        return std::nullopt;
    return v;
}

std::optional<QDateTime> parseHttpDate(const QByteArray &text, const QDateTime &now)
{
    QString t = QString::fromLatin1(text.trimmed()).simplified();
    // The weekday is redundant and Qt would reject a date whose weekday disagrees (as RFC 850
    // dates with two-digit years do before the century is fixed): it is dropped.
    const qsizetype space = t.indexOf(QLatin1Char(' '));
    if (space < 0)
        return std::nullopt;
    t = t.mid(space + 1);
    const QLocale c = QLocale::c();
    // IMF-fixdate, then the two obsolete forms recipients must still accept (RFC 9110 §5.6.7).
    static const char *const formats[] = {
            "dd MMM yyyy HH:mm:ss 'GMT'",
            "dd-MMM-yy HH:mm:ss 'GMT'",
            "MMM d HH:mm:ss yyyy",
    };
    for (const char *format : formats) {
        QDateTime dt = c.toDateTime(t, QString::fromLatin1(format));
        if (!dt.isValid())
            continue;
        dt.setTimeZone(QTimeZone::utc());
        // A two-digit year is the most recent one that is not more than 50 years ahead.
        if (QByteArrayView(format).contains("-yy ")) {
            const int year = now.date().year() / 100 * 100 + dt.date().year() % 100;
            dt = dt.addYears(year - dt.date().year());
            if (dt.date().year() > now.date().year() + 50)
                dt = dt.addYears(-100);
        }
        return dt;
    }
    return std::nullopt;
}

} // namespace

std::optional<qint64> RetryPolicy::parseRetryAfter(const QByteArray &retryAfter,
                                                   const QByteArray &retryAfterMs,
                                                   const QDateTime &now)
{
    if (const auto ms = parseNumber(retryAfterMs))
        return qint64(std::ceil(qMin(*ms, 1e12)));
    if (const auto seconds = parseNumber(retryAfter))
        return qint64(std::ceil(qMin(*seconds, 1e9) * 1000));
    if (const auto date = parseHttpDate(retryAfter, now))
        return qMax<qint64>(0, now.msecsTo(*date));
    return std::nullopt;
}

qint64 RetryPolicy::backoffMs(int attempt, double random01) const
{
    const int doublings = qBound(0, attempt - 1, 30);
    const double full = qMin(double(maxDelayMs), double(baseDelayMs) * double(1LL << doublings));
    return qint64(full * (0.5 + 0.5 * qBound(0.0, random01, 1.0)));
}

qint64 RetryPolicy::delayMs(int attempt, std::optional<qint64> serverDelayMs, double random01) const
{
    if (serverDelayMs) {
        if (*serverDelayMs > maxServerDelayMs)
            return -1;
        return *serverDelayMs;
    }
    return backoffMs(attempt, random01);
}

} // namespace Spool
