#pragma once

#include "policy/cedar/entityuid.h"
#include "policy/cedar/value.h"

namespace Spool::Cedar {

// An authorization question: may `principal` do `action` on `resource`, given `context` (a
// record)?
struct Request
{
    EntityUid principal;
    EntityUid action;
    EntityUid resource;
    Value context = Value::emptyRecord();
};

} // namespace Spool::Cedar
