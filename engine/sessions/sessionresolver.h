#pragma once

#include "core/result.h"
#include "sessions/sessioninfo.h"

namespace Spool {

class SessionStore;

// Who is asking. A session belongs to one principal on one device and is never shared.
struct SessionBinding
{
    QString principal;
    QString deviceId;
};

// SPEC §4 session resolution: look up by key or id; create when permitted and nothing is
// found; refuse a session bound to another principal or device.
class SessionResolver
{
public:
    explicit SessionResolver(SessionStore &store);

    Result<SessionResolution> resolve(const SessionSelector &selector,
                                      const SessionBinding &binding, bool createIfMissing,
                                      const QString &agentForNew);

private:
    Status checkBinding(const SessionInfo &session, const SessionBinding &binding) const;

    SessionStore &m_store;
};

} // namespace Spool
