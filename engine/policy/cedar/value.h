#pragma once

#include "policy/cedar/entityuid.h"
#include "policy/cedar/ipaddress.h"

#include <QString>

#include <memory>
#include <utility>
#include <vector>

namespace Spool::Cedar {

// A Cedar value: a small tagged type, cheap to copy. Scalars (booleans, longs and the 64-bit
// extension values) live inline; strings share their QString; entities, sets, records and IP
// addresses share an immutable heap block. Sets are kept canonical (sorted by compare(),
// without duplicates) and records sorted by attribute name, so equality is a linear walk.
class Value
{
public:
    enum class Type : quint8 {
        Bool,
        Long,
        String,
        Entity,
        Set,
        Record,
        Decimal,
        IpAddr,
        Datetime,
        Duration,
    };
    using Field = std::pair<QString, Value>;

    Value() = default; // false

    static Value fromBool(bool b);
    static Value fromLong(qint64 n);
    static Value fromString(const QString &s);
    static Value fromEntity(const EntityUid &uid);
    static Value fromSet(std::vector<Value> elements);
    // Later duplicates of a name replace earlier ones.
    static Value fromRecord(std::vector<Field> fields);
    static Value fromDecimal(qint64 scaled);
    static Value fromIpAddress(const IpAddress &ip);
    static Value fromDatetime(qint64 millis);
    static Value fromDuration(qint64 millis);
    static Value emptyRecord();

    Type type() const { return m_type; }
    bool is(Type t) const { return m_type == t; }

    bool toBool() const { return m_int != 0; }
    // The integer of a Long, or the inline number of a Decimal, Datetime or Duration.
    qint64 toLong() const { return m_int; }
    const QString &toStringValue() const { return m_string; }
    const EntityUid &toEntity() const;
    const std::vector<Value> &elements() const;     // Set
    const std::vector<Field> &fields() const;       // Record
    const IpAddress &toIpAddress() const;

    // Record attribute lookup; nullptr when absent (or when this is not a record).
    const Value *field(QStringView name) const;
    // Set membership by Cedar equality.
    bool contains(const Value &element) const;

    // Cedar source form, e.g. `{"a": [1, User::"x"], "b": decimal("1.5000")}`.
    QString toString() const;
    static QString typeName(Type type);

    // A total order over all values: first by type, then by content.
    static int compare(const Value &a, const Value &b);
    friend bool operator==(const Value &a, const Value &b);
    friend bool operator!=(const Value &a, const Value &b) { return !(a == b); }

private:
    Type m_type = Type::Bool;
    qint64 m_int = 0;
    QString m_string;
    // EntityUid, std::vector<Value>, std::vector<Field> or IpAddress, by m_type.
    std::shared_ptr<const void> m_shared;
};

} // namespace Spool::Cedar
