#pragma once

#include "tools/tool.h"

namespace Spool {

// Returns its text argument. Harmless, but marked as needing approval so the approval flow can
// be exercised offline with the deterministic provider.
class EchoTool : public Tool
{
public:
    ToolSpec spec() const override;
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;
};

} // namespace Spool
