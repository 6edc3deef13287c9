#include "runs/contextbuilder.h"

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
    return QJsonObject{
        {QStringLiteral("turns_used"), QJsonArray::fromStringList(runsUsed)},
        {QStringLiteral("turns_dropped"), runsDropped},
        {QStringLiteral("messages"), int(messages.size())},
        {QStringLiteral("token_estimate"), tokenEstimate},
    };
}

ContextBuilder::ContextBuilder(const JournalStore &journal) : m_journal(journal) {}

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
            for (const QJsonValue &v : prior) {
                const QJsonObject turn = v.toObject();
                const QString role = turn.value(QStringLiteral("role")).toString();
                ChatMessage p = ChatMessage::user(turn.value(QStringLiteral("text")).toString());
                if (role == QLatin1String("system"))
                    p.role = ChatMessage::Role::System;
                else if (role == QLatin1String("assistant"))
                    p.role = ChatMessage::Role::Assistant;
                out.append(p);
            }
            ChatMessage m = ChatMessage::user(e.payload.value(QStringLiteral("text")).toString());
            const QJsonArray attachments = e.payload.value(QStringLiteral("attachments")).toArray();
            for (const QJsonValue &v : attachments) {
                const QJsonObject a = v.toObject();
                m.attachments.append(Attachment{a.value(QStringLiteral("name")).toString(),
                                                a.value(QStringLiteral("mime")).toString(),
                                                a.value(QStringLiteral("bytes")).toInteger(),
                                                a.value(QStringLiteral("sha256")).toString(),
                                                {}});
            }
            out.append(m);
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

Result<ConversationContext> ContextBuilder::build(const QString &sessionId, int contextFloor,
                                                  int beforeOrdinal, int tokenBudget,
                                                  int toolOutputCap) const
{
    ConversationContext ctx;
    auto total = m_journal.execCached(QStringLiteral("SELECT COUNT(*) FROM runs WHERE session_id = ? "
                                                     "AND ordinal > ? AND ordinal < ?"),
                                      {sessionId, contextFloor, beforeOrdinal});
    if (!total)
        return total.error();
    const int runCount = (*total)->next() ? (*total)->value(0).toInt() : 0;
    (*total)->finish();

    // Walk back through the session in batches (one query for the runs, one for their
    // events), newest first, until the budget is spent: a long session costs what is used.
    QList<QList<ChatMessage>> kept; // newest first
    int upper = beforeOrdinal;
    int batch = 8;
    bool spent = false;
    while (!spent) {
        auto runs = m_journal.execCached(
                QStringLiteral("SELECT id, ordinal FROM runs WHERE session_id = ? AND ordinal > ? "
                               "AND ordinal < ? ORDER BY ordinal DESC LIMIT ?"),
                {sessionId, contextFloor, upper, batch});
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
            int tokens = 0;
            for (const ChatMessage &m : messages)
                tokens += m.estimatedTokens();
            if (ctx.tokenEstimate + tokens > tokenBudget) {
                spent = true;
                break;
            }
            ctx.tokenEstimate += tokens;
            ctx.runsUsed.prepend(id);
            kept.append(std::move(messages));
        }
        batch = qMin(batch * 4, 256);
    }
    ctx.runsDropped = runCount - int(ctx.runsUsed.size());
    for (auto it = kept.crbegin(); it != kept.crend(); ++it)
        ctx.messages.append(*it);
    return ctx;
}

} // namespace Spool
