#pragma once

#include "agents/agent.h"
#include "core/result.h"

#include <QList>

namespace Spool {

// The agents a user has (Engine::agents()). A default agent always exists.
class Agents
{
public:
    virtual ~Agents() = default;

    virtual Result<QList<Agent>> list() const = 0;
    virtual Result<Agent> get(const QString &name) const = 0;
    // Adds or replaces the agent of that name.
    virtual Status save(const Agent &agent) = 0;
    virtual Status remove(const QString &name) = 0;
};

} // namespace Spool
