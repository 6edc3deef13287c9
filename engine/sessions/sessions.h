#pragma once

#include "core/result.h"
#include "providers/providertypes.h"
#include "sessions/sessioninfo.h"

#include <QList>

class QIODevice;

namespace Spool {

// Exports and imports are the attachments library's values (attachments/export*.h).
struct ExportReport;
struct ExportRequest;
struct ImportReport;

// The user's sessions (Engine::sessions()): found by id, live key or unique id prefix, and
// every change a front end makes to them, refused for a session bound to someone else.
class Sessions
{
public:
    virtual ~Sessions() = default;

    // Finds or (when `create`) creates the session; a new one is bound to `agent` (empty: the
    // default agent), which must exist.
    virtual Result<SessionResolution> resolve(const SessionSelector &selector, bool create,
                                              const QString &agent = {}) = 0;
    virtual Result<SessionInfo> find(const QString &idOrKey) const = 0;
    virtual Result<QList<SessionInfo>> list(const SessionFilter &filter = {}) const = 0;
    virtual Result<SessionInfo> rename(const QString &idOrKey, const QString &title) = 0;
    virtual Result<SessionInfo> archive(const QString &idOrKey) = 0;
    // Archived sessions have released their key: found by id or a unique id prefix.
    virtual Result<SessionInfo> restore(const QString &idOrKey) = 0;
    // Refused while one of its runs is in flight, here or in another process.
    virtual Status remove(const QString &idOrKey) = 0;
    // Starts the context afresh: earlier runs stay on the tape, outside the context.
    virtual Result<SessionInfo> reset(const QString &idOrKey) = 0;
    // The model the session's runs use instead of their agent's; empty goes back to the agent's.
    virtual Result<SessionInfo> setModel(const QString &idOrKey, const QString &model) = 0;
    // The folder the session's file tools and commands work in: an existing absolute folder;
    // empty goes back to the default (<workspace root>/<session id>).
    virtual Result<SessionInfo> setWorkspace(const QString &idOrKey, const QString &folder) = 0;
    // The folder the session's tools work in: its own, or the default.
    virtual QString effectiveWorkspace(const SessionInfo &session) const = 0;
    // Tokens used by all the session's runs.
    virtual Result<TokenUsage> usage(const QString &sessionId) const = 0;
    // A new session whose context is the session's runs up to `atRun` (id or prefix; empty:
    // its last run), linked rather than copied, then its own.
    virtual Result<SessionInfo> fork(const QString &idOrKey, const QString &atRun = {}) = 0;
    // Streams the sessions to request.path (or to `device` when the path is empty).
    virtual Result<ExportReport> exportSessions(const ExportRequest &request,
                                                QIODevice *device = nullptr) const = 0;
    // Brings every session of a JSON export back as a new session.
    virtual Result<ImportReport> importSessions(const QString &path) = 0;
};

} // namespace Spool
