#include "tools/addresspolicy.h"

#include <QStringList>

namespace Spool {

namespace {

bool inV4(quint32 a, quint32 net, int bits)
{
    const quint32 mask = bits == 0 ? 0 : ~quint32(0) << (32 - bits);
    return (a & mask) == (net & mask);
}

constexpr quint32 v4(int a, int b, int c, int d)
{
    return (quint32(a) << 24) | (quint32(b) << 16) | (quint32(c) << 8) | quint32(d);
}

AddressPolicy::Class classifyV4(quint32 a)
{
    using C = AddressPolicy::Class;
    if (inV4(a, v4(0, 0, 0, 0), 8))
        return C::Unspecified; // "this network"; 0.0.0.0 reaches the local host on Linux
    if (inV4(a, v4(127, 0, 0, 0), 8))
        return C::Loopback;
    if (inV4(a, v4(10, 0, 0, 0), 8) || inV4(a, v4(172, 16, 0, 0), 12)
        || inV4(a, v4(192, 168, 0, 0), 16))
        return C::Private;
    if (inV4(a, v4(169, 254, 0, 0), 16))
        return C::LinkLocal;
    if (inV4(a, v4(100, 64, 0, 0), 10))
        return C::SharedCgnat;
    if (a == v4(255, 255, 255, 255))
        return C::Broadcast;
    if (inV4(a, v4(224, 0, 0, 0), 4))
        return C::Multicast;
    if (inV4(a, v4(240, 0, 0, 0), 4) || inV4(a, v4(192, 0, 0, 0), 24)
        || inV4(a, v4(192, 0, 2, 0), 24) || inV4(a, v4(198, 51, 100, 0), 24)
        || inV4(a, v4(203, 0, 113, 0), 24) || inV4(a, v4(198, 18, 0, 0), 15)
        || inV4(a, v4(192, 88, 99, 0), 24))
        return C::Reserved;
    return C::Public;
}

bool inV6(const Q_IPV6ADDR &a, std::initializer_list<quint8> prefix, int bits)
{
    int i = 0;
    for (quint8 byte : prefix) {
        const int remaining = bits - i * 8;
        if (remaining <= 0)
            break;
        const quint8 mask = remaining >= 8 ? 0xFF : quint8(0xFF << (8 - remaining));
        if ((a[i] & mask) != (byte & mask))
            return false;
        ++i;
    }
    return true;
}

quint32 v4At(const Q_IPV6ADDR &a, int offset)
{
    return (quint32(a[offset]) << 24) | (quint32(a[offset + 1]) << 16)
            | (quint32(a[offset + 2]) << 8) | quint32(a[offset + 3]);
}

} // namespace

AddressPolicy::AddressPolicy(bool allowPrivate, const QList<QPair<QHostAddress, int>> &allowedNetworks)
    : m_allowPrivate(allowPrivate), m_allowed(allowedNetworks)
{
}

Result<AddressPolicy> AddressPolicy::fromStrings(bool allowPrivate, const QStringList &allowedNetworks)
{
    QList<QPair<QHostAddress, int>> nets;
    for (const QString &s : allowedNetworks) {
        const auto net = QHostAddress::parseSubnet(s);
        if (net.first.isNull() || net.second < 0)
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("\"%1\" is not a network (expected e.g. 10.1.0.0/16)")
                                     .arg(s.left(100)));
        nets.append(net);
    }
    return AddressPolicy(allowPrivate, nets);
}

AddressPolicy::Class AddressPolicy::classify(const QHostAddress &address)
{
    if (address.isNull())
        return Class::Unspecified;
    if (address.protocol() == QAbstractSocket::IPv4Protocol)
        return classifyV4(address.toIPv4Address());
    const Q_IPV6ADDR a = address.toIPv6Address();
    bool allZeroTo10 = true;
    for (int i = 0; i < 10; ++i)
        allZeroTo10 = allZeroTo10 && a[i] == 0;
    if (allZeroTo10 && a[10] == 0xFF && a[11] == 0xFF)
        return classifyV4(v4At(a, 12)); // ::ffff:a.b.c.d
    if (allZeroTo10 && a[10] == 0 && a[11] == 0) {
        const quint32 low = v4At(a, 12);
        if (low == 0)
            return Class::Unspecified; // ::
        if (low == 1)
            return Class::Loopback; // ::1
        return classifyV4(low) == Class::Public ? Class::Reserved : classifyV4(low); // ::a.b.c.d
    }
    if (inV6(a, {0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0}, 96))
        return classifyV4(v4At(a, 12)); // NAT64
    if (inV6(a, {0x20, 0x02}, 16)) {
        const Class inner = classifyV4(v4At(a, 2)); // 6to4
        return inner == Class::Public ? Class::Public : inner;
    }
    if (inV6(a, {0xFE, 0x80}, 10))
        return Class::LinkLocal;
    if (inV6(a, {0xFE, 0xC0}, 10))
        return Class::Private; // deprecated site-local
    if (inV6(a, {0xFC, 0x00}, 7))
        return Class::Private; // unique local
    if (inV6(a, {0xFF}, 8))
        return Class::Multicast;
    if (inV6(a, {0x20, 0x01, 0x0D, 0xB8}, 32) || inV6(a, {0x20, 0x01, 0x00, 0x00}, 32)
        || inV6(a, {0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64) || inV6(a, {0x3F, 0xFF}, 20))
        return Class::Reserved; // documentation, Teredo, discard-only
    return Class::Public;
}

QString AddressPolicy::className(Class c)
{
    switch (c) {
    case Class::Public: return QStringLiteral("public");
    case Class::Loopback: return QStringLiteral("loopback");
    case Class::Private: return QStringLiteral("private");
    case Class::LinkLocal: return QStringLiteral("link-local");
    case Class::SharedCgnat: return QStringLiteral("shared (CGNAT)");
    case Class::Unspecified: return QStringLiteral("unspecified");
    case Class::Multicast: return QStringLiteral("multicast");
    case Class::Broadcast: return QStringLiteral("broadcast");
    case Class::Reserved: return QStringLiteral("reserved");
    }
    return QString();
}

Status AddressPolicy::check(const QHostAddress &address) const
{
    // Judge an IPv4-mapped address and its allow-list entry as the IPv4 address it carries.
    QHostAddress plain = address;
    bool isV4 = false;
    const quint32 mapped = address.toIPv4Address(&isV4);
    if (isV4)
        plain = QHostAddress(mapped);
    plain.setScopeId(QString());

    const Class c = classify(plain);
    if (c == Class::Public)
        return {};
    const bool openable = c == Class::Loopback || c == Class::Private || c == Class::LinkLocal
            || c == Class::SharedCgnat;
    if (openable) {
        if (m_allowPrivate)
            return {};
        for (const auto &net : m_allowed) {
            if (plain.isInSubnet(net) || address.isInSubnet(net))
                return {};
        }
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("%1 is a %2 address; fetching from private networks is "
                                        "not allowed in settings")
                                 .arg(plain.toString(), className(c)));
    }
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("%1 is a %2 address and cannot be fetched from")
                             .arg(plain.toString(), className(c)));
}

} // namespace Spool
