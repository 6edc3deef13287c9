#pragma once

#include <QCoreApplication>
#include <QPointer>

namespace Spool::Test {

// Where a test's stdio transports leave a killed server's process until it is reaped: a child
// of the application, so one still exiting when the test ends is freed with the application
// (the engine's own registry does the same with its reaper).
inline QObject *processReaper()
{
    static QPointer<QObject> reaper;
    if (!reaper)
        reaper = new QObject(QCoreApplication::instance());
    return reaper.data();
}

} // namespace Spool::Test
