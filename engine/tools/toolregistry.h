#pragma once

#include "core/result.h"
#include "tools/tool.h"

#include <QList>

#include <map>
#include <memory>

namespace Spool {

class ArgumentSchema;

// The tools this process offers, by name, each with its compiled argument schema.
class ToolRegistry
{
public:
    ToolRegistry();
    ~ToolRegistry();

    // Refuses a tool whose schema does not compile or whose name is taken.
    Status add(std::unique_ptr<Tool> tool);
    // Adds, or replaces the tool of the same name (settings changed). Calls in progress are not
    // affected: their jobs own copies of what they need.
    Status put(std::unique_ptr<Tool> tool);
    // Removes a tool (an MCP server went away). Calls in progress keep their jobs.
    bool remove(const QString &name);
    Tool *tool(const QString &name) const;
    QList<ToolSpec> specs() const;
    // Checks arguments against the tool's schema; the message is meant for the model.
    Status validateArguments(const QString &name, const QJsonObject &arguments) const;

private:
    struct Entry
    {
        std::unique_ptr<Tool> tool;
        ToolSpec spec;
        std::shared_ptr<const ArgumentSchema> schema;
    };
    std::map<QString, Entry> m_tools;
};

} // namespace Spool
