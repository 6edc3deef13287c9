#include "policy/cedar/extensionvalues.h"

#include <QtNumeric>

namespace Spool::Cedar::ExtensionValues {

namespace {

// 128-bit intermediates let the 64-bit range checks be written once, after the arithmetic.
__extension__ typedef __int128 Int128;

constexpr qint64 kDecimalScale = 10000;
constexpr qint64 kMillisPerDay = 86400000;

bool isAsciiDigit(QChar c)
{
    return c.unicode() >= '0' && c.unicode() <= '9';
}

bool allDigits(QStringView s)
{
    if (s.isEmpty())
        return false;
    for (const QChar c : s) {
        if (!isAsciiDigit(c))
            return false;
    }
    return true;
}

// Digits as an unsigned number; std::nullopt when it does not fit in 64 bits.
std::optional<quint64> parseUnsigned(QStringView digits)
{
    quint64 n = 0;
    for (const QChar c : digits) {
        if (qMulOverflow(n, quint64(10), &n) || qAddOverflow(n, quint64(c.unicode() - '0'), &n))
            return std::nullopt;
    }
    return n;
}

int fixedDigits(QStringView s)
{
    int n = 0;
    for (const QChar c : s)
        n = n * 10 + (c.unicode() - '0');
    return n;
}

bool isLeapYear(qint64 y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(qint64 year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && isLeapYear(year) ? 29 : days[month - 1];
}

// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar (H. Hinnant's
// days_from_civil), valid for every year this extension can express.
qint64 daysFromCivil(qint64 y, int m, int d)
{
    y -= m <= 2;
    const qint64 era = (y >= 0 ? y : y - 399) / 400;
    const qint64 yoe = y - era * 400;
    const qint64 doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const qint64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civilFromDays(qint64 z, qint64 &y, int &m, int &d)
{
    z += 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const qint64 doe = z - era * 146097;
    const qint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const qint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const qint64 mp = (5 * doy + 2) / 153;
    d = int(doy - (153 * mp + 2) / 5 + 1);
    m = int(mp < 10 ? mp + 3 : mp - 9);
    y = yoe + era * 400 + (m <= 2);
}

qint64 floorDiv(qint64 a, qint64 b)
{
    qint64 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        --q;
    return q;
}

} // namespace

std::optional<qint64> parseDecimal(QStringView text)
{
    const qsizetype dot = text.indexOf(QLatin1Char('.'));
    if (dot < 0)
        return std::nullopt;
    QStringView left = text.left(dot);
    const QStringView right = text.mid(dot + 1);
    const bool negative = left.startsWith(QLatin1Char('-'));
    if (negative)
        left = left.mid(1);
    if (!allDigits(left) || !allDigits(right) || right.size() > 4)
        return std::nullopt;
    const auto whole = parseUnsigned(left);
    const auto fraction = parseUnsigned(right);
    if (!whole || !fraction)
        return std::nullopt;
    qint64 scaledFraction = qint64(*fraction);
    for (qsizetype i = right.size(); i < 4; ++i)
        scaledFraction *= 10;
    // The sign comes from the text, so "-0.5" is minus one half; the magnitude must fit, with
    // -922337203685477.5808 (the 64-bit minimum) still allowed.
    if (*whole > quint64(std::numeric_limits<qint64>::max()) / kDecimalScale + 1)
        return std::nullopt;
    const Int128 magnitude = Int128(*whole) * kDecimalScale + scaledFraction;
    const Int128 value = negative ? -magnitude : magnitude;
    if (value < std::numeric_limits<qint64>::min() || value > std::numeric_limits<qint64>::max())
        return std::nullopt;
    return qint64(value);
}

QString formatDecimal(qint64 value)
{
    const bool negative = value < 0;
    const quint64 magnitude = negative ? quint64(0) - quint64(value) : quint64(value);
    QString fraction = QString::number(magnitude % kDecimalScale).rightJustified(4, QLatin1Char('0'));
    return (negative ? QStringLiteral("-") : QString()) + QString::number(magnitude / kDecimalScale)
           + QLatin1Char('.') + fraction;
}

std::optional<qint64> parseDatetime(QStringView s)
{
    // Date: YYYY-MM-DD.
    if (s.size() < 10 || !allDigits(s.mid(0, 4)) || s.at(4) != QLatin1Char('-')
        || !allDigits(s.mid(5, 2)) || s.at(7) != QLatin1Char('-') || !allDigits(s.mid(8, 2)))
        return std::nullopt;
    const qint64 year = fixedDigits(s.mid(0, 4));
    const int month = fixedDigits(s.mid(5, 2));
    const int day = fixedDigits(s.mid(8, 2));
    const bool dateValid = month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
    if (s.size() == 10) {
        if (!dateValid)
            return std::nullopt;
        return daysFromCivil(year, month, day) * kMillisPerDay;
    }

    // Time: Thh:mm:ss.
    QStringView rest = s.mid(10);
    if (rest.size() < 9 || rest.at(0) != QLatin1Char('T') || !allDigits(rest.mid(1, 2))
        || rest.at(3) != QLatin1Char(':') || !allDigits(rest.mid(4, 2))
        || rest.at(6) != QLatin1Char(':') || !allDigits(rest.mid(7, 2)))
        return std::nullopt;
    const int hour = fixedDigits(rest.mid(1, 2));
    const int minute = fixedDigits(rest.mid(4, 2));
    const int second = fixedDigits(rest.mid(7, 2));
    rest = rest.mid(9);

    // Milliseconds and offset: (.SSS)?(Z|(+|-)hhmm), and nothing after.
    int millis = 0;
    if (rest.startsWith(QLatin1Char('.'))) {
        if (rest.size() < 4 || !allDigits(rest.mid(1, 3)))
            return std::nullopt;
        millis = fixedDigits(rest.mid(1, 3));
        rest = rest.mid(4);
    }
    qint64 offsetSeconds = 0;
    if (rest == QLatin1String("Z")) {
        offsetSeconds = 0;
    } else if (rest.size() == 5 && (rest.at(0) == QLatin1Char('+') || rest.at(0) == QLatin1Char('-'))
               && allDigits(rest.mid(1, 4))) {
        const int offsetHours = fixedDigits(rest.mid(1, 2));
        const int offsetMinutes = fixedDigits(rest.mid(3, 2));
        if (offsetHours >= 24 || offsetMinutes >= 60)
            return std::nullopt;
        offsetSeconds = qint64(offsetHours) * 3600 + offsetMinutes * 60;
        if (rest.at(0) == QLatin1Char('-'))
            offsetSeconds = -offsetSeconds;
    } else {
        return std::nullopt;
    }
    if (!dateValid || hour > 23 || minute > 59 || second > 59)
        return std::nullopt;
    const qint64 local = daysFromCivil(year, month, day) * kMillisPerDay
                         + ((qint64(hour) * 60 + minute) * 60 + second) * 1000 + millis;
    // A time written with offset +hhmm is that much ahead of UTC.
    return local - offsetSeconds * 1000;
}

QString formatDatetime(qint64 millis)
{
    const qint64 days = floorDiv(millis, kMillisPerDay);
    const qint64 inDay = millis - days * kMillisPerDay;
    qint64 y = 0;
    int m = 0;
    int d = 0;
    civilFromDays(days, y, m, d);
    if (y < 0 || y > 9999) // not expressible as a datetime string: say what it is instead
        return QStringLiteral("1970-01-01 + %1ms").arg(millis);
    const qint64 secs = inDay / 1000;
    return QStringLiteral("%1-%2-%3T%4:%5:%6.%7Z")
            .arg(y, 4, 10, QLatin1Char('0'))
            .arg(m, 2, 10, QLatin1Char('0'))
            .arg(d, 2, 10, QLatin1Char('0'))
            .arg(secs / 3600, 2, 10, QLatin1Char('0'))
            .arg((secs / 60) % 60, 2, 10, QLatin1Char('0'))
            .arg(secs % 60, 2, 10, QLatin1Char('0'))
            .arg(inDay % 1000, 3, 10, QLatin1Char('0'));
}

std::optional<qint64> parseDuration(QStringView text)
{
    QStringView s = text;
    const bool negative = s.startsWith(QLatin1Char('-'));
    if (negative)
        s = s.mid(1);
    if (s.isEmpty())
        return std::nullopt;

    // Units in the only order Cedar accepts; each may appear once.
    static const struct
    {
        const char *name;
        qint64 millis;
    } units[] = {{"d", kMillisPerDay}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    Int128 total = 0;
    int nextUnit = 0;
    qsizetype i = 0;
    while (i < s.size()) {
        const qsizetype start = i;
        while (i < s.size() && isAsciiDigit(s.at(i)))
            ++i;
        if (i == start)
            return std::nullopt;
        const auto quantity = parseUnsigned(s.mid(start, i - start));
        qsizetype unitStart = i;
        while (i < s.size() && !isAsciiDigit(s.at(i)))
            ++i;
        const QStringView unit = s.mid(unitStart, i - unitStart);
        int found = -1;
        for (int u = nextUnit; u < 5; ++u) {
            if (unit == QLatin1String(units[u].name)) {
                found = u;
                break;
            }
        }
        if (found < 0)
            return std::nullopt;
        // Every quantity must fit a signed 64-bit number before it is scaled (Cedar parses it
        // so); only a milliseconds quantity may reach 2^63 when negated.
        if (!quantity)
            return std::nullopt;
        total += Int128(*quantity) * units[found].millis;
        if (total > Int128(std::numeric_limits<qint64>::max()) + 1)
            return std::nullopt;
        nextUnit = found + 1;
    }
    const Int128 value = negative ? -total : total;
    if (value < std::numeric_limits<qint64>::min() || value > std::numeric_limits<qint64>::max())
        return std::nullopt;
    return qint64(value);
}

QString formatDuration(qint64 millis)
{
    return QString::number(millis) + QStringLiteral("ms");
}

std::optional<qint64> datetimeToDate(qint64 millis)
{
    const qint64 days = floorDiv(millis, kMillisPerDay);
    qint64 out = 0;
    if (qMulOverflow(days, kMillisPerDay, &out))
        return std::nullopt;
    return out;
}

qint64 datetimeToTime(qint64 millis)
{
    const qint64 rem = millis % kMillisPerDay;
    return rem < 0 ? rem + kMillisPerDay : rem;
}

} // namespace Spool::Cedar::ExtensionValues
