#pragma once

#include "mcp/mcpcontentblock.h"

#include <QJsonObject>
#include <QList>
#include <QMetaType>

namespace Spool {

// What tools/call returned. isError is the tool's own failure (the model should see it);
// protocol and transport failures are an Error in the Result instead.
struct McpToolResult
{
    QList<McpContentBlock> content;
    QJsonObject structuredContent;
    bool hasStructuredContent = false;
    bool isError = false;
    QJsonObject raw;

    // The text items joined with newlines: what a transcript shows first.
    QString text() const;
    static McpToolResult fromJson(const QJsonObject &result);
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::McpToolResult)
