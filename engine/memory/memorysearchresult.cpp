#include "memory/memorysearchresult.h"

#include <QJsonArray>

namespace Spool {

QJsonObject MemorySearchResult::toJson() const
{
    QJsonArray list;
    for (const MemoryHit &h : hits) {
        QJsonObject o = h.toJson();
        o.insert(QStringLiteral("text"), h.item.text);
        list.append(o);
    }
    QJsonObject out{{QStringLiteral("mode"), mode}, {QStringLiteral("hits"), list}};
    if (!note.isEmpty())
        out.insert(QStringLiteral("note"), note);
    return out;
}

} // namespace Spool
