#pragma once

#include "tools/tool.h"

#include <QPointer>

namespace Spool {

class MemoryService;

// memory.search: the agent searches memory as a run's start does (the session's, its agent's
// and global items). Reads only, so the default policies let it run without asking.
class MemorySearchTool : public Tool
{
public:
    explicit MemorySearchTool(MemoryService &memory);
    ToolSpec spec() const override;
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;

private:
    QPointer<MemoryService> m_memory;
};

} // namespace Spool
