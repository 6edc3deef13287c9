#pragma once

#include "policy/policyengine.h"

namespace Spool {

// The minimal policy: every tool may run, and tools marked as needing approval ask first.
class BasicPolicyEngine : public PolicyEngine
{
public:
    QString name() const override { return QStringLiteral("basic"); }
    PolicyDecision decide(const PolicyRequest &request) const override;
};

} // namespace Spool
