#pragma once

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace Spool {

// What an import of files and folders did. Each file that could not be imported (unreadable,
// binary, not UTF-8, too large) has its own error; the others are imported regardless.
struct MemoryImportReport
{
    struct FileError
    {
        QString path;
        QString message;
    };

    int filesSeen = 0;
    int imported = 0;     // new or changed files whose chunks were (re)stored
    int unchanged = 0;    // same content hash as last time: not touched
    int removed = 0;      // files imported before that are gone from their folder
    int chunks = 0;       // chunks stored by this import
    QList<FileError> errors;

    bool ok() const { return errors.isEmpty(); }
    QJsonObject toJson() const;
};

// Progress of an import: the file being read, how many are done.
struct MemoryImportProgress
{
    QString path;
    int done = 0;
    int total = 0;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::MemoryImportReport)
Q_DECLARE_METATYPE(Spool::MemoryImportProgress)
