#pragma once

#include "runs/runtimeline.h"

#include <QTimer>
#include <QWidget>

namespace Spool {

// A run on a time axis: one bar per provider call, tool call and approval wait, growing while
// the run goes. Hover for the details; click (or Enter on the selected bar) to find the event
// in the tape inspector.
class RunTimelineWidget : public QWidget
{
    Q_OBJECT
public:
    explicit RunTimelineWidget(QWidget *parent = nullptr);

    // Shows a run from its tape (spans built by the engine), or nothing for an empty id.
    void setRun(const QString &runId, const QList<TimelineSpan> &spans, bool live);
    // A live event of the shown run.
    void addEvent(const TapeEvent &event);
    void setLive(bool live);
    QString runId() const { return m_runId; }
    const QList<TimelineSpan> &spans() const { return m_spans; }
    int selectedSpan() const { return m_selected; }

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

signals:
    void spanActivated(qint64 seq);

protected:
    void paintEvent(QPaintEvent *event) override;
    bool event(QEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    int spanAt(const QPoint &pos) const;
    QRect barRect(int index) const;
    qint64 axisEnd() const;
    QString describe(const TimelineSpan &span) const;
    void select(int index);

    QString m_runId;
    QList<TimelineSpan> m_spans;
    RunTimelineBuilder m_builder;
    bool m_live = false;
    int m_selected = -1;
    QTimer m_tick;
};

} // namespace Spool
