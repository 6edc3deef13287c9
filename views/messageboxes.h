#pragma once

#include <QString>

#include <functional>

class QMessageBox;
class QObject;
class QWidget;

namespace Spool {

// Message boxes that never run a nested event loop: each is shown with open() (modal to its
// parent window only) and deletes itself when closed, so the code that showed it returns at
// once and is never resumed after its window or controller is gone. Without a parent (the
// window is gone) nothing is shown, and they return null.

// Tells the user something went wrong.
QMessageBox *showWarning(QWidget *parent, const QString &title, const QString &text);
QMessageBox *showInformation(QWidget *parent, const QString &title, const QString &text);

// Asks before something that cannot be undone. `confirmed` runs when the user chose
// `confirmText` (never the default button), and only while `context` exists.
QMessageBox *askToConfirm(QWidget *parent, const QString &title, const QString &text,
                          const QString &confirmText, QObject *context,
                          std::function<void()> confirmed);

} // namespace Spool
