#pragma once

#include "memory/memoryhit.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace Spool {

// The answer to a MemoryQuery, and how it was found: `mode` is "hybrid" only when the query was
// embedded and compared with stored vectors; otherwise "lexical", and `note` says why.
struct MemorySearchResult
{
    QList<MemoryHit> hits;
    QString mode = QStringLiteral("lexical");
    QString note;
    qint64 searched = 0; // items that could match (after scope filters)

    bool isHybrid() const { return mode == QLatin1String("hybrid"); }
    QJsonObject toJson() const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::MemorySearchResult)
