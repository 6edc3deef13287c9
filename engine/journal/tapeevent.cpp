#include "journal/tapeevent.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace Spool {

namespace {

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

QString compactJson(const QJsonValue &v)
{
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    return v.toVariant().toString();
}

} // namespace

QJsonObject TapeEvent::toJson() const
{
    return QJsonObject{
        {QStringLiteral("run_id"), runId},
        {QStringLiteral("seq"), seq},
        {QStringLiteral("kind"), kind},
        {QStringLiteral("created_at"), createdAt},
        {QStringLiteral("payload"), payload},
    };
}

QString TapeEvent::summary(int maxLength) const
{
    const QJsonObject &p = payload;
    QString s;
    if (kind == TapeKind::RunStatus) {
        s = str(p, "state") + QStringLiteral(" (") + str(p, "reason") + QLatin1Char(')');
        if (!str(p, "detail").isEmpty())
            s += QStringLiteral(": ") + str(p, "detail");
    } else if (kind == TapeKind::Input || kind == TapeKind::AssistantMessage) {
        s = str(p, "text");
        // First, so a long reply cut to the summary's length still says it.
        if (p.value(QStringLiteral("partial")).toBool())
            s = QStringLiteral("[partial: %1] ").arg(str(p, "reason")) + s;
        const int n = int(p.value(QStringLiteral("attachments")).toArray().size());
        if (n > 0)
            s += QStringLiteral(" [+%1 attachment(s)]").arg(n);
    } else if (kind == TapeKind::Context) {
        s = QStringLiteral("%1 earlier turn(s) used, %2 dropped, ~%3 tokens")
                    .arg(p.value(QStringLiteral("turns_used")).toArray().size())
                    .arg(p.value(QStringLiteral("turns_dropped")).toInt())
                    .arg(p.value(QStringLiteral("token_estimate")).toInt());
        const int trimmed = int(p.value(QStringLiteral("turns_trimmed")).toArray().size());
        if (trimmed > 0)
            s += QStringLiteral(", %1 trimmed").arg(trimmed);
        const QJsonArray hits = p.value(QStringLiteral("memory_hits")).toArray();
        if (!hits.isEmpty()) {
            QStringList ids;
            for (const QJsonValue &h : hits)
                ids.append(QLatin1Char('#') + QString::number(h.toObject().value(QStringLiteral("id")).toInteger()));
            s += QStringLiteral("; %1 memor%2 (%3): %4")
                         .arg(hits.size())
                         .arg(hits.size() == 1 ? QStringLiteral("y") : QStringLiteral("ies"))
                         .arg(str(p, "memory_mode"), ids.join(QStringLiteral(", ")));
        }
    } else if (kind == TapeKind::ProviderRequest) {
        s = QStringLiteral("%1/%2, %3 message(s), %4 tool(s)")
                    .arg(str(p, "provider"), str(p, "model"))
                    .arg(p.value(QStringLiteral("messages")).toArray().size())
                    .arg(p.value(QStringLiteral("tools")).toArray().size());
    } else if (kind == TapeKind::ProviderResponse) {
        const QJsonObject usage = p.value(QStringLiteral("usage")).toObject();
        const QJsonArray calls = p.value(QStringLiteral("tool_calls")).toArray();
        s = QStringLiteral("%1, %2+%3 tokens, %4 ms")
                    .arg(str(p, "finish_reason"))
                    .arg(usage.value(QStringLiteral("prompt")).toInteger())
                    .arg(usage.value(QStringLiteral("completion")).toInteger())
                    .arg(p.value(QStringLiteral("latency_ms")).toInteger());
        if (!calls.isEmpty()) {
            QStringList names;
            for (const QJsonValue &c : calls)
                names.append(c.toObject().value(QStringLiteral("name")).toString());
            s += QStringLiteral(", calls ") + names.join(QStringLiteral(", "));
        } else if (!str(p, "text").isEmpty()) {
            s += QStringLiteral(": ") + str(p, "text");
        }
    } else if (kind == TapeKind::ProviderPartial) {
        s = QStringLiteral("turn %1, from %2: %3")
                    .arg(p.value(QStringLiteral("turn")).toInt())
                    .arg(p.value(QStringLiteral("offset")).toInteger())
                    .arg(str(p, "text"));
    } else if (kind == TapeKind::ProviderError) {
        s = str(p, "error_class") + QStringLiteral(": ") + str(p, "message");
        if (p.value(QStringLiteral("retry_delay_ms")).isDouble())
            s += QStringLiteral(" (retry in %1 ms)").arg(p.value(QStringLiteral("retry_delay_ms")).toInteger());
    } else if (kind == TapeKind::ToolCall) {
        s = str(p, "tool") + QLatin1Char(' ') + compactJson(p.value(QStringLiteral("arguments")));
        if (!str(p, "arguments_error").isEmpty())
            s += QStringLiteral(" (") + str(p, "arguments_error") + QLatin1Char(')');
    } else if (kind == TapeKind::PolicyDecision) {
        const QStringList by = p.value(QStringLiteral("determining_policies")).toVariant().toStringList();
        s = str(p, "decision");
        if (!by.isEmpty())
            s += QStringLiteral(" by ") + by.join(QStringLiteral(", "));
        if (!str(p, "explanation").isEmpty())
            s += QStringLiteral(": ") + str(p, "explanation");
    } else if (kind == TapeKind::ApprovalRequest) {
        s = QStringLiteral("%1 %2 (risk %3), approval %4")
                    .arg(str(p, "tool"), compactJson(p.value(QStringLiteral("arguments"))),
                         str(p, "risk"), str(p, "approval_id"));
    } else if (kind == TapeKind::ApprovalDecision) {
        s = str(p, "decision");
        if (!str(p, "scope").isEmpty())
            s += QLatin1Char(' ') + str(p, "scope");
        s += QStringLiteral(" by ") + str(p, "decided_by");
        if (!str(p, "grant_id").isEmpty())
            s += QStringLiteral(", grant ") + str(p, "grant_id");
    } else if (kind == TapeKind::ToolOutput) {
        s = QStringLiteral("%1 %2 in %3 ms: %4")
                    .arg(str(p, "tool"),
                         p.value(QStringLiteral("ok")).toBool() ? QStringLiteral("ok")
                                                                : QStringLiteral("failed"))
                    .arg(p.value(QStringLiteral("duration_ms")).toInteger())
                    .arg(str(p, "output"));
    } else if (kind == TapeKind::McpElicitation) {
        s = QStringLiteral("%1 asked \"%2\": %3 by %4")
                    .arg(str(p, "server"), str(p, "message"), str(p, "action"), str(p, "answered_by"));
    } else {
        s = compactJson(p);
    }
    s.replace(QLatin1Char('\n'), QStringLiteral(" \u21b5 "));
    if (s.size() > maxLength)
        s = s.left(maxLength - 1) + QChar(0x2026);
    return s;
}

} // namespace Spool
