#pragma once

#include "journal/tapeevent.h"
#include "runs/timelinespan.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace Spool {

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
