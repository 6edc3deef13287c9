#pragma once

#include "tools/tool.h"
#include "tools/tooloptions.h"

namespace Spool {

// `fs.read`: a text file of the workspace, whole or by lines (offset is the first line, 1-based;
// limit the number of lines), at most Files::readMaxBytes of it per call with a note saying how
// to read on. Binary files are recognised (a NUL byte in the first 8 KiB) and not shown.
class FsReadTool : public Tool
{
public:
    explicit FsReadTool(const ToolOptions &options);
    ToolSpec spec() const override;
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;

    // The work itself, synchronous; start() runs it on the thread pool.
    static ToolResult read(const Workspace &workspace, const QJsonObject &arguments,
                           const ToolOptions::Files &limits, const std::atomic_bool *cancel = nullptr);

private:
    ToolOptions m_options;
};

} // namespace Spool
