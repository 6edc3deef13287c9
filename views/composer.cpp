#include "composer.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace Spool {

Composer::Composer(QWidget *parent) : QWidget(parent)
{
    m_edit = new QPlainTextEdit(this);
    m_edit->setPlaceholderText(tr("Message the agent \u2014 Enter to send, Shift+Enter for a new line"));
    m_edit->setAccessibleName(tr("Message"));
    m_edit->setTabChangesFocus(true);
    m_edit->setMaximumHeight(96);
    m_edit->setMinimumHeight(52);
    m_edit->installEventFilter(this);

    m_button = new QPushButton(tr("Send"), this);
    m_button->setAccessibleName(tr("Send message"));
    m_button->setToolTip(tr("Send (Enter)"));
    m_button->setMinimumWidth(80);
    connect(m_button, &QPushButton::clicked, this, [this] {
        if (m_running)
            emit stopRequested();
        else
            submit();
    });

    m_hint = new QLabel(this);
    m_hint->setAccessibleName(tr("Composer status"));
    m_hint->setForegroundRole(QPalette::PlaceholderText);

    auto *row = new QHBoxLayout;
    row->addWidget(m_edit, 1);
    row->addWidget(m_button, 0, Qt::AlignBottom);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 8);
    layout->addLayout(row);
    layout->addWidget(m_hint);
}

QString Composer::text() const
{
    return m_edit->toPlainText();
}

void Composer::clear()
{
    m_edit->clear();
}

void Composer::setHint(const QString &hint)
{
    m_hint->setText(hint);
}

void Composer::setRunning(bool running)
{
    m_running = running;
    m_button->setText(running ? tr("Stop") : tr("Send"));
    m_button->setAccessibleName(running ? tr("Stop the run") : tr("Send message"));
    m_button->setToolTip(running ? tr("Stop the run (Esc)") : tr("Send (Enter)"));
}

void Composer::submit()
{
    const QString message = m_edit->toPlainText();
    if (message.trimmed().isEmpty() || m_running)
        return;
    emit submitted(message);
}

bool Composer::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_edit && event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter)
            && !(key->modifiers() & Qt::ShiftModifier)) {
            submit();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace Spool
