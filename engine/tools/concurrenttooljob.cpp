#include "tools/concurrenttooljob.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

namespace Spool {

ConcurrentToolJob::ConcurrentToolJob(Work work, QObject *parent)
    : ToolJob(parent), m_cancelled(std::make_shared<std::atomic_bool>(false))
{
    auto *watcher = new QFutureWatcher<ToolResult>(this);
    connect(watcher, &QFutureWatcher<ToolResult>::finished, this, [this, watcher] {
        if (m_cancelled->load())
            return;
        emit finished(watcher->result());
    });
    // The work owns what it uses (the flag by shared pointer), so the job may be deleted while
    // it still runs.
    auto cancelled = m_cancelled;
    watcher->setFuture(QtConcurrent::run([work = std::move(work), cancelled] {
        QElapsedTimer clock;
        clock.start();
        ToolResult r = work(*cancelled);
        if (r.durationMs == 0)
            r.durationMs = clock.elapsed();
        return r;
    }));
}

ConcurrentToolJob::~ConcurrentToolJob()
{
    m_cancelled->store(true);
}

void ConcurrentToolJob::cancel()
{
    m_cancelled->store(true);
}

ToolJob *startInWorkspace(const ToolOptions &options, const ToolInvocation &invocation,
                          WorkspaceWork work, QObject *parent)
{
    auto workspace = Workspace::forCall(invocation.workspace, invocation.sessionId,
                                        options.workspaceRoot, options.resolver);
    if (!workspace)
        return new ImmediateToolJob(ToolResult::failure(workspace.errorMessage()), parent);
    return new ConcurrentToolJob(
            [ws = *workspace, arguments = invocation.arguments, limits = options.files,
             work](const std::atomic_bool &cancel) { return work(ws, arguments, limits, &cancel); },
            parent);
}

} // namespace Spool
