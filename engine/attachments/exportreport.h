#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace Spool {

// What an export wrote.
struct ExportReport
{
    QString path;
    QStringList files; // the export and, for Markdown, the attachment files beside it
    int sessions = 0;
    int runs = 0;
    int events = 0;
    int attachments = 0;
    qint64 bytes = 0;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::ExportReport)
