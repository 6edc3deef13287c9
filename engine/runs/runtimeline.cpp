#include "runs/runtimeline.h"

namespace Spool {

QStringList RunTimelineBuilder::relevantKinds()
{
    return {TapeKind::RunStatus,   TapeKind::ProviderRequest,  TapeKind::ProviderResponse,
            TapeKind::ProviderError, TapeKind::ToolCall,       TapeKind::PolicyDecision,
            TapeKind::ApprovalRequest, TapeKind::ApprovalDecision, TapeKind::ToolOutput};
}

RunTimelineBuilder::RunTimelineBuilder(const QList<TimelineSpan> &spans) : m_spans(spans)
{
    for (const TimelineSpan &s : spans) {
        if (s.kind == TimelineSpan::Kind::Provider)
            ++m_turn;
        m_startMs = m_startMs == 0 ? s.startMs : qMin(m_startMs, s.startMs);
        m_endMs = qMax(m_endMs, qMax(s.startMs, s.endMs));
    }
}

int RunTimelineBuilder::openIndex(TimelineSpan::Kind kind, const QString &key) const
{
    for (int i = int(m_spans.size()) - 1; i >= 0; --i) {
        const TimelineSpan &s = m_spans.at(i);
        if (s.kind == kind && s.isOpen() && (key.isEmpty() || s.key == key))
            return i;
    }
    return -1;
}

int RunTimelineBuilder::add(const TapeEvent &e)
{
    const QJsonObject &p = e.payload;
    if (m_startMs == 0 || e.createdAt < m_startMs)
        m_startMs = e.createdAt;
    m_endMs = qMax(m_endMs, e.createdAt);
    auto value = [&p](const char *key) { return p.value(QLatin1String(key)).toString(); };

    if (e.kind == TapeKind::ProviderRequest) {
        ++m_turn;
        TimelineSpan s;
        s.kind = TimelineSpan::Kind::Provider;
        s.key = QString::number(m_turn);
        s.label = value("provider") + QLatin1Char('/') + value("model");
        s.startMs = e.createdAt;
        s.startSeq = e.seq;
        m_spans.append(s);
        return int(m_spans.size()) - 1;
    }
    if (e.kind == TapeKind::ProviderResponse || e.kind == TapeKind::ProviderError) {
        const int i = openIndex(TimelineSpan::Kind::Provider, {});
        if (i < 0)
            return -1;
        TimelineSpan &s = m_spans[i];
        if (e.kind == TapeKind::ProviderError && p.value(QStringLiteral("retry_delay_ms")).isDouble()) {
            s.status = QStringLiteral("retrying");
            s.detail = value("error_class");
            return i; // the same call goes on after the delay
        }
        s.endMs = e.createdAt;
        s.endSeq = e.seq;
        if (e.kind == TapeKind::ProviderResponse) {
            const QJsonObject usage = p.value(QStringLiteral("usage")).toObject();
            s.status = QStringLiteral("ok");
            s.detail = QStringLiteral("%1 + %2 tokens")
                               .arg(usage.value(QStringLiteral("prompt")).toInteger())
                               .arg(usage.value(QStringLiteral("completion")).toInteger());
        } else {
            s.status = QStringLiteral("failed");
            s.detail = value("error_class");
        }
        return i;
    }
    if (e.kind == TapeKind::ToolCall) {
        TimelineSpan s;
        s.kind = TimelineSpan::Kind::Tool;
        s.key = value("call_id");
        s.label = value("tool");
        s.startMs = e.createdAt;
        s.startSeq = e.seq;
        m_spans.append(s);
        return int(m_spans.size()) - 1;
    }
    if (e.kind == TapeKind::ApprovalRequest) {
        TimelineSpan s;
        s.kind = TimelineSpan::Kind::Approval;
        s.key = value("approval_id");
        s.label = QStringLiteral("approval: ") + value("tool");
        s.startMs = e.createdAt;
        s.startSeq = e.seq;
        m_spans.append(s);
        return int(m_spans.size()) - 1;
    }
    if (e.kind == TapeKind::ApprovalDecision) {
        const int i = openIndex(TimelineSpan::Kind::Approval, value("approval_id"));
        if (i < 0)
            return -1; // a session grant: nothing waited
        TimelineSpan &s = m_spans[i];
        s.endMs = e.createdAt;
        s.endSeq = e.seq;
        s.status = value("decision");
        s.detail = value("decided_by");
        return i;
    }
    if (e.kind == TapeKind::ToolOutput) {
        const int i = openIndex(TimelineSpan::Kind::Tool, value("call_id"));
        if (i < 0)
            return -1;
        TimelineSpan &s = m_spans[i];
        s.endMs = e.createdAt;
        s.endSeq = e.seq;
        s.status = p.value(QStringLiteral("ok")).toBool() ? QStringLiteral("ok") : QStringLiteral("failed");
        if (p.value(QStringLiteral("exit_code")).isDouble())
            s.detail = QStringLiteral("exit %1").arg(p.value(QStringLiteral("exit_code")).toInt());
        return i;
    }
    if (e.kind == TapeKind::RunStatus) {
        const QString state = value("state");
        if (state == QLatin1String("succeeded") || state == QLatin1String("failed")
            || state == QLatin1String("cancelled"))
            closeOpenSpans(e.createdAt, e.seq, state);
    }
    return -1;
}

void RunTimelineBuilder::closeOpenSpans(qint64 atMs, qint64 seq, const QString &status)
{
    for (TimelineSpan &s : m_spans) {
        if (s.isOpen()) {
            s.endMs = atMs;
            s.endSeq = seq;
            if (s.status.isEmpty() || s.status == QLatin1String("retrying"))
                s.status = status;
        }
    }
}

} // namespace Spool
