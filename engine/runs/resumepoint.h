#pragma once

#include "approvals/pendingtoolapproval.h"
#include "providers/chatmessage.h"
#include "runs/runinfo.h"

#include <QList>

namespace Spool {

// Where a run that waits for an approval stands, rebuilt from its tape by the process that
// adopts it (RunAdoption), so a RunOrchestrator there carries it on as its first owner would
// have: the decision is applied to `current`, then the rest of the turn's calls, then the next
// model turn.
struct ResumePoint
{
    RunInfo run;                  // owned by the adopting process
    QList<ChatMessage> messages;  // what the model has seen: earlier turns, input, this run's turns
    ToolCallRequest current;      // the call that waits for the approval
    QList<ToolCallRequest> queue; // the calls of the same model turn after it, not started yet
    PendingToolApproval approval; // as it was when adopted (maybe decided already)
    int turns = 0;                // model turns used
    int toolCalls = 0;            // tool calls used
    qint64 wallClockUsedMs = 0;   // time the run was owned by a live process so far
};

} // namespace Spool
