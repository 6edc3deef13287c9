#include "tools/builtin/fswritetool.h"

#include "tools/textdiff.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringDecoder>

namespace Spool {

namespace {

Error invalid(const QString &message)
{
    return makeError(ErrorCode::InvalidArgument, message);
}

Result<QString> asText(const QByteArray &bytes, const QString &path)
{
    if (bytes.contains('\0'))
        return invalid(QStringLiteral("%1 is a binary file; edits apply to text files only").arg(path));
    QStringDecoder decoder(QStringDecoder::Utf8);
    QString text = decoder.decode(bytes);
    if (decoder.hasError())
        return invalid(QStringLiteral("%1 is not valid UTF-8; edits apply to UTF-8 text only, "
                                      "write the whole file with `content` instead")
                               .arg(path));
    return text;
}

QString excerpt(const QString &text)
{
    QString s = text.left(80);
    s.replace(QLatin1Char('\n'), QStringLiteral("\\n"));
    return QLatin1Char('"') + s + (text.size() > 80 ? QStringLiteral("...\"") : QStringLiteral("\""));
}

} // namespace

FsWriteTool::FsWriteTool(const ToolOptions &options) : m_options(options) {}

ToolSpec FsWriteTool::spec() const
{
    ToolSpec s;
    s.name = QStringLiteral("fs.write");
    s.description = QStringLiteral(
            "Creates or changes a file in the workspace folder. Give exactly one of: `content`, "
            "the whole new file; or `edits`, exact search/replace edits applied in order, where "
            "each `old_text` is copied exactly from the current file (whitespace included) and "
            "must occur once, unless `replace_all` is true. Missing folders are created unless "
            "`create_directories` is false. Version-control and editor control folders (.git, "
            ".vscode, ...) cannot be written.");
    s.parameters = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "path": {"type": "string", "minLength": 1, "maxLength": 4096,
                     "description": "File path relative to the workspace folder."},
            "content": {"type": "string", "maxLength": 4194304,
                        "description": "The whole new content of the file."},
            "edits": {
                "type": "array", "minItems": 1, "maxItems": 100,
                "description": "Search/replace edits, applied in order.",
                "items": {
                    "type": "object",
                    "properties": {
                        "old_text": {"type": "string", "minLength": 1, "maxLength": 1048576,
                                     "description": "Text to find, exactly as in the file."},
                        "new_text": {"type": "string", "maxLength": 4194304,
                                     "description": "Text that replaces it."},
                        "replace_all": {"type": "boolean",
                                        "description": "Replace every occurrence. Default false."}
                    },
                    "required": ["old_text", "new_text"],
                    "additionalProperties": false
                }
            },
            "create_directories": {"type": "boolean",
                                   "description": "Create missing folders. Default true."}
        },
        "required": ["path"],
        "additionalProperties": false
    })").object();
    s.capabilities = {QStringLiteral("fs.write")};
    s.risk = ToolRisk::Medium;
    s.requiresApproval = true;
    return s;
}

Result<QByteArray> FsWriteTool::newContent(const std::optional<QByteArray> &current,
                                           const QJsonObject &arguments, const QString &path)
{
    const bool hasContent = arguments.contains(QStringLiteral("content"));
    const bool hasEdits = arguments.contains(QStringLiteral("edits"));
    if (hasContent == hasEdits)
        return invalid(QStringLiteral("give either `content` (the whole new file) or `edits`, "
                                      "not both and not neither"));
    if (hasContent)
        return arguments.value(QStringLiteral("content")).toString().toUtf8();
    if (!current)
        return invalid(QStringLiteral("%1 does not exist, so there is nothing to edit; create it "
                                      "with `content`")
                               .arg(path));
    auto text = asText(*current, path);
    if (!text)
        return text.error();
    QString result = *text;
    const QJsonArray edits = arguments.value(QStringLiteral("edits")).toArray();
    for (qsizetype i = 0; i < edits.size(); ++i) {
        const QJsonObject edit = edits.at(i).toObject();
        const QString oldText = edit.value(QStringLiteral("old_text")).toString();
        const QString newText = edit.value(QStringLiteral("new_text")).toString();
        const bool all = edit.value(QStringLiteral("replace_all")).toBool(false);
        if (oldText.isEmpty())
            return invalid(QStringLiteral("edit %1: old_text is empty").arg(i + 1));
        const qsizetype count = result.count(oldText);
        if (count == 0)
            return invalid(QStringLiteral("edit %1: old_text %2 was not found in %3%4; read the "
                                          "file again and copy the text exactly, whitespace "
                                          "included")
                                   .arg(i + 1)
                                   .arg(excerpt(oldText), path,
                                        i > 0 ? QStringLiteral(" (after the earlier edits)")
                                              : QString()));
        if (count > 1 && !all)
            return invalid(QStringLiteral("edit %1: old_text %2 occurs %3 times in %4; include "
                                          "more of the surrounding text to make it unique, or "
                                          "set replace_all")
                                   .arg(i + 1)
                                   .arg(excerpt(oldText))
                                   .arg(count)
                                   .arg(path));
        result.replace(oldText, newText);
    }
    return result.toUtf8();
}

ToolJob *FsWriteTool::start(const ToolInvocation &invocation, QObject *parent)
{
    auto workspace = Workspace::forCall(invocation.workspace, invocation.sessionId,
                                        m_options.workspaceRoot, m_options.resolver);
    if (!workspace)
        return new ImmediateToolJob(ToolResult::failure(workspace.errorMessage()), parent);
    const QJsonObject arguments = invocation.arguments;
    const QString path = arguments.value(QStringLiteral("path")).toString();
    const bool createDirs = arguments.value(QStringLiteral("create_directories")).toBool(true);
    bool existed = false;
    qint64 oldSize = 0;
    qint64 newSize = 0;
    int added = 0;
    int removed = 0;
    bool unchanged = false;
    const Status s = workspace->write(
            path,
            [&](const Workspace::WriteTarget &target) -> Result<QByteArray> {
                auto content = newContent(target.current, arguments, target.path);
                if (!content)
                    return content;
                existed = target.current.has_value();
                oldSize = existed ? target.current->size() : 0;
                newSize = content->size();
                unchanged = existed && *target.current == *content;
                // Counts for the model, from the same diff the user saw.
                const auto diff = TextDiff::unified(
                        existed ? QString::fromUtf8(*target.current) : QString(),
                        QString::fromUtf8(*content), QString(), QString(),
                        TextDiff::Limits{2000, 0, 0});
                added = diff.added;
                removed = diff.removed;
                return content;
            },
            m_options.files.writeMaxBytes, createDirs);
    if (!s)
        return new ImmediateToolJob(ToolResult::failure(s.errorMessage()), parent);
    const QString shownPath = *Workspace::normalize(path);
    QString message;
    if (!existed)
        message = QStringLiteral("Created %1 (%2 bytes, %3 lines).").arg(shownPath).arg(newSize).arg(added);
    else if (unchanged)
        message = QStringLiteral("%1 already had this content; nothing changed.").arg(shownPath);
    else
        message = QStringLiteral("Wrote %1 (%2 -> %3 bytes, +%4 -%5 lines).")
                          .arg(shownPath)
                          .arg(oldSize)
                          .arg(newSize)
                          .arg(added)
                          .arg(removed);
    return new ImmediateToolJob(ToolResult::success(message), parent);
}

QJsonObject FsWriteTool::approvalPreview(const ToolInvocation &invocation) const
{
    auto fail = [](const QString &why) {
        return QJsonObject{{QStringLiteral("kind"), QStringLiteral("error")},
                           {QStringLiteral("error"), why}};
    };
    auto workspace = Workspace::forCall(invocation.workspace, invocation.sessionId,
                                        m_options.workspaceRoot, m_options.resolver);
    if (!workspace)
        return fail(workspace.errorMessage());
    const QString path = invocation.arguments.value(QStringLiteral("path")).toString();
    auto target = workspace->inspectWrite(path, m_options.files.writeMaxBytes);
    if (!target)
        return fail(target.errorMessage());
    auto content = newContent(target->current, invocation.arguments, target->path);
    if (!content)
        return fail(content.errorMessage());
    if (content->size() > m_options.files.writeMaxBytes)
        return fail(QStringLiteral("%1 would be %2 bytes; the limit is %3 bytes")
                            .arg(target->path)
                            .arg(content->size())
                            .arg(m_options.files.writeMaxBytes));
    const bool exists = target->current.has_value();
    const QString oldText = exists ? QString::fromUtf8(*target->current) : QString();
    const QString newText = QString::fromUtf8(*content);
    TextDiff::Limits limits;
    limits.maxOutputLines = m_options.files.diffMaxOutputLines;
    const auto diff = TextDiff::unified(oldText, newText,
                                        exists ? QStringLiteral("a/") + target->path
                                               : QStringLiteral("/dev/null"),
                                        QStringLiteral("b/") + target->path, limits);
    QString action = QStringLiteral("create");
    if (exists)
        action = (*target->current == *content) ? QStringLiteral("unchanged")
                                                : QStringLiteral("modify");
    return QJsonObject{
        {QStringLiteral("kind"), QStringLiteral("diff")},
        {QStringLiteral("path"), target->path},
        {QStringLiteral("action"), action},
        {QStringLiteral("diff"), diff.text},
        {QStringLiteral("added"), diff.added},
        {QStringLiteral("removed"), diff.removed},
        {QStringLiteral("diff_truncated"), diff.truncated},
        {QStringLiteral("old_bytes"), exists ? qint64(target->current->size()) : qint64(0)},
        {QStringLiteral("new_bytes"), qint64(content->size())},
    };
}

} // namespace Spool
