#include "policy/cedar/policyset.h"

namespace Spool::Cedar {

bool PolicySet::add(const Policy &policy)
{
    if (m_index.contains(policy.id()))
        return false;
    m_index.insert(policy.id(), m_policies.size());
    m_policies.append(policy);
    return true;
}

const Policy *PolicySet::find(const QString &id) const
{
    const auto it = m_index.constFind(id);
    return it == m_index.constEnd() ? nullptr : &m_policies.at(*it);
}

void PolicySet::clear()
{
    m_policies.clear();
    m_index.clear();
}

} // namespace Spool::Cedar
