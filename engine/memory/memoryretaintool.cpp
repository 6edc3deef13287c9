#include "memory/memoryretaintool.h"

#include "memory/memoryservice.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTimer>

namespace Spool {

namespace {

MemoryItem draftFor(const ToolInvocation &invocation)
{
    MemoryItem item;
    item.text = invocation.arguments.value(QStringLiteral("text")).toString();
    item.source = MemorySource::Agent;
    item.runId = invocation.runId;
    const QString scope = invocation.arguments.value(QStringLiteral("scope")).toString(QStringLiteral("global"));
    item.scope = parseMemoryScope(scope).value_or(MemoryScope::Global);
    if (item.scope == MemoryScope::Agent)
        item.scopeKey = invocation.agent;
    else if (item.scope == MemoryScope::Session)
        item.scopeKey = invocation.sessionId;
    const QJsonArray tags = invocation.arguments.value(QStringLiteral("tags")).toArray();
    for (const QJsonValue &t : tags)
        item.tags.append(t.toString());
    return item;
}

} // namespace

MemoryRetainTool::MemoryRetainTool(MemoryService &memory) : m_memory(&memory) {}

ToolSpec MemoryRetainTool::spec() const
{
    ToolSpec s;
    s.name = QStringLiteral("memory.retain");
    s.description = QStringLiteral(
            "Stores a short fact or note in Spool's memory so that later runs (of this session, "
            "of this agent, or all of them) can be given it when it is relevant. Store what the "
            "user asks you to remember, in one or two plain sentences.");
    s.parameters = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 4000,
                     "description": "What to remember."},
            "scope": {"type": "string", "enum": ["global", "agent", "session"],
                      "description": "Who may be given it: every run (global, the default), this agent's runs, or this session's."},
            "tags": {"type": "array", "maxItems": 10,
                     "items": {"type": "string", "minLength": 1, "maxLength": 64}}
        },
        "required": ["text"],
        "additionalProperties": false
    })").object();
    s.capabilities = {QStringLiteral("memory.write")};
    s.risk = ToolRisk::Low;
    return s;
}

QJsonObject MemoryRetainTool::approvalPreview(const ToolInvocation &invocation) const
{
    const MemoryItem item = draftFor(invocation);
    return QJsonObject{{QStringLiteral("kind"), QStringLiteral("memory")},
                       {QStringLiteral("text"), MemoryItem::normalizedText(item.text)},
                       {QStringLiteral("scope"), item.scopeLabel()},
                       {QStringLiteral("tags"), QJsonArray::fromStringList(item.tags)}};
}

ToolJob *MemoryRetainTool::start(const ToolInvocation &invocation, QObject *parent)
{
    if (!m_memory)
        return new ImmediateToolJob(ToolResult::failure(QStringLiteral("Memory is not available.")), parent);
    const MemoryItem draft = draftFor(invocation);
    auto stored = m_memory->add(draft);
    if (!stored) {
        if (stored.error().code == ErrorCode::Conflict)
            return new ImmediateToolJob(ToolResult::success(QStringLiteral("Already remembered: %1.")
                                                                    .arg(stored.errorMessage())),
                                        parent);
        return new ImmediateToolJob(ToolResult::failure(QStringLiteral("The memory was not stored: ")
                                                        + stored.errorMessage()),
                                    parent);
    }
    return new ImmediateToolJob(ToolResult::success(QStringLiteral("Stored memory %1 (%2).")
                                                            .arg(stored->id)
                                                            .arg(stored->scopeLabel())),
                                parent);
}

} // namespace Spool
