#pragma once

#include "tools/tool.h"

#include <QPointer>

namespace Spool {

class MemoryService;

// memory.retain: the agent stores something for later runs. It writes what every later run
// may be given, so the default policies ask first (capability "memory.write"); the approval
// shows the text and where it would be stored.
class MemoryRetainTool : public Tool
{
public:
    explicit MemoryRetainTool(MemoryService &memory);
    ToolSpec spec() const override;
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;
    QJsonObject approvalPreview(const ToolInvocation &invocation) const override;

private:
    QPointer<MemoryService> m_memory;
};

} // namespace Spool
