#include "runs/runstatemachine.h"

namespace Spool {

namespace {

// kAllowed[from][to], in the order of RunState.
constexpr bool kAllowed[RunStateMachine::kStateCount][RunStateMachine::kStateCount] = {
    //            accepted running succeeded failed cancelled
    /* accepted */ {false, true, false, true, true},
    /* running  */ {false, false, true, true, true},
    /* succeeded*/ {false, false, false, false, false},
    /* failed   */ {false, false, false, false, false},
    /* cancelled*/ {false, false, false, false, false},
};

} // namespace

bool RunStateMachine::canTransition(RunState from, RunState to)
{
    return kAllowed[int(from)][int(to)];
}

bool RunStateMachine::isTerminal(RunState state)
{
    return state == RunState::Succeeded || state == RunState::Failed
            || state == RunState::Cancelled;
}

} // namespace Spool
