#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>

namespace Spool {

// What `spool export` and File → Export ask for: some sessions (ids or keys) or all of them,
// as Markdown for reading or as JSON with the full tape and the attachments.
struct ExportRequest
{
    enum class Format { Markdown, Json };

    QStringList sessions;
    bool all = false;
    Format format = Format::Json;
    // The file to write; for Markdown the images go to a folder beside it ("<name>.files").
    // Empty: the JSON or Markdown goes to `device` (the command line's stdout).
    QString path;

    static QString formatName(Format format);
    static bool parseFormat(const QString &name, Format *format);
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::ExportRequest)
