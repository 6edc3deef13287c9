#include "api/runfollowing.h"

#include "api/apicontext.h"
#include "api/runeventrouter.h"
#include "client/engineclient.h"

namespace Spool {

RunFollowing::RunFollowing(ApiContext &context, RunListener *listener)
    : m_context(context), m_listener(listener)
{
}

void RunFollowing::beginStreaming()
{
    if (m_streaming)
        return;
    m_streaming = true;
    ++m_context.counters.activeStreams;
}

void RunFollowing::endStreaming()
{
    if (!m_streaming)
        return;
    m_streaming = false;
    --m_context.counters.activeStreams;
}

void RunFollowing::follow(const QString &runId)
{
    m_runId = runId;
    m_following = true;
    m_context.events.endStart(runId, m_listener);
}

void RunFollowing::stopFollowing()
{
    if (!m_following)
        return;
    m_following = false;
    m_context.events.unfollow(m_runId, m_listener);
}

void RunFollowing::cancelRun(const RunInfo &run, const QString &why)
{
    if (m_cancelSent || run.id.isEmpty() || run.isTerminal())
        return;
    m_cancelSent = true;
    const QString id = run.id;
    const QString by = QStringLiteral("api: ") + why;
    m_context.client.post([id, by](Engine &e) { (void)e.cancelRun(id, by); });
}

} // namespace Spool
