#include "messageboxes.h"

#include <QMessageBox>
#include <QPushButton>

namespace Spool {

namespace {

QMessageBox *openBox(QMessageBox::Icon icon, QWidget *parent, const QString &title, const QString &text)
{
    if (!parent)
        return nullptr;
    auto *box = new QMessageBox(icon, title, text, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    return box;
}

} // namespace

QMessageBox *showWarning(QWidget *parent, const QString &title, const QString &text)
{
    return openBox(QMessageBox::Warning, parent, title, text);
}

QMessageBox *showInformation(QWidget *parent, const QString &title, const QString &text)
{
    return openBox(QMessageBox::Information, parent, title, text);
}

QMessageBox *askToConfirm(QWidget *parent, const QString &title, const QString &text,
                          const QString &confirmText, QObject *context,
                          std::function<void()> confirmed)
{
    if (!parent)
        return nullptr;
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Cancel, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *confirm = box->addButton(confirmText, QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    QObject::connect(box, &QMessageBox::buttonClicked, context,
                     [confirm, confirmed = std::move(confirmed)](QAbstractButton *clicked) {
                         if (clicked == confirm)
                             confirmed();
                     });
    box->open();
    return box;
}

} // namespace Spool
