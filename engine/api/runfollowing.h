#pragma once

#include <QString>

namespace Spool {

class RunListener;
struct ApiContext;
struct RunInfo;

// What a job answering with one run's progress holds while it answers: the run's signals
// from the event router, one of the server's active-stream counts, and at most one request to
// cancel the run. Each is given back once, however many times the job's ways of ending ask.
class RunFollowing
{
public:
    RunFollowing(ApiContext &context, RunListener *listener);

    void beginStreaming();
    void endStreaming();
    // Hands the listener what the run said so far, then the rest live.
    void follow(const QString &runId);
    void stopFollowing();
    // Asks the engine to cancel `run`, once, unless it has ended already.
    void cancelRun(const RunInfo &run, const QString &why);

private:
    ApiContext &m_context;
    RunListener *m_listener;
    QString m_runId;
    bool m_following = false;
    bool m_streaming = false;
    bool m_cancelSent = false;
};

} // namespace Spool
