#include "tools/tool.h"

#include <QJsonArray>
#include <QTimer>

namespace Spool {

QString toolRiskName(ToolRisk risk)
{
    switch (risk) {
    case ToolRisk::Low: return QStringLiteral("low");
    case ToolRisk::Medium: return QStringLiteral("medium");
    case ToolRisk::High: return QStringLiteral("high");
    }
    return QString();
}

QJsonObject ToolSpec::toJson() const
{
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("description"), description},
        {QStringLiteral("parameters"), parameters},
        {QStringLiteral("capabilities"), QJsonArray::fromStringList(capabilities)},
        {QStringLiteral("risk"), toolRiskName(risk)},
        {QStringLiteral("requires_approval"), requiresApproval},
    };
}

ToolResult ToolResult::success(const QString &output)
{
    ToolResult r;
    r.ok = true;
    r.output = output;
    return r;
}

ToolResult ToolResult::failure(const QString &message)
{
    ToolResult r;
    r.ok = false;
    r.output = message;
    return r;
}

QString ToolResult::forModel(const QString &output, int cap)
{
    if (cap < 0 || output.size() <= cap)
        return output;
    return output.left(cap)
            + QStringLiteral("\n[output truncated: %1 of %2 characters shown]").arg(cap).arg(output.size());
}

ImmediateToolJob::ImmediateToolJob(const ToolResult &result, QObject *parent) : ToolJob(parent)
{
    QTimer::singleShot(0, this, [this, result] {
        if (!m_cancelled)
            emit finished(result);
    });
}

void ImmediateToolJob::cancel()
{
    m_cancelled = true;
}

} // namespace Spool
