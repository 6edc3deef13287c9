#pragma once

#include "approvals/pendingtoolapproval.h"
#include "journal/tapeevent.h"
#include "runs/runinfo.h"

#include <QString>

namespace Spool {

// What the local API's jobs hear about one run, from RunEventRouter, in the order the engine
// said it.
class RunListener
{
public:
    virtual ~RunListener();
    virtual void runUpdated(const RunInfo &run) { Q_UNUSED(run); }
    virtual void tapeAppended(const TapeEvent &event) { Q_UNUSED(event); }
    virtual void textDelta(const QString &text) { Q_UNUSED(text); }
    virtual void approvalRequested(const PendingToolApproval &approval) { Q_UNUSED(approval); }
    virtual void approvalResolved(const PendingToolApproval &approval) { Q_UNUSED(approval); }
};

} // namespace Spool
