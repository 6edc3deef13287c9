#include "tools/tool.h"

#include "tools/cappedoutput.h"

#include <QJsonArray>
#include <QTimer>

namespace Spool {

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
    // Head and tail: the end of a long output (where errors usually are) stays visible.
    return cap < 0 ? output : CappedOutput::capText(output, cap);
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
