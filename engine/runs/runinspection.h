#pragma once

#include "core/result.h"
#include "journal/tapeevent.h"
#include "runs/sessiontranscript.h"
#include "runs/timelinespan.h"

#include <QList>
#include <QString>

namespace Spool {

// Runs read back for the front ends (SPEC §3; Engine::inspection()): tapes, timelines and
// transcripts. Reads are bounded: a run of 100,000 events costs what is shown.
class RunInspection
{
public:
    virtual ~RunInspection() = default;

    virtual Result<QList<TapeEvent>> tape(const QString &runId, qint64 fromSeq = 1,
                                          int limit = -1) const = 0;
    virtual Result<QList<TapeRow>> tapeRows(const QString &runId, qint64 afterSeq, int limit,
                                            const TapeFilter &filter = {}) const = 0;
    virtual Result<TapeEvent> tapeEvent(const QString &runId, qint64 seq) const = 0;
    virtual Result<qint64> tapeLength(const QString &runId) const = 0;
    // Writes the run's tape as JSON Lines (one event per line) to `path`, atomically; returns
    // the events written.
    virtual Result<qint64> exportTape(const QString &runId, const QString &path) const = 0;
    virtual Result<QList<TimelineSpan>> timeline(const QString &runId) const = 0;
    // The runs of a session (oldest first) before `beforeOrdinal`, at most `maxRuns` of the
    // newest, with the tape events a transcript shows: a run's input always, and at most
    // `maxEventsPerRun` of its newest steps. The page that reaches a fork's first run also
    // holds the parent's runs the fork's context starts with (at most `maxRuns` of them, the
    // newest; `inherited` counts them).
    virtual Result<SessionTranscript> transcript(const QString &sessionIdOrKey, int beforeOrdinal,
                                                 int maxRuns, int maxEventsPerRun = 150) const = 0;
};

} // namespace Spool
