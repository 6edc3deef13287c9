#include "tools/toolregistry.h"

#include "tools/argumentschema.h"

namespace Spool {

ToolRegistry::ToolRegistry() = default;
ToolRegistry::~ToolRegistry() = default;

Status ToolRegistry::add(std::unique_ptr<Tool> tool)
{
    ToolSpec spec = tool->spec();
    if (m_tools.count(spec.name))
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("a tool named %1 is already registered").arg(spec.name));
    auto schema = ArgumentSchema::compile(spec.parameters);
    if (!schema)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("tool %1: %2").arg(spec.name, schema.errorMessage()));
    m_tools[spec.name] = Entry{std::move(tool), spec, *schema};
    return {};
}

Status ToolRegistry::put(std::unique_ptr<Tool> tool)
{
    m_tools.erase(tool->spec().name);
    return add(std::move(tool));
}

bool ToolRegistry::remove(const QString &name)
{
    return m_tools.erase(name) > 0;
}

Tool *ToolRegistry::tool(const QString &name) const
{
    auto it = m_tools.find(name);
    return it == m_tools.end() ? nullptr : it->second.tool.get();
}

QList<ToolSpec> ToolRegistry::specs() const
{
    QList<ToolSpec> out;
    for (const auto &[name, entry] : m_tools)
        out.append(entry.spec);
    return out;
}

Status ToolRegistry::validateArguments(const QString &name, const QJsonObject &arguments) const
{
    auto it = m_tools.find(name);
    if (it == m_tools.end())
        return makeError(ErrorCode::NotFound, QStringLiteral("there is no tool named %1").arg(name));
    return it->second.schema->validate(arguments);
}

} // namespace Spool
