#pragma once

#include "core/result.h"
#include "runs/sessiontranscript.h"
#include "runs/timelinespan.h"

#include <QList>
#include <QString>

namespace Spool {

class ContextBuilder;
class JournalStore;
class RunStore;

// Reads runs back for the front ends (SPEC §3): a run's timeline, a session's transcript, a
// tape exported as JSON Lines. Bounded reads: a run of 100,000 events costs what is shown.
class RunInspector
{
public:
    RunInspector(const JournalStore &journal, const RunStore &runs, const ContextBuilder &context);

    Result<QList<TimelineSpan>> timeline(const QString &runId) const;
    // The runs of a session (oldest first) before `beforeOrdinal`, at most `maxRuns` of the
    // newest, each with its input and at most `maxEventsPerRun` of its newest steps. The page
    // that reaches a fork's first run also holds the parent's runs the fork's context starts
    // with (at most `maxRuns` of them, the newest; `inherited` counts them).
    Result<SessionTranscript> transcript(const QString &sessionId, int contextFloor,
                                         int beforeOrdinal, int maxRuns, int maxEventsPerRun) const;
    // Writes the run's tape as JSON Lines to `path`, atomically; returns the events written.
    Result<qint64> exportTape(const QString &runId, const QString &path) const;

private:
    const JournalStore &m_journal;
    const RunStore &m_runs;
    const ContextBuilder &m_context;
};

} // namespace Spool
