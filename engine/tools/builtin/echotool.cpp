#include "tools/builtin/echotool.h"

#include <QJsonDocument>

namespace Spool {

ToolSpec EchoTool::spec() const
{
    ToolSpec s;
    s.name = QStringLiteral("echo");
    s.description = QStringLiteral("Repeats the given text back. Asks the user first.");
    s.parameters = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "text": {"type": "string", "description": "The text to repeat.", "maxLength": 65536}
        },
        "required": ["text"],
        "additionalProperties": false
    })").object();
    s.risk = ToolRisk::Low;
    s.requiresApproval = true;
    return s;
}

ToolJob *EchoTool::start(const ToolInvocation &invocation, QObject *parent)
{
    return new ImmediateToolJob(
            ToolResult::success(invocation.arguments.value(QStringLiteral("text")).toString()),
            parent);
}

} // namespace Spool
