#pragma once

#include "journal/tapeevent.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace Spool {

// One bar of a run's timeline: a provider call, a tool call or an approval wait.
struct TimelineSpan
{
    enum class Kind { Provider, Tool, Approval };

    Kind kind = Kind::Provider;
    QString key;          // call id, approval id, or the provider turn number
    QString label;        // "deterministic/echo-1", "clock", "approval: echo"
    qint64 startMs = 0;   // ms since the epoch
    qint64 endMs = 0;     // 0 while open
    qint64 startSeq = 0;  // the tape events that opened and closed it
    qint64 endSeq = 0;
    QString status;       // "ok", "failed", "allow", "deny", "timeout", "cancelled", "retrying", ""
    QString detail;       // tokens, exit code, who decided

    bool isOpen() const { return endMs == 0; }
};

// Builds the spans of a run from its tape events, one at a time, so a live timeline grows as
// events arrive. Only a few payload fields are read: call_id, tool, approval_id, usage,
// decision, ok, provider, model, decided_by.
class RunTimelineBuilder
{
public:
    // The kinds that open or close spans; other events are ignored.
    static QStringList relevantKinds();

    RunTimelineBuilder() = default;
    // Continues from spans built earlier (by the engine, from the tape), so live events extend
    // and close them.
    explicit RunTimelineBuilder(const QList<TimelineSpan> &spans);

    // Returns the index of the span the event opened or changed, or -1.
    int add(const TapeEvent &event);
    // Closes every open span at the run's end (the run stopped mid-way).
    void closeOpenSpans(qint64 atMs, qint64 seq, const QString &status);

    const QList<TimelineSpan> &spans() const { return m_spans; }
    qint64 startMs() const { return m_startMs; }
    qint64 endMs() const { return m_endMs; }

private:
    int openIndex(TimelineSpan::Kind kind, const QString &key) const;

    QList<TimelineSpan> m_spans;
    qint64 m_startMs = 0;
    qint64 m_endMs = 0;
    int m_turn = 0;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::TimelineSpan)
