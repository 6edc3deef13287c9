#pragma once

#include "journal/tapeevent.h"
#include "runs/runinfo.h"

#include <QHash>
#include <QList>

namespace Spool {

// What the window's transcript shows of a session: its runs and the tape events a transcript
// renders, bounded so that a huge run costs what can be shown.
struct SessionTranscript
{
    QList<RunInfo> runs;     // oldest first
    QList<TapeEvent> events; // in run order, then seq
    bool hasEarlier = false; // older runs exist before the first one here
    // Runs with more steps than a transcript shows: how many were left out (the tape has them).
    QHash<QString, qint64> omitted;
    // The first runs of `runs` that belong to the parent a fork started from: its context
    // begins with them (their sessionId says whose they are).
    int inherited = 0;
};

} // namespace Spool
