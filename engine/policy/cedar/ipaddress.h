#pragma once

#include <QString>
#include <QStringView>

#include <optional>

namespace Spool::Cedar {

// The value of Cedar's `ipaddr` extension: an IPv4 or IPv6 address with a prefix length (a
// single address has /32 or /128). Equality is structural: `ip("10.0.0.1/24")` and
// `ip("10.0.0.0/24")` differ, although they describe the same range.
class IpAddress
{
public:
    // Accepts dotted IPv4 (no leading zeros) and IPv6 with at most one `::`, each with an
    // optional `/prefix`; IPv4 embedded in IPv6 (`::ffff:1.2.3.4`) is refused, as in Cedar.
    static std::optional<IpAddress> parse(QStringView text);

    bool isV4() const { return !m_v6; }
    bool isV6() const { return m_v6; }
    int prefixLength() const { return m_prefix; }
    bool isLoopback() const;
    bool isMulticast() const;
    // True when every address of this range lies in `range` (an IPv4 range never contains an
    // IPv6 one, nor the reverse).
    bool isInRange(const IpAddress &range) const;

    QString toString() const;

    static int compare(const IpAddress &a, const IpAddress &b);
    friend bool operator==(const IpAddress &a, const IpAddress &b)
    {
        return a.m_v6 == b.m_v6 && a.m_prefix == b.m_prefix && a.m_high == b.m_high
               && a.m_low == b.m_low;
    }

private:
    bool m_v6 = false;
    quint8 m_prefix = 32;
    // The address as a 128-bit number; an IPv4 address lives in the low 32 bits.
    quint64 m_high = 0;
    quint64 m_low = 0;
};

} // namespace Spool::Cedar
