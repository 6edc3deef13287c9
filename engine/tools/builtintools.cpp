#include "tools/builtintools.h"

#include "tools/builtin/fslisttool.h"
#include "tools/builtin/fsreadtool.h"
#include "tools/builtin/fssearchtool.h"
#include "tools/builtin/fswritetool.h"
#include "tools/builtin/httpfetchtool.h"
#include "tools/builtin/shellexectool.h"
#include "tools/toolregistry.h"

#include <QDir>
#include <QStringList>

#include <memory>
#include <vector>

namespace Spool {

Status registerBuiltinTools(ToolRegistry &registry, const ToolOptions &options)
{
    std::vector<std::unique_ptr<Tool>> tools;
    tools.push_back(std::make_unique<FsReadTool>(options));
    tools.push_back(std::make_unique<FsWriteTool>(options));
    tools.push_back(std::make_unique<FsListTool>(options));
    tools.push_back(std::make_unique<FsSearchTool>(options));
    tools.push_back(std::make_unique<ShellExecTool>(options));
    tools.push_back(std::make_unique<HttpFetchTool>(options));
    QStringList problems;
    for (auto &tool : tools) {
        if (Status s = registry.put(std::move(tool)); !s)
            problems << s.errorMessage();
    }
    if (!problems.isEmpty())
        return makeError(ErrorCode::Internal, problems.join(QStringLiteral("; ")));
    return {};
}

ToolOptions defaultToolOptions(const QString &dataDir)
{
    ToolOptions options;
    if (!dataDir.isEmpty())
        options.workspaceRoot = QDir(dataDir).filePath(QStringLiteral("workspaces"));
    return options;
}

} // namespace Spool
