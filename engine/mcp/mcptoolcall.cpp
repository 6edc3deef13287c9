#include "mcp/mcptoolcall.h"

#include "mcp/mcpclient.h"

namespace Spool {

McpToolCall::McpToolCall(McpClient *client, QString toolName, QString progressToken)
    : QObject(client), m_client(client), m_toolName(std::move(toolName)),
      m_progressToken(std::move(progressToken))
{
}

Result<McpToolResult> McpToolCall::result() const
{
    if (!m_result)
        return makeError(ErrorCode::Internal, QStringLiteral("the call has not finished"));
    return *m_result;
}

void McpToolCall::cancel(const QString &reason)
{
    if (isFinished() || !m_client)
        return;
    m_client->cancelCall(this, reason.isEmpty() ? QStringLiteral("cancelled by the user") : reason);
}

void McpToolCall::finish(Result<McpToolResult> result)
{
    if (isFinished())
        return;
    m_result = std::move(result);
    emit finished();
}

} // namespace Spool
