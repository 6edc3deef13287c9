#pragma once

#include "api/runlistener.h"

#include <QObject>
#include <QPointer>
#include <QStringList>

namespace Spool {

class ApiExchange;
struct ApiContext;

// GET /api/v1/runs/{run}/tape: the run's tape events from a seq on. Whole, as one JSON answer;
// or, with ?follow, as NDJSON ({"type":"event"} lines) that goes on as the run writes its tape,
// from this process or another one on the same journal, and ends with {"type":"result"} once
// the run has ended and every event was sent. Following never cancels the run.
class TapeFollowJob : public QObject, public RunListener
{
    Q_OBJECT
public:
    TapeFollowJob(ApiContext &context, ApiExchange *exchange, const QString &run, qint64 fromSeq,
                  int limit, bool follow, const QStringList &kinds);
    ~TapeFollowJob() override;

    void start();

    void runUpdated(const RunInfo &run) override;
    void tapeAppended(const TapeEvent &event) override;

private:
    struct Read;
    void onFirstRead(const Read &read);
    void catchUp();
    void onCaughtUp(const Read &read);
    void write(const TapeEvent &event);
    void end(const RunInfo &run);

    ApiContext &m_context;
    QPointer<ApiExchange> m_exchange;
    QString m_run;
    qint64 m_from;
    int m_limit;
    bool m_follow;
    QStringList m_kinds;
    qint64 m_last = 0;   // the last seq sent (or skipped by the kind filter)
    bool m_following = false;
    bool m_reading = false;
    bool m_readAgain = false;
    bool m_ended = false;
};

} // namespace Spool
