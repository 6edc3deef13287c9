#pragma once

#include "approvals/policygrant.h"
#include "core/result.h"

#include <QJsonObject>
#include <QStringList>

namespace Spool {

class Redactor;
struct ToolSpec;

// Writes the narrow Cedar permit behind an "always" answer (PolicyGrant).
//
// "Exactly the arguments the user saw" (the grant's constraints):
// - every argument the user saw is there with the same value: strings to the character,
//   numbers exactly, nested objects with the same fields and values;
// - no argument the user did not see: for a tool whose schema lists all its arguments
//   (`additionalProperties: false`), every other listed argument is absent; for any other
//   tool (or one this process does not know) the whole arguments record must be equal;
// - except limits that change how long or how much, not what the call does, and that the
//   settings cap anyway: `timeout_ms` of shell.exec and http.fetch, `max_bytes` of http.fetch.
// So for shell.exec a grant is the command string (with its cwd and network flag), for
// fs.write the path with the whole new content, for http.fetch the URL and method, for echo
// the text.
//
// A call that cannot be matched that exactly gets no grant (InvalidArgument; allow it once or
// for the session instead): arguments holding a secret (Spool stores none, so it could not
// match them), a non-empty array (Cedar sees arrays as sets, losing order and repetition),
// a number Cedar cannot compare exactly (a fraction beyond four decimals, or beyond 64 bits).
class GrantPermit
{
public:
    // The grant that allows `tool` with `arguments` for `principal` from now on. `spec` is the
    // tool's, or nullptr when this process does not know the tool. The grant has a new id and
    // its policy text; the caller fills in who created it, when and from which approval.
    static Result<PolicyGrant> forCall(const QString &principal, const QString &tool,
                                       const ToolSpec *spec, const QJsonObject &arguments,
                                       const Redactor &redactor);
    // The arguments a grant for `tool` leaves free.
    static QStringList ignoredArguments(const QString &tool);
};

} // namespace Spool
