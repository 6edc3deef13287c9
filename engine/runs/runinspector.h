#pragma once

#include "runs/runinspection.h"

namespace Spool {

class ContextBuilder;
class JournalStore;
class RunStore;
class SessionDesk;

// Reads runs back for the front ends: the tape from the journal, timelines, transcripts
// (within the session's context floor, for the principal the sessions are bound to) and
// exports.
class RunInspector : public RunInspection
{
public:
    RunInspector(const JournalStore &journal, const RunStore &runs, const ContextBuilder &context,
                 const SessionDesk &sessions);

    Result<QList<TapeEvent>> tape(const QString &runId, qint64 fromSeq = 1,
                                  int limit = -1) const override;
    Result<QList<TapeRow>> tapeRows(const QString &runId, qint64 afterSeq, int limit,
                                    const TapeFilter &filter = {}) const override;
    Result<TapeEvent> tapeEvent(const QString &runId, qint64 seq) const override;
    Result<qint64> tapeLength(const QString &runId) const override;
    Result<qint64> exportTape(const QString &runId, const QString &path) const override;
    Result<QList<TimelineSpan>> timeline(const QString &runId) const override;
    Result<SessionTranscript> transcript(const QString &sessionIdOrKey, int beforeOrdinal,
                                         int maxRuns, int maxEventsPerRun = 150) const override;

private:
    Result<SessionTranscript> transcriptPage(const QString &sessionId, int contextFloor,
                                             int beforeOrdinal, int maxRuns,
                                             int maxEventsPerRun) const;

    const JournalStore &m_journal;
    const RunStore &m_runs;
    const ContextBuilder &m_context;
    const SessionDesk &m_sessions;
};

} // namespace Spool
