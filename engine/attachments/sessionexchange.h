#pragma once

#include "attachments/exportreport.h"
#include "attachments/exportrequest.h"
#include "attachments/importreport.h"
#include "core/result.h"
#include "sessions/sessioninfo.h"

#include <QList>
#include <QSet>

class QIODevice;

namespace Spool {

class JournalStore;
class SessionDesk;

// Sessions out of the journal and back in (SPEC §4): Markdown for reading, with the attached
// files beside it, and JSON with everything (sessions, runs, their whole tapes, attachment
// contents) in the format of docs/export.schema.json. Both stream: one run's tape and one
// attachment at a time are in memory, never the whole export.
//
// An import adds every session of a file as a new session of this journal, in one transaction
// (a broken file changes nothing). Ids are kept where this journal does not have them yet, so
// exporting what was imported gives back the same file.
class SessionExchange
{
public:
    explicit SessionExchange(JournalStore &journal);

    // The sessions a request names (or all of them, oldest first), each fork preceded by the
    // sessions its context links to.
    static Result<QList<SessionInfo>> exportOrder(const ExportRequest &request,
                                                  const SessionDesk &sessions);
    // `sessions` in order; forks are preceded by the sessions they link to (their context).
    Result<ExportReport> exportSessions(const QList<SessionInfo> &sessions, ExportRequest::Format format,
                                        const QString &path, QIODevice *device) const;
    Result<ImportReport> importFile(const QString &path, const QString &principal,
                                    const QString &deviceId, const QString &ownerInstance);

    static constexpr int kFormatVersion = 1;

private:
    struct RunRow;
    Result<QList<RunRow>> runsOf(const QString &sessionId) const;
    Status writeJson(const QList<SessionInfo> &sessions, QIODevice &out, ExportReport &report) const;
    Status writeMarkdown(const QList<SessionInfo> &sessions, QIODevice &out, const QString &filesDir,
                         ExportReport &report) const;

    JournalStore &m_journal;
};

} // namespace Spool
