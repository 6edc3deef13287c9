#include "sessions/sessionresolver.h"

#include "core/ulid.h"
#include "sessions/sessionstore.h"

namespace Spool {

SessionResolver::SessionResolver(SessionStore &store) : m_store(store) {}

Status SessionResolver::checkBinding(const SessionInfo &session,
                                     const SessionBinding &binding) const
{
    if (session.principal != binding.principal) {
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("session %1 belongs to principal \"%2\", not \"%3\"")
                                 .arg(session.id, session.principal, binding.principal));
    }
    if (session.deviceId != binding.deviceId) {
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("session %1 is bound to device %2, not this device (%3)")
                                 .arg(session.id, session.deviceId, binding.deviceId));
    }
    if (session.isArchived()) {
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("session %1 is archived; restore it first").arg(session.id));
    }
    return {};
}

Result<SessionResolution> SessionResolver::resolve(const SessionSelector &selector,
                                                   const SessionBinding &binding,
                                                   bool createIfMissing,
                                                   const QString &agentForNew)
{
    if (binding.principal.isEmpty() || binding.deviceId.isEmpty()) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("a session needs a principal and a device id"));
    }
    if (!selector.key.isEmpty()) {
        if (Status s = SessionStore::validateKey(selector.key); !s)
            return s.error();
    }
    if (!selector.id.isEmpty() && !Ulid::isValid(selector.id)) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("\"%1\" is not a session id (a 26-character ULID)")
                                 .arg(selector.id.left(64)));
    }

    if (!selector.id.isEmpty()) {
        auto found = m_store.byId(selector.id.toUpper());
        if (!found)
            return found.error(); // ids are generated, never created on request
        if (!selector.key.isEmpty() && found->key != selector.key) {
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("session id %1 and key \"%2\" name different sessions")
                                     .arg(found->id, selector.key));
        }
        if (Status s = checkBinding(*found, binding); !s)
            return s.error();
        return SessionResolution{*found, false};
    }

    if (!selector.key.isEmpty()) {
        auto found = m_store.byLiveKey(selector.key);
        if (found) {
            if (Status s = checkBinding(*found, binding); !s)
                return s.error();
            return SessionResolution{*found, false};
        }
        if (found.error().code != ErrorCode::NotFound)
            return found.error();
    }

    if (!createIfMissing) {
        if (selector.key.isEmpty())
            return makeError(ErrorCode::InvalidArgument, QStringLiteral("no session was named"));
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("no session with key \"%1\"").arg(selector.key));
    }
    auto created = m_store.create(selector.key, binding.principal, binding.deviceId, agentForNew);
    if (!created && created.error().code == ErrorCode::Conflict) {
        // Another process created the key between our lookup and our insert: use theirs.
        auto raced = m_store.byLiveKey(selector.key);
        if (raced) {
            if (Status s = checkBinding(*raced, binding); !s)
                return s.error();
            return SessionResolution{*raced, false};
        }
    }
    if (!created)
        return created.error();
    return SessionResolution{*created, true};
}

} // namespace Spool
