#include "runs/contextbuilder.h"

#include "attachments/attachmentstore.h"
#include "providers/attachmentkind.h"
#include "journal/journalstore.h"
#include "tools/tool.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QSqlQuery>

namespace Spool {

QJsonObject ConversationContext::toJson() const
{
    QJsonArray trimmedRuns;
    for (const TrimmedRun &t : trimmed) {
        QJsonObject o{{QStringLiteral("run_id"), t.runId},
                      {QStringLiteral("messages_dropped"), t.messagesDropped},
                      {QStringLiteral("tokens_dropped"), t.tokensDropped}};
        if (t.textCut)
            o.insert(QStringLiteral("text_cut"), true);
        trimmedRuns.append(o);
    }
    return QJsonObject{
        {QStringLiteral("turns_used"), QJsonArray::fromStringList(runsUsed)},
        {QStringLiteral("turns_dropped"), runsDropped},
        {QStringLiteral("turns_trimmed"), trimmedRuns},
        {QStringLiteral("messages"), int(messages.size())},
        {QStringLiteral("token_estimate"), tokenEstimate},
    };
}

int ContextBuilder::tokensOf(const QList<ChatMessage> &messages)
{
    int tokens = 0;
    for (const ChatMessage &m : messages)
        tokens += m.estimatedTokens();
    return tokens;
}

namespace {

// `text` shortened to about `tokens` tokens: its head and its tail, with a note between.
QString cutToTokens(const QString &text, int tokens)
{
    const int keep = qMax(0, tokens * 4 - 120);
    if (text.size() <= keep + 120)
        return text;
    const int head = keep * 2 / 3;
    const int tail = keep - head;
    return text.left(head)
            + QStringLiteral("\n[... %1 characters left out to fit the model's context window ...]\n")
                      .arg(text.size() - head - tail)
            + text.right(tail);
}

} // namespace

QList<ChatMessage> ContextBuilder::trimRun(const QList<ChatMessage> &messages, int budget, bool cutText,
                                           ConversationContext::TrimmedRun *report)
{
    // The input (and any user messages before the first reply), the final reply, and the
    // units between: an assistant turn that calls tools with the outputs that answer it.
    int headEnd = 0;
    while (headEnd < messages.size() && messages.at(headEnd).role == ChatMessage::Role::User)
        ++headEnd;
    int tailStart = int(messages.size());
    if (tailStart > headEnd && messages.constLast().role == ChatMessage::Role::Assistant
        && messages.constLast().toolCalls.isEmpty())
        --tailStart;
    QList<QList<ChatMessage>> units;
    for (int i = headEnd; i < tailStart;) {
        QList<ChatMessage> unit{messages.at(i)};
        int j = i + 1;
        while (j < tailStart && messages.at(j).role == ChatMessage::Role::Tool)
            unit.append(messages.at(j++));
        units.append(unit);
        i = j;
    }
    QList<ChatMessage> head = messages.mid(0, headEnd);
    QList<ChatMessage> tail = messages.mid(tailStart);
    int fixed = tokensOf(head) + tokensOf(tail);
    bool textCut = false;
    if (fixed > budget) {
        if (!cutText || budget < 64)
            return {};
        // Each keeps a share of the budget in proportion to its size.
        const int share = qMax(16, (budget - 8 * int(head.size() + tail.size())) / int(head.size() + tail.size()));
        for (ChatMessage &m : head)
            m.text = cutToTokens(m.text, share);
        for (ChatMessage &m : tail)
            m.text = cutToTokens(m.text, share);
        textCut = true;
        fixed = tokensOf(head) + tokensOf(tail);
        if (fixed > budget)
            return {};
    }
    // The newest units first, while they fit; they go back in their order.
    int used = fixed;
    int keptFrom = int(units.size());
    for (int u = int(units.size()) - 1; u >= 0; --u) {
        const int cost = tokensOf(units.at(u));
        if (used + cost > budget)
            break;
        used += cost;
        keptFrom = u;
    }
    QList<ChatMessage> out = head;
    int dropped = 0;
    for (int u = 0; u < units.size(); ++u) {
        if (u >= keptFrom)
            out.append(units.at(u));
        else
            dropped += int(units.at(u).size());
    }
    out.append(tail);
    if (report) {
        report->messagesDropped = dropped;
        report->tokensDropped = tokensOf(messages) - tokensOf(out);
        report->textCut = textCut;
    }
    return out;
}

ContextBuilder::ContextBuilder(const JournalStore &journal) : m_journal(journal) {}

ChatMessage ContextBuilder::inputMessage(const TapeEvent &input)
{
    ChatMessage m = ChatMessage::user(input.payload.value(QStringLiteral("text")).toString());
    const QJsonArray attachments = input.payload.value(QStringLiteral("attachments")).toArray();
    for (const QJsonValue &v : attachments)
        m.attachments.append(attachmentFromJson(v.toObject()));
    return m;
}

ChatMessage ContextBuilder::priorTurn(const QJsonObject &turn)
{
    const QString role = turn.value(QStringLiteral("role")).toString();
    ChatMessage m = ChatMessage::user(turn.value(QStringLiteral("text")).toString());
    if (role == QLatin1String("system"))
        m.role = ChatMessage::Role::System;
    else if (role == QLatin1String("assistant"))
        m.role = ChatMessage::Role::Assistant;
    return m;
}

Result<QList<ChatMessage>> ContextBuilder::messagesOfRuns(const QStringList &runIds,
                                                          int toolOutputCap) const
{
    QList<ChatMessage> out;
    for (const QString &id : runIds) {
        auto events = m_journal.tape(id);
        if (!events)
            return events.error();
        out.append(messagesFromTape(*events, toolOutputCap));
    }
    return out;
}

QList<ChatMessage> ContextBuilder::messagesFromTape(const QList<TapeEvent> &events,
                                                    int toolOutputCap)
{
    QList<ChatMessage> out;
    // An assistant turn with tool calls waits here until every call has its output.
    std::optional<ChatMessage> openTurn;
    QList<ChatMessage> openOutputs;
    QSet<QString> missing;
    bool broken = false;

    auto closeTurn = [&] {
        if (!openTurn)
            return;
        if (!missing.isEmpty()) {
            broken = true;
        } else {
            out.append(*openTurn);
            out.append(openOutputs);
        }
        openTurn.reset();
        openOutputs.clear();
        missing.clear();
    };

    for (const TapeEvent &e : events) {
        if (broken)
            break;
        if (e.kind == TapeKind::Input) {
            // Turns the caller supplied with the input (the OpenAI-compatible API) come first.
            const QJsonArray prior = e.payload.value(QStringLiteral("prior_turns")).toArray();
            for (const QJsonValue &v : prior)
                out.append(priorTurn(v.toObject()));
            out.append(inputMessage(e));
        } else if (e.kind == TapeKind::ProviderResponse) {
            closeTurn();
            if (broken)
                break;
            QList<ToolCallRequest> calls;
            const QJsonArray list = e.payload.value(QStringLiteral("tool_calls")).toArray();
            for (const QJsonValue &v : list)
                calls.append(ToolCallRequest::fromJson(v.toObject()));
            ChatMessage m = ChatMessage::assistant(e.payload.value(QStringLiteral("text")).toString(),
                                                   calls);
            if (calls.isEmpty()) {
                if (!m.text.isEmpty())
                    out.append(m);
            } else {
                openTurn = m;
                for (const ToolCallRequest &c : calls)
                    missing.insert(c.id);
            }
        } else if (e.kind == TapeKind::ToolOutput && openTurn) {
            const QString callId = e.payload.value(QStringLiteral("call_id")).toString();
            if (missing.remove(callId)) {
                openOutputs.append(ChatMessage::toolResult(
                        callId, e.payload.value(QStringLiteral("tool")).toString(),
                        ToolResult::forModel(e.payload.value(QStringLiteral("output")).toString(),
                                             toolOutputCap),
                        e.payload.value(QStringLiteral("ok")).toBool()));
            }
        }
    }
    if (!broken)
        closeTurn();
    return out;
}

Result<QString> ContextBuilder::lastTurnText(const QString &sessionId, int contextFloor,
                                             int beforeOrdinal) const
{
    auto run = m_journal.execCached(QStringLiteral("SELECT id FROM runs WHERE session_id = ? AND ordinal > ? "
                                                   "AND ordinal < ? ORDER BY ordinal DESC LIMIT 1"),
                                    {sessionId, contextFloor, beforeOrdinal});
    if (!run)
        return run.error();
    const QString runId = (*run)->next() ? (*run)->value(0).toString() : QString();
    (*run)->finish();
    if (runId.isEmpty())
        return QString();
    auto events = m_journal.tapeFields(runId, {QStringLiteral("input"), QStringLiteral("assistant.message")},
                                       {QStringLiteral("text")});
    if (!events)
        return events.error();
    QStringList parts;
    for (const TapeEvent &e : std::as_const(*events))
        parts.append(e.payload.value(QStringLiteral("text")).toString());
    return parts.join(QLatin1Char('\n'));
}

Result<QList<ContextBuilder::Segment>> ContextBuilder::segments(const QString &sessionId,
                                                                int contextFloor,
                                                                int beforeOrdinal) const
{
    // The session's own runs, then, for a fork not reset since, its parent's up to the fork
    // (and so on up the chain): the link is followed, nothing was copied.
    QList<Segment> out{Segment{sessionId, contextFloor, beforeOrdinal}};
    QString current = sessionId;
    int floor = contextFloor;
    for (int depth = 0; depth < 64 && floor == 0; ++depth) {
        auto q = m_journal.execCached(QStringLiteral("SELECT parent_session_id, fork_ordinal, fork_floor "
                                                     "FROM sessions WHERE id = ?"),
                                      {current});
        if (!q)
            return q.error();
        QString parent;
        int ordinal = 0;
        if ((*q)->next()) {
            parent = (*q)->value(0).toString();
            ordinal = (*q)->value(1).toInt();
            floor = (*q)->value(2).toInt();
        }
        (*q)->finish();
        if (parent.isEmpty())
            break;
        out.append(Segment{parent, floor, ordinal + 1});
        current = parent;
    }
    return out;
}

Result<ConversationContext> ContextBuilder::build(const QString &sessionId, int contextFloor,
                                                  int beforeOrdinal, int tokenBudget,
                                                  int toolOutputCap) const
{
    ConversationContext ctx;
    auto parts = segments(sessionId, contextFloor, beforeOrdinal);
    if (!parts)
        return parts.error();
    int runCount = 0;
    for (const Segment &segment : std::as_const(*parts)) {
        auto total = m_journal.execCached(QStringLiteral("SELECT COUNT(*) FROM runs WHERE session_id = ? "
                                                         "AND ordinal > ? AND ordinal < ?"),
                                          {segment.sessionId, segment.floor, segment.before});
        if (!total)
            return total.error();
        runCount += (*total)->next() ? (*total)->value(0).toInt() : 0;
        (*total)->finish();
    }

    // Walk back through the session in batches (one query for the runs, one for their
    // events), newest first, until the budget is spent: a long session costs what is used.
    QList<QList<ChatMessage>> kept; // newest first
    bool spent = false;
    for (const Segment &segment : std::as_const(*parts)) {
        int upper = segment.before;
        int batch = 8;
        while (!spent) {
            auto runs = m_journal.execCached(
                    QStringLiteral("SELECT id, ordinal FROM runs WHERE session_id = ? AND ordinal > ? "
                                   "AND ordinal < ? ORDER BY ordinal DESC LIMIT ?"),
                    {segment.sessionId, segment.floor, upper, batch});
            if (!runs)
                return runs.error();
            QStringList ids;
            while ((*runs)->next()) {
                ids.append((*runs)->value(0).toString());
                upper = (*runs)->value(1).toInt();
            }
            (*runs)->finish();
            if (ids.isEmpty())
                break;

            QStringList marks;
            QVariantList binds;
            for (const QString &id : std::as_const(ids)) {
                marks.append(QStringLiteral("?"));
                binds.append(id);
            }
            auto events = m_journal.exec(
                    QStringLiteral("SELECT run_id, seq, kind, payload FROM orchestrator_tape WHERE "
                                   "run_id IN (%1) AND kind IN ('input', 'provider.response', "
                                   "'tool.output') ORDER BY run_id, seq")
                            .arg(marks.join(QLatin1Char(','))),
                    binds);
            if (!events)
                return events.error();
            QHash<QString, QList<TapeEvent>> byRun;
            while (events->next()) {
                TapeEvent e;
                e.runId = events->value(0).toString();
                e.seq = events->value(1).toLongLong();
                e.kind = events->value(2).toString();
                e.payload = QJsonDocument::fromJson(events->value(3).toString().toUtf8()).object();
                byRun[e.runId].append(std::move(e));
            }
            for (const QString &id : std::as_const(ids)) {
                QList<ChatMessage> messages = messagesFromTape(byRun.value(id), toolOutputCap);
                int tokens = tokensOf(messages);
                if (ctx.tokenEstimate + tokens > tokenBudget) {
                    spent = true;
                    // The run that does not fit whole goes in trimmed, when its input and reply
                    // fit; the newest one may even have those shortened.
                    ConversationContext::TrimmedRun report;
                    report.runId = id;
                    QList<ChatMessage> trimmed = trimRun(messages, tokenBudget - ctx.tokenEstimate,
                                                         kept.isEmpty(), &report);
                    if (!trimmed.isEmpty()) {
                        ctx.tokenEstimate += tokensOf(trimmed);
                        ctx.runsUsed.prepend(id);
                        ctx.trimmed.append(report);
                        kept.append(std::move(trimmed));
                    }
                    break;
                }
                ctx.tokenEstimate += tokens;
                ctx.runsUsed.prepend(id);
                kept.append(std::move(messages));
            }
            batch = qMin(batch * 4, 256);
        }
    }
    ctx.runsDropped = runCount - int(ctx.runsUsed.size());
    for (auto it = kept.crbegin(); it != kept.crend(); ++it)
        ctx.messages.append(*it);
    // Earlier attachments go to the model again: their contents come from the journal.
    if (Status loaded = AttachmentStore::load(m_journal, ctx.messages); !loaded)
        return loaded.error();
    return ctx;
}

} // namespace Spool
