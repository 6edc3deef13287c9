#include "policy/cedar/value.h"

#include "policy/cedar/extensionvalues.h"

#include <QStringList>

#include <algorithm>

namespace Spool::Cedar {

namespace {

const std::vector<Value> &emptyElements()
{
    static const std::vector<Value> empty;
    return empty;
}

const std::vector<Value::Field> &emptyFields()
{
    static const std::vector<Value::Field> empty;
    return empty;
}

// A record key that can be written bare; Cedar's keywords are quoted.
bool isIdentifier(QStringView s)
{
    static const char *const keywords[] = {"true", "false", "if",  "then", "else",
                                           "in",   "is",    "has", "like"};
    for (const char *k : keywords) {
        if (s == QLatin1String(k))
            return false;
    }
    if (s.isEmpty())
        return false;
    for (qsizetype i = 0; i < s.size(); ++i) {
        const char16_t c = s.at(i).unicode();
        const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!letter && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

} // namespace

Value Value::fromBool(bool b)
{
    Value v;
    v.m_type = Type::Bool;
    v.m_int = b ? 1 : 0;
    return v;
}

Value Value::fromLong(qint64 n)
{
    Value v;
    v.m_type = Type::Long;
    v.m_int = n;
    return v;
}

Value Value::fromString(const QString &s)
{
    Value v;
    v.m_type = Type::String;
    v.m_string = s;
    return v;
}

Value Value::fromEntity(const EntityUid &uid)
{
    Value v;
    v.m_type = Type::Entity;
    v.m_shared = std::make_shared<const EntityUid>(uid);
    return v;
}

Value Value::fromSet(std::vector<Value> elements)
{
    std::sort(elements.begin(), elements.end(),
              [](const Value &a, const Value &b) { return compare(a, b) < 0; });
    elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
    Value v;
    v.m_type = Type::Set;
    v.m_shared = std::make_shared<const std::vector<Value>>(std::move(elements));
    return v;
}

Value Value::fromRecord(std::vector<Field> fields)
{
    // A stable sort keeps duplicates in source order, so the last one can win.
    std::stable_sort(fields.begin(), fields.end(),
                     [](const Field &a, const Field &b) { return a.first < b.first; });
    std::vector<Field> unique;
    unique.reserve(fields.size());
    for (auto &f : fields) {
        if (!unique.empty() && unique.back().first == f.first)
            unique.back() = std::move(f);
        else
            unique.push_back(std::move(f));
    }
    Value v;
    v.m_type = Type::Record;
    v.m_shared = std::make_shared<const std::vector<Field>>(std::move(unique));
    return v;
}

Value Value::emptyRecord()
{
    static const Value empty = fromRecord({});
    return empty;
}

Value Value::fromDecimal(qint64 scaled)
{
    Value v;
    v.m_type = Type::Decimal;
    v.m_int = scaled;
    return v;
}

Value Value::fromIpAddress(const IpAddress &ip)
{
    Value v;
    v.m_type = Type::IpAddr;
    v.m_shared = std::make_shared<const IpAddress>(ip);
    return v;
}

Value Value::fromDatetime(qint64 millis)
{
    Value v;
    v.m_type = Type::Datetime;
    v.m_int = millis;
    return v;
}

Value Value::fromDuration(qint64 millis)
{
    Value v;
    v.m_type = Type::Duration;
    v.m_int = millis;
    return v;
}

const EntityUid &Value::toEntity() const
{
    static const EntityUid null;
    return m_type == Type::Entity ? *static_cast<const EntityUid *>(m_shared.get()) : null;
}

const std::vector<Value> &Value::elements() const
{
    return m_type == Type::Set ? *static_cast<const std::vector<Value> *>(m_shared.get())
                               : emptyElements();
}

const std::vector<Value::Field> &Value::fields() const
{
    return m_type == Type::Record ? *static_cast<const std::vector<Field> *>(m_shared.get())
                                  : emptyFields();
}

const IpAddress &Value::toIpAddress() const
{
    static const IpAddress null;
    return m_type == Type::IpAddr ? *static_cast<const IpAddress *>(m_shared.get()) : null;
}

const Value *Value::field(QStringView name) const
{
    if (m_type != Type::Record)
        return nullptr;
    const auto &f = fields();
    // Records are small; below a handful of fields a scan beats the binary search.
    if (f.size() <= 8) {
        for (const Field &field : f) {
            if (field.first == name)
                return &field.second;
        }
        return nullptr;
    }
    auto it = std::lower_bound(f.begin(), f.end(), name,
                               [](const Field &a, QStringView n) { return QStringView(a.first) < n; });
    return it != f.end() && it->first == name ? &it->second : nullptr;
}

bool Value::contains(const Value &element) const
{
    const auto &e = elements();
    auto it = std::lower_bound(e.begin(), e.end(), element,
                               [](const Value &a, const Value &b) { return compare(a, b) < 0; });
    return it != e.end() && *it == element;
}

int Value::compare(const Value &a, const Value &b)
{
    if (a.m_type != b.m_type)
        return a.m_type < b.m_type ? -1 : 1;
    switch (a.m_type) {
    case Type::Bool:
    case Type::Long:
    case Type::Decimal:
    case Type::Datetime:
    case Type::Duration:
        return a.m_int < b.m_int ? -1 : (a.m_int > b.m_int ? 1 : 0);
    case Type::String: {
        const int c = QStringView(a.m_string).compare(b.m_string);
        return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Type::Entity:
        if (a.m_shared == b.m_shared)
            return 0;
        return EntityUid::compare(a.toEntity(), b.toEntity());
    case Type::IpAddr:
        return IpAddress::compare(a.toIpAddress(), b.toIpAddress());
    case Type::Set: {
        if (a.m_shared == b.m_shared)
            return 0;
        const auto &x = a.elements();
        const auto &y = b.elements();
        const size_t n = std::min(x.size(), y.size());
        for (size_t i = 0; i < n; ++i) {
            if (const int c = compare(x[i], y[i]))
                return c;
        }
        return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
    }
    case Type::Record: {
        if (a.m_shared == b.m_shared)
            return 0;
        const auto &x = a.fields();
        const auto &y = b.fields();
        const size_t n = std::min(x.size(), y.size());
        for (size_t i = 0; i < n; ++i) {
            if (const int c = QStringView(x[i].first).compare(y[i].first))
                return c < 0 ? -1 : 1;
            if (const int c = compare(x[i].second, y[i].second))
                return c;
        }
        return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
    }
    }
    return 0;
}

bool operator==(const Value &a, const Value &b)
{
    if (a.m_type != b.m_type)
        return false;
    switch (a.m_type) {
    case Value::Type::Bool:
    case Value::Type::Long:
    case Value::Type::Decimal:
    case Value::Type::Datetime:
    case Value::Type::Duration:
        return a.m_int == b.m_int;
    case Value::Type::String:
        return a.m_string == b.m_string;
    case Value::Type::Entity:
        return a.m_shared == b.m_shared || a.toEntity() == b.toEntity();
    case Value::Type::IpAddr:
        return a.toIpAddress() == b.toIpAddress();
    case Value::Type::Set:
    case Value::Type::Record:
        return Value::compare(a, b) == 0;
    }
    return false;
}

QString Value::typeName(Type type)
{
    switch (type) {
    case Type::Bool: return QStringLiteral("bool");
    case Type::Long: return QStringLiteral("long");
    case Type::String: return QStringLiteral("string");
    case Type::Entity: return QStringLiteral("entity");
    case Type::Set: return QStringLiteral("set");
    case Type::Record: return QStringLiteral("record");
    case Type::Decimal: return QStringLiteral("decimal");
    case Type::IpAddr: return QStringLiteral("ipaddr");
    case Type::Datetime: return QStringLiteral("datetime");
    case Type::Duration: return QStringLiteral("duration");
    }
    return QString();
}

QString Value::toString() const
{
    switch (m_type) {
    case Type::Bool: return m_int ? QStringLiteral("true") : QStringLiteral("false");
    case Type::Long: return QString::number(m_int);
    case Type::String: return quotedCedarString(m_string);
    case Type::Entity: return toEntity().toString();
    case Type::Decimal:
        return QStringLiteral("decimal(\"%1\")").arg(ExtensionValues::formatDecimal(m_int));
    case Type::IpAddr: return QStringLiteral("ip(\"%1\")").arg(toIpAddress().toString());
    case Type::Datetime:
        return QStringLiteral("datetime(\"%1\")").arg(ExtensionValues::formatDatetime(m_int));
    case Type::Duration:
        return QStringLiteral("duration(\"%1\")").arg(ExtensionValues::formatDuration(m_int));
    case Type::Set: {
        QStringList parts;
        for (const Value &e : elements())
            parts.append(e.toString());
        return QLatin1Char('[') + parts.join(QLatin1String(", ")) + QLatin1Char(']');
    }
    case Type::Record: {
        QStringList parts;
        for (const Field &f : fields()) {
            const QString key = isIdentifier(f.first) ? f.first : quotedCedarString(f.first);
            parts.append(key + QLatin1String(": ") + f.second.toString());
        }
        return QLatin1Char('{') + parts.join(QLatin1String(", ")) + QLatin1Char('}');
    }
    }
    return QString();
}

} // namespace Spool::Cedar
