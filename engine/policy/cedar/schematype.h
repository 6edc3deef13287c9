#pragma once

#include <QHash>
#include <QString>

#include <memory>

namespace Spool::Cedar {

// A type declared in a Cedar schema. The engine uses types to read JSON data the way Cedar
// does: with a schema, `"1.2.3.4"` in an attribute declared `ipaddr` is an IP address, and
// `{"type": "User", "id": "alice"}` in one declared `User` is an entity.
struct SchemaType
{
    enum class Kind : quint8 { Bool, Long, String, Entity, Set, Record, Extension, Unresolved };

    struct Attribute
    {
        std::shared_ptr<SchemaType> type;
        bool required = true;
    };

    Kind kind = Kind::Unresolved;
    // Entity: the entity type; Extension: ipaddr, decimal, datetime or duration;
    // Unresolved: the name as written, resolved in the namespace `scope`.
    QString name;
    QString scope;
    std::shared_ptr<SchemaType> element;   // Set
    QHash<QString, Attribute> attributes;  // Record
};

using SchemaTypePtr = std::shared_ptr<SchemaType>;

} // namespace Spool::Cedar
