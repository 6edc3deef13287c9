#pragma once

#include "policy/cedar/policy.h"

#include <QHash>
#include <QList>
#include <QString>

namespace Spool::Cedar {

// Policies in the order they were added, each with a unique id.
class PolicySet
{
public:
    // False (and nothing added) when a policy with the same id is already there.
    bool add(const Policy &policy);
    const QList<Policy> &policies() const { return m_policies; }
    const Policy *find(const QString &id) const;
    qsizetype size() const { return m_policies.size(); }
    bool isEmpty() const { return m_policies.isEmpty(); }
    void clear();

private:
    QList<Policy> m_policies;
    QHash<QString, qsizetype> m_index;
};

} // namespace Spool::Cedar
