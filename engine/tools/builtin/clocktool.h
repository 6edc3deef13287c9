#pragma once

#include "tools/tool.h"

namespace Spool {

// Tells the current date and time, in UTC or a named IANA time zone. Read-only, no approval.
class ClockTool : public Tool
{
public:
    ToolSpec spec() const override;
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;
};

} // namespace Spool
