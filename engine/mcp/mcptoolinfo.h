#pragma once

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace Spool {

// One tool as a server lists it in tools/list. The schemas are kept as the server sent them;
// the tool registry (phase 2) checks arguments against inputSchema before a call.
struct McpToolInfo
{
    QString name;
    QString title;       // display name, 2025-06-18 and later (or annotations.title)
    QString description;
    QJsonObject inputSchema;
    QJsonObject outputSchema; // empty when the tool declares none
    QJsonObject annotations;  // readOnlyHint, destructiveHint, ...: hints, never trusted alone
    QJsonObject raw;          // the whole entry, for fields this type does not name

    bool readOnlyHint() const { return annotations.value(QLatin1String("readOnlyHint")).toBool(); }

    // Reads one entry of tools/list; an entry without a name is refused.
    static bool fromJson(const QJsonObject &o, McpToolInfo *out, QString *whyNot);
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::McpToolInfo)
