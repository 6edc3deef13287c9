#pragma once

#include "api/openaichat.h"
#include "api/runfollowing.h"
#include "api/runlistener.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>

namespace Spool {

class ApiExchange;
struct ApiContext;

// One POST /v1/chat/completions: starts the agent's run (ChatCompletionRequest decides the
// session: the X-Spool-Session header names one; else the conversation continues the session
// that answered it, or a new session gets the earlier messages), then answers in OpenAI's
// shape, streamed as server-sent events or whole at the end. Approvals wait in the window or
// the CLI, and the answer waits with them. A client that goes away cancels the run.
class ChatCompletionJob : public QObject, public RunListener
{
    Q_OBJECT
public:
    ChatCompletionJob(ApiContext &context, ApiExchange *exchange, ChatCompletionRequest request);
    ~ChatCompletionJob() override;

    void start();

    void runUpdated(const RunInfo &run) override;
    void tapeAppended(const TapeEvent &event) override;
    void textDelta(const QString &text) override;
    void approvalRequested(const PendingToolApproval &approval) override;

private:
    struct Started;
    void onStarted(const Started &started);
    void finish(const RunInfo &run);
    void onClientGone(const QString &why);

    ApiContext &m_context;
    QPointer<ApiExchange> m_exchange;
    ChatCompletionRequest m_request;
    QString m_sessionKey;
    QByteArray m_fingerprint;
    RunInfo m_run;
    RunFollowing m_following;
    QString m_model;
    QString m_text;          // what the client got: every turn's text, turns apart by a blank line
    bool m_turnEnded = false;
    bool m_ended = false;
    bool m_continued = false;
};

} // namespace Spool
