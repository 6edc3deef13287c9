#include "tools/builtin/fsreadtool.h"

#include "tools/concurrenttooljob.h"

#include <QJsonDocument>
#include <QStringDecoder>

#include <cerrno>
#include <cstring>

#include <unistd.h>

namespace Spool {

FsReadTool::FsReadTool(const ToolOptions &options) : m_options(options) {}

ToolSpec FsReadTool::spec() const
{
    ToolSpec s;
    s.name = QStringLiteral("fs.read");
    s.description = QStringLiteral(
            "Reads a text file in the workspace folder. `path` is relative to the workspace. "
            "Without offset/limit the first 2000 lines are returned; for longer files continue "
            "with `offset` (first line, 1-based) as the note at the end says. Binary files are "
            "not shown.");
    s.parameters = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "path": {"type": "string", "minLength": 1, "maxLength": 4096,
                     "description": "File path relative to the workspace folder, e.g. src/main.cpp."},
            "offset": {"type": "integer", "minimum": 1, "maximum": 100000000,
                       "description": "First line to return, 1-based. Default 1."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 100000,
                      "description": "Number of lines to return. Default 2000."}
        },
        "required": ["path"],
        "additionalProperties": false
    })").object();
    s.capabilities = {QStringLiteral("fs.read")};
    s.risk = ToolRisk::Low;
    return s;
}

ToolJob *FsReadTool::start(const ToolInvocation &invocation, QObject *parent)
{
    return startInWorkspace(m_options, invocation, &FsReadTool::read, parent);
}

ToolResult FsReadTool::read(const Workspace &workspace, const QJsonObject &arguments,
                            const ToolOptions::Files &limits, const std::atomic_bool *cancel)
{
    const QString path = arguments.value(QStringLiteral("path")).toString();
    const qint64 offset = qMax<qint64>(1, arguments.value(QStringLiteral("offset")).toInteger(1));
    const qint64 limit = qMax<qint64>(1, arguments.value(QStringLiteral("limit")).toInteger(2000));
    qint64 size = 0;
    auto fd = workspace.openForRead(path, &size);
    if (!fd)
        return ToolResult::failure(fd.errorMessage());
    const QString shownPath = *Workspace::normalize(path);

    // One pass: count lines, keep those in [offset, offset + limit) up to the byte cap, stop
    // at the scan cap. Memory stays at the cap whatever the file's size.
    QByteArray kept;
    qint64 line = 1;        // the line the next byte belongs to
    qint64 lastKept = 0;    // last line fully kept
    qint64 scanned = 0;
    bool capped = false;    // stopped by the byte cap
    bool scanStopped = false;
    bool sawNul = false;
    bool endsWithNewline = true;
    bool atLineStart = true;
    qsizetype lineStart = 0; // where the current line begins in `kept`
    char buf[64 * 1024];
    const qint64 endLine = offset + limit; // first line not wanted
    for (;;) {
        if (cancel && cancel->load())
            return ToolResult::failure(QStringLiteral("cancelled"));
        // Never past the scan cap, so it holds to the byte.
        const size_t want = size_t(qMin<qint64>(qint64(sizeof buf),
                                                qMax<qint64>(1, limits.readMaxScanBytes - scanned)));
        const ssize_t n = ::read(fd->get(), buf, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ToolResult::failure(QStringLiteral("%1 could not be read: %2")
                                               .arg(shownPath, QString::fromLocal8Bit(std::strerror(errno))));
        }
        if (n == 0)
            break;
        if (scanned < 8192 && std::memchr(buf, 0, size_t(qMin<qint64>(n, 8192 - scanned))))
            sawNul = true;
        if (sawNul)
            break;
        scanned += n;
        endsWithNewline = buf[n - 1] == '\n';
        const char *p = buf;
        const char *end = buf + n;
        while (p < end) {
            const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
            const char *stop = nl ? nl + 1 : end;
            if (line >= offset && line < endLine && !capped) {
                if (atLineStart)
                    lineStart = kept.size();
                if (kept.size() + (stop - p) > limits.readMaxBytes) {
                    if (lastKept >= offset)
                        kept.truncate(lineStart); // whole lines only
                    else // the very first line is longer than the cap: show its beginning
                        kept.append(p, qMax<qint64>(0, limits.readMaxBytes - kept.size()));
                    capped = true;
                } else {
                    kept.append(p, stop - p);
                    if (nl)
                        lastKept = line;
                }
            }
            atLineStart = nl != nullptr;
            if (nl)
                ++line;
            p = stop;
        }
        if (scanned >= limits.readMaxScanBytes && scanned < size) {
            scanStopped = true;
            break;
        }
    }
    if (sawNul)
        return ToolResult::failure(QStringLiteral("%1 is a binary file (%2 bytes); fs.read shows "
                                                  "text files only")
                                           .arg(shownPath)
                                           .arg(size));
    // A last line without a newline is complete too.
    const qint64 totalLines = (scanned == 0) ? 0 : (endsWithNewline ? line - 1 : line);
    if (!endsWithNewline && !scanStopped && line >= offset && line < endLine && !capped)
        lastKept = line;
    if (scanned == 0)
        return ToolResult::success(QStringLiteral("[%1 is empty]").arg(shownPath));
    if (offset > totalLines && !scanStopped)
        return ToolResult::failure(QStringLiteral("%1 has %2 lines; offset %3 is past the end")
                                           .arg(shownPath)
                                           .arg(totalLines)
                                           .arg(offset));
    if (scanStopped && lastKept < offset && kept.isEmpty())
        return ToolResult::failure(QStringLiteral("line %1 of %2 is beyond the first %3 bytes, "
                                                  "the most fs.read scans")
                                           .arg(offset)
                                           .arg(shownPath)
                                           .arg(limits.readMaxScanBytes));

    QStringDecoder decoder(QStringDecoder::Utf8);
    QString text = decoder.decode(kept);
    const bool invalidUtf8 = decoder.hasError();
    ToolResult result = ToolResult::success(text);
    QStringList notes;
    if (invalidUtf8)
        notes << QStringLiteral("the file is not valid UTF-8; invalid bytes are shown as U+FFFD");
    const bool partial = offset > 1 || capped || (lastKept < totalLines) || scanStopped;
    if (partial) {
        const QString total = scanStopped ? QStringLiteral("at least %1").arg(line - 1)
                                          : QString::number(totalLines);
        if (lastKept >= offset) {
            notes << QStringLiteral("lines %1-%2 of %3 shown").arg(offset).arg(lastKept).arg(total);
            if (lastKept < totalLines || scanStopped)
                notes << QStringLiteral("continue with offset=%1").arg(lastKept + 1);
        } else {
            notes << QStringLiteral("line %1 is longer than %2 bytes; only its beginning is shown")
                             .arg(offset)
                             .arg(limits.readMaxBytes);
        }
        if (capped)
            notes << QStringLiteral("stopped at the %1-byte cap").arg(limits.readMaxBytes);
        result.truncated = capped;
    }
    if (!notes.isEmpty()) {
        if (!result.output.isEmpty() && !result.output.endsWith(QLatin1Char('\n')))
            result.output += QLatin1Char('\n');
        result.output += QStringLiteral("[%1: %2]").arg(shownPath, notes.join(QStringLiteral("; ")));
    }
    return result;
}

} // namespace Spool
