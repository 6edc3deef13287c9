#include "tools/builtin/fslisttool.h"

#include "tools/concurrenttooljob.h"

#include <QFile>
#include <QJsonDocument>

#include <climits>

#include <unistd.h>

namespace Spool {

FsListTool::FsListTool(const ToolOptions &options) : m_options(options) {}

ToolSpec FsListTool::spec() const
{
    ToolSpec s;
    s.name = QStringLiteral("fs.list");
    s.description = QStringLiteral(
            "Lists files and folders in the workspace folder, recursively down to `depth` levels "
            "(default 2). Folders end in '/', files show their size in bytes, symbolic links "
            "their target. The inside of .git and similar folders is not listed.");
    s.parameters = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "path": {"type": "string", "maxLength": 4096,
                     "description": "Folder relative to the workspace folder. Default: the workspace itself."},
            "depth": {"type": "integer", "minimum": 1, "maximum": 16,
                      "description": "How many levels to go down. Default 2."},
            "max_entries": {"type": "integer", "minimum": 1, "maximum": 5000,
                            "description": "At most this many entries. Default 500."},
            "include_hidden": {"type": "boolean",
                               "description": "Include names starting with a dot. Default true."}
        },
        "additionalProperties": false
    })").object();
    s.capabilities = {QStringLiteral("fs.read")};
    s.risk = ToolRisk::Low;
    return s;
}

ToolJob *FsListTool::start(const ToolInvocation &invocation, QObject *parent)
{
    return startInWorkspace(m_options, invocation, &FsListTool::list, parent);
}

ToolResult FsListTool::list(const Workspace &workspace, const QJsonObject &arguments,
                            const ToolOptions::Files &limits, const std::atomic_bool *cancel)
{
    const QString path = arguments.value(QStringLiteral("path")).toString(QStringLiteral("."));
    const int depth = qBound(1, arguments.value(QStringLiteral("depth")).toInt(2), limits.listMaxDepth);
    const int maxEntries = qBound(1, arguments.value(QStringLiteral("max_entries")).toInt(500),
                                  limits.listMaxEntries);
    const bool hidden = arguments.value(QStringLiteral("include_hidden")).toBool(true);

    QStringList lines;
    bool full = false;
    const Status s = workspace.walk(
            path, depth,
            [&](const Workspace::Entry &e) {
                if (!hidden && e.name.startsWith(QLatin1Char('.')))
                    return Workspace::Visit::SkipChildren;
                if (lines.size() >= maxEntries) {
                    full = true;
                    return Workspace::Visit::Stop;
                }
                switch (e.type) {
                case Workspace::EntryType::Directory:
                    lines << e.path + QLatin1Char('/');
                    return Workspace::isVersionControlFolder(e.name) ? Workspace::Visit::SkipChildren
                                                          : Workspace::Visit::Continue;
                case Workspace::EntryType::File:
                    lines << QStringLiteral("%1  (%2 bytes)").arg(e.path).arg(e.size);
                    break;
                case Workspace::EntryType::Symlink: {
                    char target[PATH_MAX];
                    const ssize_t n = ::readlinkat(e.dirFd, e.rawName.constData(), target,
                                                   sizeof target);
                    lines << QStringLiteral("%1 -> %2  (symbolic link)")
                                     .arg(e.path,
                                          n > 0 ? QFile::decodeName(QByteArray(target, int(n)))
                                                : QStringLiteral("?"));
                    break;
                }
                case Workspace::EntryType::Other:
                    lines << QStringLiteral("%1  (special file)").arg(e.path);
                    break;
                }
                return Workspace::Visit::Continue;
            },
            cancel);
    if (!s)
        return ToolResult::failure(s.errorMessage());
    const QString shownPath = *Workspace::normalize(path);
    ToolResult r = ToolResult::success(QString());
    if (lines.isEmpty()) {
        r.output = QStringLiteral("[%1 is empty]").arg(shownPath);
        return r;
    }
    r.output = lines.join(QLatin1Char('\n'));
    if (full) {
        r.truncated = true;
        r.output += QStringLiteral("\n[stopped after %1 entries; list a subfolder or lower depth]")
                            .arg(maxEntries);
    }
    return r;
}

} // namespace Spool
