#pragma once

#include "policy/cedar/entityuid.h"
#include "policy/cedar/value.h"

#include <QHash>
#include <QList>
#include <QSet>

namespace Spool::Cedar {

// The entities a request is evaluated against: each with its attributes, tags and parents.
// `in` looks at the transitive closure of the parents, which computeAncestors() works out
// once, after loading, so that each `in` during evaluation is a hash lookup.
class EntityStore
{
public:
    struct Entity
    {
        EntityUid uid;
        Value attributes = Value::emptyRecord();
        Value tags = Value::emptyRecord();
        QList<EntityUid> parents;
        QSet<EntityUid> ancestors; // filled by computeAncestors()
    };

    // Adds the entity, replacing one with the same uid.
    void insert(const Entity &entity);
    // Adds parents to an entity, creating it (without attributes) when it is missing.
    void addParents(const EntityUid &uid, const QList<EntityUid> &parents);
    // Fills every entity's ancestors. A parent that is not in the store still counts as an
    // ancestor; its own parents are unknown. Cycles are harmless.
    void computeAncestors();

    const Entity *find(const EntityUid &uid) const;
    // uid == ancestor, or ancestor is among uid's ancestors.
    bool isInOrEqual(const EntityUid &uid, const EntityUid &ancestor) const;

    qsizetype size() const { return m_entities.size(); }
    QList<EntityUid> uids() const { return m_entities.keys(); }

private:
    QHash<EntityUid, Entity> m_entities;
};

} // namespace Spool::Cedar
