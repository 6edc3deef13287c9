#include "policy/cedar/entityuid.h"

namespace Spool::Cedar {

QString EntityUid::toString() const
{
    return m_type + QStringLiteral("::") + quotedCedarString(m_id);
}

int EntityUid::compare(const EntityUid &a, const EntityUid &b)
{
    if (const int c = QStringView(a.m_type).compare(b.m_type))
        return c;
    return QStringView(a.m_id).compare(b.m_id);
}

QString quotedCedarString(QStringView text)
{
    QString out;
    out.reserve(text.size() + 2);
    out += QLatin1Char('"');
    for (const QChar c : text) {
        switch (c.unicode()) {
        case '"': out += QLatin1String("\\\""); break;
        case '\\': out += QLatin1String("\\\\"); break;
        case '\n': out += QLatin1String("\\n"); break;
        case '\r': out += QLatin1String("\\r"); break;
        case '\t': out += QLatin1String("\\t"); break;
        case 0: out += QLatin1String("\\0"); break;
        default:
            if (c.unicode() < 0x20 || c.unicode() == 0x7f)
                out += QStringLiteral("\\u{%1}").arg(c.unicode(), 0, 16);
            else
                out += c;
        }
    }
    out += QLatin1Char('"');
    return out;
}

QStringView unqualifiedTypeName(QStringView type)
{
    const qsizetype colons = type.lastIndexOf(QLatin1String("::"));
    return colons < 0 ? type : type.mid(colons + 2);
}

} // namespace Spool::Cedar
