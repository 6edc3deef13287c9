#pragma once

#include "tools/tool.h"

#include <QPointer>

namespace Spool {

class McpServerRegistry;
struct McpToolInfo;
struct McpToolResult;

// One tool of an MCP server in Spool's registry, named mcp.<server>.<tool>. Its spec carries
// the server's input schema (the registry checks arguments against it), asks for approval by
// default, and names the server, the tool's own name and the protocol version for the policy
// and the tape; the server's annotations are shown, never trusted by themselves. A call goes
// to the server's current client through the McpServerRegistry: progress is relayed, cancel()
// sends notifications/cancelled, and the result becomes text for the model plus details for
// the tape (images, audio, resources, structured content).
class McpTool : public Tool
{
public:
    McpTool(ToolSpec spec, McpServerRegistry *registry, int timeoutMs, QJsonObject preview);

    ToolSpec spec() const override { return m_spec; }
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;
    QJsonObject approvalPreview(const ToolInvocation &invocation) const override;

    static QString spoolName(const QString &server, const QString &tool);
    // The spec of `info` as served by `server` (protocol `protocolVersion`).
    static ToolSpec specFor(const QString &server, const McpToolInfo &info, const QString &protocolVersion,
                            const QStringList &agents);
    // What the model reads, and what the tape keeps besides (ToolResult::details).
    static ToolResult toToolResult(const McpToolResult &result, const ToolSpec &spec);

    // Caps on what a result keeps on the tape: one binary item, and all of a call's together.
    static constexpr qsizetype kMaxItemBytes = 4 * 1024 * 1024;
    static constexpr qsizetype kMaxCallBytes = 8 * 1024 * 1024;

private:
    ToolSpec m_spec;
    QPointer<McpServerRegistry> m_registry;
    int m_timeoutMs;
    QJsonObject m_preview;
};

} // namespace Spool
