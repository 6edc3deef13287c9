#pragma once

#include <QObject>

class QLocalServer;

namespace Spool {

// One window per journal: a second `spool` started on the same data folder asks the first to
// come to the front and exits.
class SingleInstance : public QObject
{
    Q_OBJECT
public:
    explicit SingleInstance(const QString &dataDir, QObject *parent = nullptr);

    // True when another instance answered (and was asked to raise its window).
    bool notifyRunning();
    // Becomes the instance others find.
    bool listen();

signals:
    void raiseRequested();

private:
    QString m_name;
    QLocalServer *m_server = nullptr;
};

} // namespace Spool
