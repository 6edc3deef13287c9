#include "api/tapefollowjob.h"

#include "api/apicontext.h"
#include "api/apierror.h"
#include "api/apiexchange.h"
#include "api/runeventrouter.h"
#include "client/engineclient.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Spool {

struct TapeFollowJob::Read
{
    Result<RunInfo> run = makeError(ErrorCode::Internal, QStringLiteral("not read"));
    Result<QList<TapeEvent>> events = makeError(ErrorCode::Internal, QStringLiteral("not read"));
};

TapeFollowJob::TapeFollowJob(ApiContext &context, ApiExchange *exchange, const QString &run,
                             qint64 fromSeq, int limit, bool follow, const QStringList &kinds)
    : QObject(exchange), m_context(context), m_exchange(exchange), m_run(run),
      m_from(qMax<qint64>(1, fromSeq)), m_limit(limit), m_follow(follow), m_kinds(kinds)
{
    connect(exchange, &ApiExchange::clientGone, this, [this] {
        m_ended = true;
        if (m_following)
            m_context.events.unfollow(m_run, this);
        m_following = false;
    });
    // Runs of another process on the journal send no signals here: read again when it writes.
    connect(&context.client, &EngineClient::journalChanged, this, [this] {
        if (m_following && !m_ended)
            catchUp();
    });
}

TapeFollowJob::~TapeFollowJob()
{
    if (m_following)
        m_context.events.unfollow(m_run, this);
}

void TapeFollowJob::start()
{
    const QString run = m_run;
    const qint64 from = m_from;
    const int limit = m_follow ? -1 : m_limit;
    m_context.client.call(
            this,
            [run, from, limit](Engine &e) {
                Read r;
                r.run = e.run(run);
                if (r.run)
                    r.events = e.inspection().tape(r.run->id, from, limit);
                return r;
            },
            [this](const Read &r) { onFirstRead(r); });
}

void TapeFollowJob::onFirstRead(const Read &read)
{
    if (!m_exchange)
        return;
    if (!read.run || !read.events) {
        m_exchange->sendError(ApiError::fromEngine(read.run ? read.events.error() : read.run.error()));
        return;
    }
    m_run = read.run->id;
    m_last = m_from - 1;
    if (!m_follow) {
        QJsonArray events;
        for (const TapeEvent &e : *read.events) {
            m_last = e.seq;
            if (m_kinds.isEmpty() || m_kinds.contains(e.kind))
                events.append(e.toJson());
        }
        m_exchange->sendJson(200, QJsonObject{{QStringLiteral("run"), read.run->toJson()},
                                              {QStringLiteral("events"), events},
                                              {QStringLiteral("next_seq"), m_last + 1}});
        return;
    }
    m_exchange->addHeader("X-Spool-Run-Id", m_run.toLatin1());
    m_exchange->beginStream(200, "application/x-ndjson");
    // Everything the engine says from now on comes after what was just read.
    m_context.events.follow(m_run, this);
    m_following = true;
    for (const TapeEvent &e : *read.events)
        write(e);
    if (read.run->isTerminal())
        end(*read.run);
}

void TapeFollowJob::write(const TapeEvent &event)
{
    if (event.seq <= m_last || m_ended)
        return;
    m_last = event.seq;
    if (!m_kinds.isEmpty() && !m_kinds.contains(event.kind))
        return;
    m_exchange->writeChunk(QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("event")},
                                                     {QStringLiteral("event"), event.toJson()}})
                                   .toJson(QJsonDocument::Compact)
                           + '\n');
}

void TapeFollowJob::tapeAppended(const TapeEvent &event)
{
    if (m_ended || !m_exchange)
        return;
    if (event.seq == m_last + 1)
        write(event);
    else if (event.seq > m_last + 1)
        catchUp(); // something came between: read the gap from the tape
}

void TapeFollowJob::runUpdated(const RunInfo &run)
{
    if (run.isTerminal() && !m_ended)
        catchUp(); // the end is sent once the tape is read to its last event
}

void TapeFollowJob::catchUp()
{
    if (m_reading) {
        m_readAgain = true;
        return;
    }
    m_reading = true;
    const QString run = m_run;
    const qint64 from = m_last + 1;
    m_context.client.call(
            this,
            [run, from](Engine &e) {
                // The state first: a run that had ended by then has all its events in the
                // tape read after it.
                Read r;
                r.run = e.run(run);
                r.events = e.inspection().tape(run, from);
                return r;
            },
            [this](const Read &r) { onCaughtUp(r); });
}

void TapeFollowJob::onCaughtUp(const Read &read)
{
    m_reading = false;
    if (m_ended || !m_exchange)
        return;
    if (read.events) {
        for (const TapeEvent &e : *read.events)
            write(e);
    }
    // The run had ended before its events were read: none will follow.
    if (read.run && read.run->isTerminal() && read.events) {
        end(*read.run);
        return;
    }
    if (m_readAgain) {
        m_readAgain = false;
        catchUp();
    }
}

void TapeFollowJob::end(const RunInfo &run)
{
    if (m_ended)
        return;
    m_ended = true;
    if (m_following)
        m_context.events.unfollow(m_run, this);
    m_following = false;
    m_exchange->writeChunk(QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("result")},
                                                     {QStringLiteral("run"), run.toJson()}})
                                   .toJson(QJsonDocument::Compact)
                           + '\n');
    m_exchange->endStream();
}

} // namespace Spool
