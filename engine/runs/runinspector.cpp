#include "runs/runinspector.h"

#include "journal/journalstore.h"
#include "runs/contextbuilder.h"
#include "runs/runstore.h"
#include "runs/runtimeline.h"
#include "sessions/sessiondesk.h"

#include <QJsonDocument>
#include <QSaveFile>

namespace Spool {

RunInspector::RunInspector(const JournalStore &journal, const RunStore &runs,
                           const ContextBuilder &context, const SessionDesk &sessions)
    : m_journal(journal), m_runs(runs), m_context(context), m_sessions(sessions)
{
}

Result<QList<TapeEvent>> RunInspector::tape(const QString &runId, qint64 fromSeq, int limit) const
{
    return m_journal.tape(runId, fromSeq, limit);
}

Result<QList<TapeRow>> RunInspector::tapeRows(const QString &runId, qint64 afterSeq, int limit,
                                              const TapeFilter &filter) const
{
    return m_journal.tapeRows(runId, afterSeq, limit, filter);
}

Result<TapeEvent> RunInspector::tapeEvent(const QString &runId, qint64 seq) const
{
    return m_journal.tapeEvent(runId, seq);
}

Result<qint64> RunInspector::tapeLength(const QString &runId) const
{
    return m_journal.tapeLength(runId);
}

Result<SessionTranscript> RunInspector::transcript(const QString &sessionIdOrKey,
                                                   int beforeOrdinal, int maxRuns,
                                                   int maxEventsPerRun) const
{
    auto session = m_sessions.find(sessionIdOrKey);
    if (!session)
        return session.error();
    return transcriptPage(session->id, session->contextFloor, beforeOrdinal, maxRuns,
                          maxEventsPerRun);
}

Result<QList<TimelineSpan>> RunInspector::timeline(const QString &runId) const
{
    // Only the fields the spans need.
    static const QStringList fields{
        QStringLiteral("call_id"),       QStringLiteral("tool"),     QStringLiteral("approval_id"),
        QStringLiteral("usage"),         QStringLiteral("decision"), QStringLiteral("decided_by"),
        QStringLiteral("ok"),            QStringLiteral("exit_code"), QStringLiteral("state"),
        QStringLiteral("error_class"),   QStringLiteral("retry_delay_ms"),
        QStringLiteral("provider"),      QStringLiteral("model"),
    };
    auto events = m_journal.tapeFields(runId, RunTimelineBuilder::relevantKinds(), fields);
    if (!events)
        return events.error();
    RunTimelineBuilder builder;
    for (const TapeEvent &e : std::as_const(*events))
        builder.add(e);
    return builder.spans();
}

Result<SessionTranscript> RunInspector::transcriptPage(const QString &sessionId,
                                                       int contextFloor, int beforeOrdinal,
                                                       int maxRuns, int maxEventsPerRun) const
{
    // What a transcript shows, and the `context` event for the memories the run used (not
    // counted as a step: it comes early and is always kept, like the input).
    static const QStringList shown{TapeKind::Input, TapeKind::ProviderResponse,
                                   TapeKind::AssistantMessage, TapeKind::ToolCall,
                                   TapeKind::PolicyDecision, TapeKind::ApprovalRequest,
                                   TapeKind::ApprovalDecision, TapeKind::ToolOutput,
                                   TapeKind::ProviderError, TapeKind::RunStatus};
    static const QStringList kinds = shown + QStringList{TapeKind::Context};
    static const QStringList steps = [] {
        QStringList k = shown;
        k.removeAll(TapeKind::Input);
        return k;
    }();
    SessionTranscript t;
    auto ids = m_runs.idsBefore(sessionId, beforeOrdinal, maxRuns + 1);
    if (!ids)
        return ids.error();
    if (ids->size() > maxRuns) {
        t.hasEarlier = true;
        ids->removeLast();
    } else {
        // The session's own runs are all here: a fork's transcript goes on with the runs of its
        // parent that its context starts with (newest first, as `ids` is).
        auto parts = m_context.segments(sessionId, contextFloor, beforeOrdinal);
        if (!parts)
            return parts.error();
        for (qsizetype i = 1; i < parts->size() && t.inherited < maxRuns; ++i) {
            const ContextBuilder::Segment &part = parts->at(i);
            auto parentIds = m_runs.idsBefore(part.sessionId, part.before, maxRuns - t.inherited,
                                              part.floor);
            if (!parentIds)
                return parentIds.error();
            ids->append(*parentIds);
            t.inherited += int(parentIds->size());
        }
    }
    for (auto it = ids->crbegin(); it != ids->crend(); ++it) {
        auto run = m_runs.get(*it);
        if (!run)
            return run.error();
        t.runs.append(*run);
        // The newest steps, found backwards: more than maxEventsPerRun of them keeps the input,
        // then the newest ones.
        auto cut = m_journal.tapeSeqFromEnd(*it, shown, maxEventsPerRun);
        if (!cut)
            return cut.error();
        qint64 fromSeq = 1;
        if (*cut > 0) {
            fromSeq = *cut + 1;
            // The input, and what the run was given with it (the memories it used).
            auto input = m_journal.tape(*it, 1, 2, {TapeKind::Input, TapeKind::Context});
            if (!input)
                return input.error();
            t.events.append(*input);
            if (auto skipped = m_journal.tapeCount(*it, fromSeq, steps))
                t.omitted.insert(*it, *skipped);
        }
        auto events = m_journal.tape(*it, fromSeq, -1, *cut > 0 ? shown : kinds);
        if (!events)
            return events.error();
        t.events.append(*events);
    }
    return t;
}

Result<qint64> RunInspector::exportTape(const QString &runId, const QString &path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    constexpr int kPage = 2000;
    qint64 written = 0;
    qint64 next = 1;
    while (true) {
        auto page = m_journal.tape(runId, next, kPage);
        if (!page)
            return page.error();
        for (const TapeEvent &e : std::as_const(*page)) {
            file.write(QJsonDocument(e.toJson()).toJson(QJsonDocument::Compact));
            file.write("\n");
            next = e.seq + 1;
            ++written;
        }
        if (page->size() < kPage)
            break;
    }
    if (!file.commit())
        return makeError(ErrorCode::Storage,
                         QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    return written;
}

} // namespace Spool
