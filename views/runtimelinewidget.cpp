#include "runtimelinewidget.h"

#include <QDateTime>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QLocale>
#include <QPainter>
#include <QToolTip>

namespace Spool {

namespace {

constexpr int kRowHeight = 22;
constexpr int kAxisHeight = 22;
constexpr int kLabelWidth = 150;

QString formatMs(qint64 ms)
{
    if (ms < 1000)
        return RunTimelineWidget::tr("%1 ms").arg(ms);
    return RunTimelineWidget::tr("%1 s").arg(QLocale().toString(ms / 1000.0, 'f', ms < 10000 ? 2 : 1));
}

} // namespace

RunTimelineWidget::RunTimelineWidget(QWidget *parent) : QWidget(parent)
{
    setFocusPolicy(Qt::StrongFocus);
    setAccessibleName(tr("Run timeline"));
    setAccessibleDescription(tr("Provider calls, tool calls and approval waits of the selected run"));
    setMouseTracking(true);
    m_tick.setInterval(100);
    connect(&m_tick, &QTimer::timeout, this, [this] {
        if (isVisible())
            update();
    });
}

QSize RunTimelineWidget::sizeHint() const
{
    return QSize(480, kAxisHeight + qMax<int>(3, int(m_spans.size())) * kRowHeight + 8);
}

QSize RunTimelineWidget::minimumSizeHint() const
{
    return QSize(240, kAxisHeight + kRowHeight * 2);
}

void RunTimelineWidget::setRun(const QString &runId, const QList<TimelineSpan> &spans, bool live)
{
    m_runId = runId;
    m_builder = RunTimelineBuilder(spans);
    m_spans = m_builder.spans();
    m_selected = -1;
    setLive(live);
    updateGeometry();
    update();
}

void RunTimelineWidget::addEvent(const TapeEvent &event)
{
    if (event.runId != m_runId)
        return;
    const qsizetype before = m_spans.size();
    m_builder.add(event);
    m_spans = m_builder.spans();
    if (m_spans.size() != before)
        updateGeometry();
    update();
}

void RunTimelineWidget::setLive(bool live)
{
    m_live = live;
    if (live)
        m_tick.start();
    else
        m_tick.stop();
    update();
}

qint64 RunTimelineWidget::axisEnd() const
{
    qint64 end = m_builder.endMs();
    if (m_live)
        end = qMax(end, QDateTime::currentMSecsSinceEpoch());
    return qMax(end, m_builder.startMs() + 1);
}

QRect RunTimelineWidget::barRect(int index) const
{
    const TimelineSpan &s = m_spans.at(index);
    const int width = qMax(10, this->width() - kLabelWidth - 12);
    const qint64 end = axisEnd();
    const qint64 start = m_builder.startMs();
    const double scale = double(width) / double(end - start);
    const qint64 spanEnd = s.isOpen() ? end : s.endMs;
    const int x = kLabelWidth + int((s.startMs - start) * scale);
    const int w = qMax(3, int((spanEnd - s.startMs) * scale));
    return QRect(x, kAxisHeight + index * kRowHeight + 4, w, kRowHeight - 8);
}

int RunTimelineWidget::spanAt(const QPoint &pos) const
{
    if (pos.y() < kAxisHeight)
        return -1;
    const int index = (pos.y() - kAxisHeight) / kRowHeight;
    return index < m_spans.size() ? index : -1;
}

QString RunTimelineWidget::describe(const TimelineSpan &s) const
{
    const qint64 end = s.isOpen() ? QDateTime::currentMSecsSinceEpoch() : s.endMs;
    QString kind;
    switch (s.kind) {
    case TimelineSpan::Kind::Provider: kind = tr("Provider call"); break;
    case TimelineSpan::Kind::Tool: kind = tr("Tool call"); break;
    case TimelineSpan::Kind::Approval: kind = tr("Approval wait"); break;
    }
    QString text = tr("%1: %2\nDuration: %3%4").arg(kind, s.label, formatMs(end - s.startMs),
                                                     s.isOpen() ? tr(" (going on)") : QString());
    if (!s.status.isEmpty())
        text += QLatin1Char('\n') + tr("Status: %1").arg(s.status);
    if (!s.detail.isEmpty())
        text += QLatin1Char('\n') + s.detail;
    text += QLatin1Char('\n') + tr("Tape events %1\u2013%2").arg(s.startSeq).arg(s.endSeq ? QString::number(s.endSeq) : QStringLiteral("\u2026"));
    return text;
}

void RunTimelineWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base));
    const QColor text = palette().color(QPalette::Text);
    const QColor muted = palette().color(QPalette::PlaceholderText);
    if (m_spans.isEmpty()) {
        p.setPen(muted);
        p.drawText(rect(), Qt::AlignCenter,
                   m_runId.isEmpty() ? tr("Select a run to see its timeline") : tr("No provider or tool calls yet"));
        return;
    }
    // Axis with a few round ticks.
    const qint64 total = axisEnd() - m_builder.startMs();
    const int width = qMax(10, this->width() - kLabelWidth - 12);
    qint64 step = 1;
    for (qint64 candidate : {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 30000, 60000, 120000, 300000, 600000}) {
        step = candidate;
        if (total / candidate <= 6)
            break;
    }
    p.setPen(muted);
    for (qint64 t = 0; t <= total; t += step) {
        const int x = kLabelWidth + int(double(t) * width / double(total));
        p.drawLine(x, kAxisHeight - 4, x, height());
        p.drawText(QRect(x + 2, 2, 80, kAxisHeight - 4), Qt::AlignLeft | Qt::AlignVCenter, formatMs(t));
    }
    for (int i = 0; i < m_spans.size(); ++i) {
        const TimelineSpan &s = m_spans.at(i);
        const QRect bar = barRect(i);
        QColor color;
        switch (s.kind) {
        case TimelineSpan::Kind::Provider: color = QColor(0x3b, 0x82, 0xf6); break;
        case TimelineSpan::Kind::Tool: color = QColor(0x16, 0xa3, 0x4a); break;
        case TimelineSpan::Kind::Approval: color = QColor(0xd9, 0x77, 0x06); break;
        }
        if (s.status == QLatin1String("failed") || s.status == QLatin1String("deny")
            || s.status == QLatin1String("timeout") || s.status == QLatin1String("cancelled"))
            color = QColor(0xdc, 0x26, 0x26);
        if (i == m_selected)
            p.fillRect(QRect(0, bar.top() - 3, this->width(), kRowHeight), palette().color(QPalette::Highlight).lighter(170));
        p.setPen(text);
        p.drawText(QRect(6, bar.top() - 3, kLabelWidth - 10, kRowHeight), Qt::AlignLeft | Qt::AlignVCenter,
                   p.fontMetrics().elidedText(s.label, Qt::ElideRight, kLabelWidth - 10));
        p.setPen(Qt::NoPen);
        p.setBrush(s.isOpen() ? color.lighter(130) : color);
        p.drawRoundedRect(bar, 3, 3);
    }
    if (hasFocus()) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 1, Qt::DotLine));
        p.setBrush(Qt::NoBrush);
        p.drawRect(rect().adjusted(0, 0, -1, -1));
    }
}

bool RunTimelineWidget::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int index = spanAt(help->pos());
        if (index >= 0)
            QToolTip::showText(help->globalPos(), describe(m_spans.at(index)), this);
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

void RunTimelineWidget::select(int index)
{
    if (index < 0 || index >= m_spans.size())
        return;
    m_selected = index;
    update();
}

void RunTimelineWidget::mousePressEvent(QMouseEvent *event)
{
    const int index = spanAt(event->position().toPoint());
    if (index < 0)
        return;
    select(index);
    emit spanActivated(m_spans.at(index).startSeq);
}

void RunTimelineWidget::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Up: select(qMax(0, m_selected - 1)); return;
    case Qt::Key_Down: select(qMin(int(m_spans.size()) - 1, m_selected + 1)); return;
    case Qt::Key_Return:
    case Qt::Key_Enter:
    case Qt::Key_Space:
        if (m_selected >= 0)
            emit spanActivated(m_spans.at(m_selected).startSeq);
        return;
    default: QWidget::keyPressEvent(event);
    }
}

} // namespace Spool
