#pragma once

#include "policy/cedar/diagnostic.h"
#include "policy/cedar/entityuid.h"
#include "policy/cedar/schematype.h"

#include <QHash>
#include <QList>
#include <QString>

namespace Spool::Cedar {

// A Cedar schema in the human-readable format
// (https://docs.cedarpolicy.com/schema/human-readable-schema.html): namespaces, entity types
// with attributes, parents, tags and enumerations, actions with their groups and appliesTo,
// and common types. The engine does not validate policies against it; it uses it to type
// entity and context data, and to know the action hierarchy.
class Schema
{
public:
    struct Action
    {
        EntityUid uid;
        QList<EntityUid> parents;
        SchemaTypePtr context; // a Record, or nullptr when the action declares none
    };

    // Parses `text`; on errors, returns an empty schema and fills `errors`.
    static Schema parse(const QString &text, const QString &fileName, Diagnostics *errors);

    bool isEmpty() const { return m_entityTypes.isEmpty() && m_actions.isEmpty(); }
    bool hasEntityType(const QString &type) const { return m_entityTypes.contains(type); }
    // The entity type's attributes as a Record type; nullptr for an unknown type.
    const SchemaType *entityAttributes(const QString &type) const;
    // The type of the entity type's tags; nullptr when it has none.
    const SchemaType *entityTags(const QString &type) const;
    const Action *action(const EntityUid &uid) const;
    QList<Action> actions() const { return m_actions.values(); }

private:
    friend class SchemaParser;

    struct EntityType
    {
        SchemaTypePtr attributes; // Record
        SchemaTypePtr tags;
    };
    QHash<QString, EntityType> m_entityTypes;
    QHash<EntityUid, Action> m_actions;
};

} // namespace Spool::Cedar
