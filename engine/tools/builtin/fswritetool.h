#pragma once

#include "tools/tool.h"
#include "tools/tooloptions.h"

namespace Spool {

// `fs.write`: creates or changes a file in the workspace, in one of two forms:
// - `content`: the whole new file;
// - `edits`: a list of exact search/replace edits applied in order to the current file. Each
//   `old_text` must occur exactly once (or set `replace_all`), so an edit never lands somewhere
//   the model did not mean. Chosen over unified diffs because models reproduce text exactly far
//   more reliably than they count hunk lines, and a failed match is easy to explain.
// The file is replaced atomically; control folders (.git, ...) and links are refused (see
// Workspace). approvalPreview() gives the unified diff of what the call would change.
class FsWriteTool : public Tool
{
public:
    explicit FsWriteTool(const ToolOptions &options);
    ToolSpec spec() const override;
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;
    // {"kind": "diff", "path", "action": "create" | "modify" | "unchanged", "diff",
    //  "added", "removed", "diff_truncated", "old_bytes", "new_bytes"}, or
    // {"kind": "error", "error": why the call would fail}.
    QJsonObject approvalPreview(const ToolInvocation &invocation) const override;

    // The new content for `current` (nullopt: no such file yet), or why there is none.
    static Result<QByteArray> newContent(const std::optional<QByteArray> &current,
                                         const QJsonObject &arguments, const QString &path);

private:
    ToolOptions m_options;
};

} // namespace Spool
