#pragma once

#include "tools/tool.h"
#include "tools/tooloptions.h"

namespace Spool {

// `fs.search`: lines of workspace files that contain a text (or match a regular expression,
// PCRE syntax), as "path:line: text". Skips binary files, files over Files::searchMaxFileBytes
// and version-control folders; stops at `max_results`, at Files::searchMaxTotalBytes read and
// at Files::searchTimeoutMs, saying so.
class FsSearchTool : public Tool
{
public:
    explicit FsSearchTool(const ToolOptions &options);
    ToolSpec spec() const override;
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;

    static ToolResult search(const Workspace &workspace, const QJsonObject &arguments,
                             const ToolOptions::Files &limits,
                             const std::atomic_bool *cancel = nullptr);

private:
    ToolOptions m_options;
};

} // namespace Spool
