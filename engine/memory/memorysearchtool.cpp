#include "memory/memorysearchtool.h"

#include "memory/memoryservice.h"

#include <QJsonDocument>
#include <QTimer>

namespace Spool {

namespace {

class MemorySearchJob : public ToolJob
{
public:
    explicit MemorySearchJob(QObject *parent) : ToolJob(parent) {}
    void cancel() override { m_cancelled = true; }
    void answer(const ToolResult &result)
    {
        if (!m_cancelled)
            emit finished(result);
    }

private:
    bool m_cancelled = false;
};

} // namespace

MemorySearchTool::MemorySearchTool(MemoryService &memory) : m_memory(&memory) {}

ToolSpec MemorySearchTool::spec() const
{
    ToolSpec s;
    s.name = QStringLiteral("memory.search");
    s.description = QStringLiteral(
            "Searches Spool's memory (notes the user or you stored, and the user's imported "
            "documents) for passages relevant to a query. Returns the best matches as reference "
            "data with their ids and scores.");
    s.parameters = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "maxLength": 2000,
                      "description": "What to look for, in words."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 20,
                      "description": "How many passages at most (default 5)."}
        },
        "required": ["query"],
        "additionalProperties": false
    })").object();
    s.capabilities = {QStringLiteral("memory.read")};
    s.risk = ToolRisk::Low;
    return s;
}

ToolJob *MemorySearchTool::start(const ToolInvocation &invocation, QObject *parent)
{
    auto *job = new MemorySearchJob(parent);
    if (!m_memory) {
        QTimer::singleShot(0, job, [job] { job->answer(ToolResult::failure(QStringLiteral("Memory is not available."))); });
        return job;
    }
    MemoryQuery query;
    query.text = invocation.arguments.value(QStringLiteral("query")).toString();
    query.limit = invocation.arguments.value(QStringLiteral("limit")).toInt(5);
    query.sessionId = invocation.sessionId;
    query.agent = invocation.agent;
    m_memory->search(query, job, [job](const Result<MemorySearchResult> &result) {
        if (!result) {
            job->answer(ToolResult::failure(QStringLiteral("The memory search failed: ") + result.errorMessage()));
            return;
        }
        if (result->hits.isEmpty()) {
            job->answer(ToolResult::success(QStringLiteral("No memories match (%1 search%2).")
                                                    .arg(result->mode,
                                                         result->note.isEmpty() ? QString()
                                                                                : QStringLiteral("; ") + result->note)));
            return;
        }
        QString out = MemoryService::formatBlock(result->hits);
        out += QStringLiteral("(%1 search, %2 hit%3%4)")
                       .arg(result->mode)
                       .arg(result->hits.size())
                       .arg(result->hits.size() == 1 ? QString() : QStringLiteral("s"))
                       .arg(result->note.isEmpty() ? QString() : QStringLiteral("; ") + result->note);
        job->answer(ToolResult::success(out));
    });
    return job;
}

} // namespace Spool
