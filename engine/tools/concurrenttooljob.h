#pragma once

#include "tools/tool.h"
#include "tools/tooloptions.h"

#include <atomic>
#include <functional>
#include <memory>

namespace Spool {

// A job whose work runs on the thread pool (walking a tree, reading a large file) so that the
// engine thread never waits on the disk. The work gets a flag that turns true on cancel() and
// should return soon after; its result is then dropped. finished() comes on the job's thread.
class ConcurrentToolJob : public ToolJob
{
    Q_OBJECT
public:
    using Work = std::function<ToolResult(const std::atomic_bool &cancelled)>;

    ConcurrentToolJob(Work work, QObject *parent);
    ~ConcurrentToolJob() override;
    void cancel() override;

private:
    std::shared_ptr<std::atomic_bool> m_cancelled;
};

// How the file tools that only read start: the call's workspace (a failure ends the call at
// once), then `work` off the engine thread, cancellable.
using WorkspaceWork = ToolResult (*)(const Workspace &workspace, const QJsonObject &arguments,
                                     const ToolOptions::Files &limits, const std::atomic_bool *cancel);
ToolJob *startInWorkspace(const ToolOptions &options, const ToolInvocation &invocation,
                          WorkspaceWork work, QObject *parent);

} // namespace Spool
