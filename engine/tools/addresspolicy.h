#pragma once

#include "core/result.h"

#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>

namespace Spool {

// Which IP addresses http.fetch may connect to. Checked on the address the socket actually
// connects to (the tool resolves names itself and connects to the checked address), so a name
// that resolves to a public address once and to 127.0.0.1 the next time gains nothing.
//
// Refused unless allowed: loopback, private (RFC 1918, IPv6 unique local), link-local
// (169.254/16 including cloud metadata, fe80::/10), shared address space (CGNAT 100.64/10),
// site-local fec0::/10. Always refused: unspecified (0.0.0.0/8, ::), multicast, broadcast,
// reserved and documentation ranges. IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d),
// NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by the IPv4 address inside.
class AddressPolicy
{
public:
    enum class Class {
        Public,
        Loopback,
        Private,
        LinkLocal,
        SharedCgnat,
        Unspecified,
        Multicast,
        Broadcast,
        Reserved, // documentation, benchmarking, future use, Teredo, discard-only
    };

    AddressPolicy() = default;
    // `allowPrivate` opens loopback, private, link-local, CGNAT and site-local addresses;
    // `allowedNetworks` ("127.0.0.1/32", "10.1.0.0/16", "::1/128") open just those ranges.
    AddressPolicy(bool allowPrivate, const QList<QPair<QHostAddress, int>> &allowedNetworks);
    static Result<AddressPolicy> fromStrings(bool allowPrivate, const QStringList &allowedNetworks);

    static Class classify(const QHostAddress &address);
    static QString className(Class c);

    // Ok, or an error that names the address and why it is refused.
    Status check(const QHostAddress &address) const;

private:
    bool m_allowPrivate = false;
    QList<QPair<QHostAddress, int>> m_allowed;
};

} // namespace Spool
