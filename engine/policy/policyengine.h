#pragma once

#include "policy/policydecision.h"

namespace Spool {

// Decides tool calls. Implementations are used on the engine thread and must be fast: every
// tool call passes here.
class PolicyEngine
{
public:
    virtual ~PolicyEngine() = default;
    virtual QString name() const = 0;
    virtual PolicyDecision decide(const PolicyRequest &request) const = 0;
};

} // namespace Spool
