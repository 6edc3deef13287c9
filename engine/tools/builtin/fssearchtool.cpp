#include "tools/builtin/fssearchtool.h"

#include "tools/concurrenttooljob.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QRegularExpression>

#include <cstring>

namespace Spool {

namespace {

constexpr int kMaxLineChars = 300;

} // namespace

FsSearchTool::FsSearchTool(const ToolOptions &options) : m_options(options) {}

ToolSpec FsSearchTool::spec() const
{
    ToolSpec s;
    s.name = QStringLiteral("fs.search");
    s.description = QStringLiteral(
            "Searches the text files of the workspace folder for lines containing `pattern` "
            "(literal text, or a regular expression in PCRE syntax when `regex` is true). "
            "Returns \"path:line: text\" lines. `glob` limits the search to file names such as "
            "\"*.cpp\". Binary files, very large files and .git are skipped.");
    s.parameters = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "minLength": 1, "maxLength": 1000,
                        "description": "Text or regular expression to look for."},
            "regex": {"type": "boolean", "description": "Treat pattern as a regular expression. Default false."},
            "case_sensitive": {"type": "boolean", "description": "Default true."},
            "path": {"type": "string", "maxLength": 4096,
                     "description": "Folder (or file) to search, relative to the workspace. Default: all of it."},
            "glob": {"type": "string", "minLength": 1, "maxLength": 200,
                     "description": "Only files whose name matches this wildcard, e.g. *.cpp or test_*.py."},
            "max_results": {"type": "integer", "minimum": 1, "maximum": 1000,
                            "description": "Stop after this many matching lines. Default 200."}
        },
        "required": ["pattern"],
        "additionalProperties": false
    })").object();
    s.capabilities = {QStringLiteral("fs.read")};
    s.risk = ToolRisk::Low;
    return s;
}

ToolJob *FsSearchTool::start(const ToolInvocation &invocation, QObject *parent)
{
    return startInWorkspace(m_options, invocation, &FsSearchTool::search, parent);
}

ToolResult FsSearchTool::search(const Workspace &workspace, const QJsonObject &arguments,
                                const ToolOptions::Files &limits, const std::atomic_bool *cancel)
{
    const QString pattern = arguments.value(QStringLiteral("pattern")).toString();
    const bool isRegex = arguments.value(QStringLiteral("regex")).toBool(false);
    const bool caseSensitive = arguments.value(QStringLiteral("case_sensitive")).toBool(true);
    const QString path = arguments.value(QStringLiteral("path")).toString(QStringLiteral("."));
    const QString glob = arguments.value(QStringLiteral("glob")).toString();
    const int maxResults = qBound(1, arguments.value(QStringLiteral("max_results")).toInt(200),
                                  limits.searchMaxResults);
    if (pattern.isEmpty())
        return ToolResult::failure(QStringLiteral("the pattern is empty"));
    if (pattern.contains(QChar(0)))
        return ToolResult::failure(QStringLiteral("the pattern contains a NUL character"));

    QRegularExpression re;
    if (isRegex) {
        re = QRegularExpression(pattern, caseSensitive ? QRegularExpression::NoPatternOption
                                                       : QRegularExpression::CaseInsensitiveOption);
        if (!re.isValid())
            return ToolResult::failure(QStringLiteral("the regular expression is not valid at "
                                                      "offset %1: %2")
                                               .arg(re.patternErrorOffset())
                                               .arg(re.errorString()));
        re.optimize();
    }
    QRegularExpression globRe;
    if (!glob.isEmpty()) {
        globRe = QRegularExpression(QRegularExpression::wildcardToRegularExpression(glob));
        if (!globRe.isValid())
            return ToolResult::failure(QStringLiteral("the glob is not valid"));
    }
    const Qt::CaseSensitivity cs = caseSensitive ? Qt::CaseSensitive : Qt::CaseInsensitive;

    QStringList hits;
    int filesWithHits = 0;
    int filesSearched = 0;
    int skippedLarge = 0;
    int skippedBinary = 0;
    qint64 bytesRead = 0;
    QString stoppedBecause;
    QElapsedTimer clock;
    clock.start();

    auto searchFile = [&](const Workspace::Entry &e) {
        if (e.size > limits.searchMaxFileBytes) {
            ++skippedLarge;
            return;
        }
        auto data = Workspace::readEntry(e, limits.searchMaxFileBytes);
        if (!data)
            return;
        bytesRead += data->size();
        if (std::memchr(data->constData(), 0, size_t(qMin<qsizetype>(data->size(), 8192)))) {
            ++skippedBinary;
            return;
        }
        ++filesSearched;
        const QString text = QString::fromUtf8(*data);
        bool any = false;
        qsizetype start = 0;
        int lineNo = 0;
        while (start <= text.size()) {
            qsizetype nl = text.indexOf(QLatin1Char('\n'), start);
            if (nl < 0)
                nl = text.size();
            ++lineNo;
            const QStringView line = QStringView(text).mid(start, nl - start);
            const bool match = isRegex ? re.match(line).hasMatch() : line.contains(pattern, cs);
            if (match) {
                any = true;
                QString shown = line.left(kMaxLineChars).toString();
                if (line.size() > kMaxLineChars)
                    shown += QStringLiteral("...");
                hits << QStringLiteral("%1:%2: %3").arg(e.path).arg(lineNo).arg(shown);
                if (hits.size() >= maxResults)
                    break;
            }
            if (nl == text.size())
                break;
            start = nl + 1;
        }
        if (any)
            ++filesWithHits;
    };

    const Status s = workspace.walk(
            path, limits.listMaxDepth,
            [&](const Workspace::Entry &e) {
                if (e.type == Workspace::EntryType::Directory)
                    return Workspace::isVersionControlFolder(e.name) ? Workspace::Visit::SkipChildren
                                                          : Workspace::Visit::Continue;
                if (e.type != Workspace::EntryType::File)
                    return Workspace::Visit::Continue;
                if (!glob.isEmpty() && !globRe.match(e.name).hasMatch())
                    return Workspace::Visit::Continue;
                searchFile(e);
                if (hits.size() >= maxResults) {
                    stoppedBecause = QStringLiteral("stopped at max_results=%1; narrow the search")
                                             .arg(maxResults);
                    return Workspace::Visit::Stop;
                }
                if (bytesRead >= limits.searchMaxTotalBytes) {
                    stoppedBecause = QStringLiteral("stopped after reading %1 bytes; search a "
                                                    "subfolder")
                                             .arg(bytesRead);
                    return Workspace::Visit::Stop;
                }
                if (clock.elapsed() > limits.searchTimeoutMs) {
                    stoppedBecause = QStringLiteral("stopped after %1 ms; search a subfolder")
                                             .arg(clock.elapsed());
                    return Workspace::Visit::Stop;
                }
                return Workspace::Visit::Continue;
            },
            cancel);
    if (!s) {
        // A single file is a fine place to search too.
        if (!s.errorMessage().endsWith(QLatin1String("is a file, not a folder")))
            return ToolResult::failure(s.errorMessage());
        auto fd = workspace.openForRead(path);
        if (!fd)
            return ToolResult::failure(fd.errorMessage());
        const QString rel = *Workspace::normalize(path);
        const qsizetype slash = rel.lastIndexOf(QLatin1Char('/'));
        const QString parent = slash < 0 ? QStringLiteral(".") : rel.left(slash);
        const QString name = rel.mid(slash + 1);
        const Status again = workspace.walk(parent, 1, [&](const Workspace::Entry &e) {
            if (e.name != name)
                return Workspace::Visit::Continue;
            if (e.type == Workspace::EntryType::File)
                searchFile(e);
            return Workspace::Visit::Stop;
        }, cancel);
        if (!again)
            return ToolResult::failure(again.errorMessage());
        if (hits.size() >= maxResults)
            stoppedBecause = QStringLiteral("stopped at max_results=%1").arg(maxResults);
    }
    if (cancel && cancel->load())
        return ToolResult::failure(QStringLiteral("cancelled"));

    ToolResult r = ToolResult::success(hits.join(QLatin1Char('\n')));
    QStringList notes;
    notes << QStringLiteral("%1 matching lines in %2 files; %3 files searched")
                     .arg(hits.size())
                     .arg(filesWithHits)
                     .arg(filesSearched);
    if (skippedBinary)
        notes << QStringLiteral("%1 binary files skipped").arg(skippedBinary);
    if (skippedLarge)
        notes << QStringLiteral("%1 files over %2 bytes skipped").arg(skippedLarge).arg(limits.searchMaxFileBytes);
    if (!stoppedBecause.isEmpty()) {
        notes << stoppedBecause;
        r.truncated = true;
    }
    if (!r.output.isEmpty())
        r.output += QLatin1Char('\n');
    r.output += QStringLiteral("[%1]").arg(notes.join(QStringLiteral("; ")));
    return r;
}

} // namespace Spool
