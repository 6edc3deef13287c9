#include "memory/memoryimportreport.h"

#include <QJsonArray>

namespace Spool {

QJsonObject MemoryImportReport::toJson() const
{
    QJsonArray list;
    for (const FileError &e : errors)
        list.append(QJsonObject{{QStringLiteral("path"), e.path}, {QStringLiteral("error"), e.message}});
    return QJsonObject{{QStringLiteral("files"), filesSeen},
                       {QStringLiteral("imported"), imported},
                       {QStringLiteral("unchanged"), unchanged},
                       {QStringLiteral("removed"), removed},
                       {QStringLiteral("chunks"), chunks},
                       {QStringLiteral("errors"), list}};
}

} // namespace Spool
