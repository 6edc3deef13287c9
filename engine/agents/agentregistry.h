#pragma once

#include "agents/agent.h"
#include "agents/agents.h"
#include "core/result.h"

#include <QList>

namespace Spool {

class JournalStore;

// The agents a user has, kept in the journal. A default agent always exists.
class AgentRegistry : public Agents
{
public:
    explicit AgentRegistry(JournalStore &journal);

    // Creates the default agent when the journal has none.
    Status ensureDefault();
    Result<Agent> get(const QString &name) const override;
    Result<QList<Agent>> list() const override;
    Status save(const Agent &agent) override;
    Status remove(const QString &name) override;

private:
    JournalStore &m_journal;
};

} // namespace Spool
