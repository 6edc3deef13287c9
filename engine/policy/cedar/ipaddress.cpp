#include "policy/cedar/ipaddress.h"

#include <QList>

namespace Spool::Cedar {

namespace {

__extension__ typedef unsigned __int128 Bits128;

bool isAsciiDigit(QChar c)
{
    return c.unicode() >= '0' && c.unicode() <= '9';
}

// A decimal number of at most `maxDigits` digits without a leading zero (except "0" itself),
// not above `max`: the rules Cedar applies to IPv4 octets and prefix lengths.
std::optional<int> parseSmallDecimal(QStringView s, int maxDigits, int max)
{
    if (s.isEmpty() || s.size() > maxDigits || (s.size() > 1 && s.front() == QLatin1Char('0')))
        return std::nullopt;
    int n = 0;
    for (const QChar c : s) {
        if (!isAsciiDigit(c))
            return std::nullopt;
        n = n * 10 + (c.unicode() - '0');
    }
    if (n > max)
        return std::nullopt;
    return n;
}

int hexValue(QChar c)
{
    const char16_t u = c.unicode();
    if (u >= '0' && u <= '9')
        return u - '0';
    if (u >= 'a' && u <= 'f')
        return u - 'a' + 10;
    if (u >= 'A' && u <= 'F')
        return u - 'A' + 10;
    return -1;
}

std::optional<QList<quint16>> parseV6Groups(QStringView s)
{
    QList<quint16> groups;
    if (s.isEmpty())
        return groups;
    for (QStringView part : s.split(QLatin1Char(':'))) {
        if (part.isEmpty() || part.size() > 4)
            return std::nullopt;
        int n = 0;
        for (const QChar c : part) {
            const int h = hexValue(c);
            if (h < 0)
                return std::nullopt;
            n = n * 16 + h;
        }
        groups.append(quint16(n));
    }
    return groups;
}

std::optional<Bits128> parseV6Address(QStringView s)
{
    QList<quint16> groups;
    const qsizetype gap = s.indexOf(QLatin1String("::"));
    if (gap < 0) {
        auto all = parseV6Groups(s);
        if (!all)
            return std::nullopt;
        groups = *all;
    } else {
        const QStringView head = s.left(gap);
        const QStringView tail = s.mid(gap + 2);
        if (tail.contains(QLatin1String("::")))
            return std::nullopt;
        auto h = parseV6Groups(head);
        auto t = parseV6Groups(tail);
        // `::` stands for at least one group of zeros.
        if (!h || !t || h->size() + t->size() >= 8)
            return std::nullopt;
        groups = *h;
        groups.resize(8 - t->size(), 0);
        groups.append(*t);
    }
    if (groups.size() != 8)
        return std::nullopt;
    Bits128 bits = 0;
    for (quint16 g : groups)
        bits = (bits << 16) | g;
    return bits;
}

std::optional<quint32> parseV4Address(QStringView s)
{
    const auto parts = s.split(QLatin1Char('.'));
    if (parts.size() != 4)
        return std::nullopt;
    quint32 bits = 0;
    for (QStringView part : parts) {
        const auto octet = parseSmallDecimal(part, 3, 255);
        if (!octet)
            return std::nullopt;
        bits = (bits << 8) | quint32(*octet);
    }
    return bits;
}

struct Range
{
    Bits128 low;
    Bits128 high;
};

} // namespace

std::optional<IpAddress> IpAddress::parse(QStringView text)
{
    const auto slash = text.split(QLatin1Char('/'));
    if (slash.size() > 2)
        return std::nullopt;
    const QStringView addressText = slash.front();
    const bool hasPrefix = slash.size() == 2;

    IpAddress ip;
    if (const auto v4 = parseV4Address(addressText)) {
        ip.m_v6 = false;
        ip.m_low = *v4;
        ip.m_prefix = 32;
        if (hasPrefix) {
            const auto p = parseSmallDecimal(slash.at(1), 2, 32);
            if (!p)
                return std::nullopt;
            ip.m_prefix = quint8(*p);
        }
        return ip;
    }
    // Cedar refuses IPv4 embedded in IPv6: the text must not mix colons and dots.
    if (addressText.count(QLatin1Char(':')) >= 2 && addressText.count(QLatin1Char('.')) >= 2)
        return std::nullopt;
    const auto v6 = parseV6Address(addressText);
    if (!v6)
        return std::nullopt;
    ip.m_v6 = true;
    ip.m_high = quint64(*v6 >> 64);
    ip.m_low = quint64(*v6);
    ip.m_prefix = 128;
    if (hasPrefix) {
        const auto p = parseSmallDecimal(slash.at(1), 3, 128);
        if (!p)
            return std::nullopt;
        ip.m_prefix = quint8(*p);
    }
    return ip;
}

namespace {

Range rangeOf(bool v6, int prefix, quint64 high, quint64 low)
{
    const int width = (v6 ? 128 : 32) - prefix;
    const Bits128 bits = (Bits128(high) << 64) | low;
    const Bits128 hostMask = width >= 128 ? ~Bits128(0) : ((Bits128(1) << width) - 1);
    return Range{bits & ~hostMask, (bits & ~hostMask) | hostMask};
}

} // namespace

bool IpAddress::isInRange(const IpAddress &range) const
{
    if (m_v6 != range.m_v6)
        return false;
    const Range inner = rangeOf(m_v6, m_prefix, m_high, m_low);
    const Range outer = rangeOf(range.m_v6, range.m_prefix, range.m_high, range.m_low);
    return outer.high >= inner.high && inner.low >= outer.low;
}

bool IpAddress::isLoopback() const
{
    IpAddress net;
    net.m_v6 = m_v6;
    if (m_v6) {
        net.m_low = 1; // ::1/128
        net.m_prefix = 128;
    } else {
        net.m_low = quint64(127) << 24; // 127.0.0.0/8
        net.m_prefix = 8;
    }
    return isInRange(net);
}

bool IpAddress::isMulticast() const
{
    IpAddress net;
    net.m_v6 = m_v6;
    if (m_v6) {
        net.m_high = quint64(0xff00) << 48; // ff00::/8
        net.m_prefix = 8;
    } else {
        net.m_low = quint64(224) << 24; // 224.0.0.0/4
        net.m_prefix = 4;
    }
    return isInRange(net);
}

QString IpAddress::toString() const
{
    QString out;
    if (!m_v6) {
        const quint32 v = quint32(m_low);
        out = QStringLiteral("%1.%2.%3.%4")
                      .arg(v >> 24)
                      .arg((v >> 16) & 0xff)
                      .arg((v >> 8) & 0xff)
                      .arg(v & 0xff);
        if (m_prefix != 32)
            out += QLatin1Char('/') + QString::number(m_prefix);
        return out;
    }
    QStringList groups;
    for (int i = 7; i >= 0; --i) {
        const quint64 half = i >= 4 ? m_high : m_low;
        groups.append(QString::number((half >> ((i % 4) * 16)) & 0xffff, 16));
    }
    out = groups.join(QLatin1Char(':'));
    if (m_prefix != 128)
        out += QLatin1Char('/') + QString::number(m_prefix);
    return out;
}

int IpAddress::compare(const IpAddress &a, const IpAddress &b)
{
    if (a.m_v6 != b.m_v6)
        return a.m_v6 ? 1 : -1;
    if (a.m_high != b.m_high)
        return a.m_high < b.m_high ? -1 : 1;
    if (a.m_low != b.m_low)
        return a.m_low < b.m_low ? -1 : 1;
    if (a.m_prefix != b.m_prefix)
        return a.m_prefix < b.m_prefix ? -1 : 1;
    return 0;
}

} // namespace Spool::Cedar
