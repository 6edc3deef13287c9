#include "policy/cedar/entitystore.h"

namespace Spool::Cedar {

void EntityStore::insert(const Entity &entity)
{
    m_entities.insert(entity.uid, entity);
}

void EntityStore::addParents(const EntityUid &uid, const QList<EntityUid> &parents)
{
    auto it = m_entities.find(uid);
    if (it == m_entities.end()) {
        Entity e;
        e.uid = uid;
        it = m_entities.insert(uid, e);
    }
    for (const EntityUid &p : parents) {
        if (!it->parents.contains(p))
            it->parents.append(p);
    }
}

void EntityStore::computeAncestors()
{
    for (auto it = m_entities.begin(); it != m_entities.end(); ++it) {
        QSet<EntityUid> seen;
        QList<EntityUid> pending = it->parents;
        while (!pending.isEmpty()) {
            const EntityUid p = pending.takeLast();
            if (seen.contains(p))
                continue;
            seen.insert(p);
            if (const auto parent = m_entities.constFind(p); parent != m_entities.constEnd())
                pending.append(parent->parents);
        }
        it->ancestors = std::move(seen);
    }
}

const EntityStore::Entity *EntityStore::find(const EntityUid &uid) const
{
    const auto it = m_entities.constFind(uid);
    return it == m_entities.constEnd() ? nullptr : &*it;
}

bool EntityStore::isInOrEqual(const EntityUid &uid, const EntityUid &ancestor) const
{
    if (uid == ancestor)
        return true;
    const Entity *e = find(uid);
    return e && e->ancestors.contains(ancestor);
}

} // namespace Spool::Cedar
