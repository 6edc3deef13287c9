#pragma once

#include "runs/runinfo.h"

namespace Spool {

// The run lifecycle of SPEC §2 as a table:
//   accepted -> running | failed | cancelled
//   running  -> succeeded | failed | cancelled
// Terminal states (succeeded, failed, cancelled) never change.
class RunStateMachine
{
public:
    static constexpr int kStateCount = 5;

    static bool canTransition(RunState from, RunState to);
    static bool isTerminal(RunState state);
};

} // namespace Spool
