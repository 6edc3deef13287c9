#include "sessionheader.h"

#include "elidedlabel.h"
#include "sessionbar.h"

#include <QBoxLayout>
#include <QEvent>

namespace Spool {

SessionHeader::SessionHeader(ElidedLabel *title, SessionBar *bar, QWidget *parent)
    : QWidget(parent), m_title(title), m_bar(bar)
{
    m_layout = new QBoxLayout(QBoxLayout::LeftToRight, this);
    m_layout->setContentsMargins(0, 0, 0, 0);
    m_layout->setSpacing(0);
    m_layout->addWidget(title, 1);
    m_layout->addWidget(bar);
}

bool SessionHeader::isStacked() const
{
    return m_layout->direction() == QBoxLayout::TopToBottom;
}

void SessionHeader::arrange()
{
    // Room for about 28 characters of the title beside the bar, or the bar goes below.
    const int titleRoom = 28 * m_title->fontMetrics().horizontalAdvance(QLatin1Char('x'))
            + m_title->contentsMargins().left() + m_title->contentsMargins().right();
    const bool sideBySide = !m_bar->isVisible() || width() >= titleRoom + m_bar->sizeHint().width();
    const auto direction = sideBySide ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom;
    if (m_layout->direction() == direction)
        return;
    m_layout->setDirection(direction);
    m_layout->activate(); // now, not after a round of posted events with the old arrangement
}

bool SessionHeader::event(QEvent *event)
{
    // The bar's size changes with what it shows (a folder, a token count): arrange again.
    if (event->type() == QEvent::LayoutRequest)
        arrange();
    return QWidget::event(event);
}

void SessionHeader::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    arrange();
}

} // namespace Spool
