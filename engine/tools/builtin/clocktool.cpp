#include "tools/builtin/clocktool.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QTimeZone>

namespace Spool {

ToolSpec ClockTool::spec() const
{
    ToolSpec s;
    s.name = QStringLiteral("clock");
    s.description = QStringLiteral("Returns the current date and time (ISO 8601), in UTC or in "
                                   "the given IANA time zone such as Europe/Paris.");
    s.parameters = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "timezone": {"type": "string", "description": "IANA time zone name.", "maxLength": 64}
        },
        "additionalProperties": false
    })").object();
    s.risk = ToolRisk::Low;
    return s;
}

ToolJob *ClockTool::start(const ToolInvocation &invocation, QObject *parent)
{
    const QString zoneName = invocation.arguments.value(QStringLiteral("timezone")).toString();
    const QDateTime nowUtc = QDateTime::currentDateTimeUtc();
    if (zoneName.isEmpty() || zoneName == QLatin1String("UTC"))
        return new ImmediateToolJob(ToolResult::success(nowUtc.toString(Qt::ISODate)), parent);
    const QTimeZone zone(zoneName.toUtf8());
    if (!zone.isValid())
        return new ImmediateToolJob(
                ToolResult::failure(QStringLiteral("unknown time zone \"%1\"").arg(zoneName)),
                parent);
    return new ImmediateToolJob(
            ToolResult::success(nowUtc.toTimeZone(zone).toString(Qt::ISODate)), parent);
}

} // namespace Spool
