#pragma once

#include "tools/tool.h"
#include "tools/tooloptions.h"

namespace Spool {

// `fs.list`: the files and folders under a workspace folder, depth-first and sorted, down to
// `depth` levels and at most `max_entries` lines. Folders end in '/', files show their size,
// links their target (never followed). The inside of version-control folders is not listed.
class FsListTool : public Tool
{
public:
    explicit FsListTool(const ToolOptions &options);
    ToolSpec spec() const override;
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;

    static ToolResult list(const Workspace &workspace, const QJsonObject &arguments,
                           const ToolOptions::Files &limits, const std::atomic_bool *cancel = nullptr);

private:
    ToolOptions m_options;
};

} // namespace Spool
