#pragma once

#include "api/runfollowing.h"
#include "api/runlistener.h"
#include "core/result.h"
#include "runs/runrequest.h"

#include <QObject>
#include <QPointer>

namespace Spool {

class ApiExchange;
struct ApiContext;
struct ApiError;

// POST /api/v1/sessions/{session}/runs: starts a run and streams it as NDJSON, one JSON object
// per line, the lines `spool chat --json` prints: {"type":"run"}, then {"type":"event"} for
// every tape event from seq 1, {"type":"delta"} for streamed text, {"type":"approval"} when a
// tool call waits for a decision, and {"type":"result"} (the run, the reply) at the end. A
// client that goes away mid-stream cancels the run.
class RunStreamJob : public QObject, public RunListener
{
    Q_OBJECT
public:
    // `session`: the path's id or key. A key names a session that is created when missing.
    // Without `stream` the answer is the accepted run (202), and the run goes on unwatched.
    RunStreamJob(ApiContext &context, ApiExchange *exchange, const QString &session,
                 RunRequest request, bool stream);
    ~RunStreamJob() override;

    void start();

    void runUpdated(const RunInfo &run) override;
    void tapeAppended(const TapeEvent &event) override;
    void textDelta(const QString &text) override;
    void approvalRequested(const PendingToolApproval &approval) override;

private:
    void onStarted(const Result<RunInfo> &run);
    void line(const QJsonObject &object);
    void finish(const RunInfo &run);
    void onClientGone(const QString &why);

    ApiContext &m_context;
    QPointer<ApiExchange> m_exchange;
    QString m_session;
    RunRequest m_request;
    bool m_stream;
    RunInfo m_run;
    RunFollowing m_following;
    QString m_finalText;
    bool m_ended = false;
};

} // namespace Spool
