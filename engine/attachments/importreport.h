#pragma once

#include <QMetaType>
#include <QStringList>

namespace Spool {

// What `spool import` brought back: every session of the file as a new session.
struct ImportReport
{
    QStringList sessionIds; // in the file's order
    int runs = 0;
    int events = 0;
    int attachments = 0;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::ImportReport)
