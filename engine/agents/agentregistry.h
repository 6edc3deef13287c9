#pragma once

#include "agents/agent.h"
#include "core/result.h"

#include <QList>

namespace Spool {

class JournalStore;

// The agents a user has, kept in the journal. A default agent always exists.
class AgentRegistry
{
public:
    explicit AgentRegistry(JournalStore &journal);

    // Creates the default agent when the journal has none.
    Status ensureDefault();
    Result<Agent> get(const QString &name) const;
    Result<QList<Agent>> list() const;
    Status save(const Agent &agent);
    Status remove(const QString &name);

private:
    JournalStore &m_journal;
};

} // namespace Spool
