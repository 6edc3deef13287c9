#include "api/apirequest.h"

namespace Spool {

QByteArray ApiRequest::header(const QByteArray &name) const
{
    QByteArray value;
    bool first = true;
    for (const auto &[key, v] : headers) {
        if (key != name)
            continue;
        if (!first)
            value += ", ";
        value += v;
        first = false;
    }
    return value;
}

int ApiRequest::headerCount(const QByteArray &name) const
{
    int n = 0;
    for (const auto &h : headers)
        n += h.first == name ? 1 : 0;
    return n;
}

QStringList ApiRequest::segments() const
{
    QStringList parts = path.split(QLatin1Char('/'));
    if (!parts.isEmpty() && parts.constFirst().isEmpty())
        parts.removeFirst();
    if (!parts.isEmpty() && parts.constLast().isEmpty())
        parts.removeLast(); // a trailing slash names the same thing
    return parts;
}

bool ApiRequest::queryFlag(const QString &name) const
{
    if (!query.hasQueryItem(name))
        return false;
    const QString v = query.queryItemValue(name).toLower();
    return v.isEmpty() || v == QLatin1String("1") || v == QLatin1String("true")
            || v == QLatin1String("yes");
}

} // namespace Spool
