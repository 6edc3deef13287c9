#pragma once

#include "tools/toolspec.h"

#include <QJsonObject>
#include <QObject>
#include <QString>

#include <functional>

namespace Spool {

struct ToolInvocation
{
    QString callId;
    QString runId;
    QString sessionId;
    QString agent;
    QString workspace;
    QJsonObject arguments; // already validated against the schema
};

struct ToolResult
{
    bool ok = false;
    QString output;
    bool truncated = false;
    int exitCode = -1; // -1 when the tool is not a process
    qint64 durationMs = 0;
    QString sandbox = QStringLiteral("none"); // "none" for in-process tools, "bwrap", ...
    // Facts the tape keeps beside the output (MCP tools: the server, the protocol version,
    // images and resources, structured content); merged into the tool.output event.
    QJsonObject details;

    static ToolResult success(const QString &output);
    static ToolResult failure(const QString &message);

    // The output as the model sees it: at most `cap` characters, its head and its tail, with a
    // note of what was left out.
    // Used for the live run and again when later runs rebuild their context from the tape.
    static QString forModel(const QString &output, int cap);
};

// One execution of a tool. Emits finished() exactly once, unless cancel() came first.
class ToolJob : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    virtual void cancel() = 0;

signals:
    void finished(const Spool::ToolResult &result);
    // How far the tool has come, when it says (MCP progress notifications); `total` is
    // negative when unknown. Shown live, not recorded on the tape.
    void progress(double progress, double total, const QString &message);
};

class Tool
{
public:
    virtual ~Tool() = default;
    virtual ToolSpec spec() const = 0;
    // Starts the tool on the engine thread; the job is parented to `parent`.
    virtual ToolJob *start(const ToolInvocation &invocation, QObject *parent) = 0;
    // What the call would do, for the approval dialog, computed without carrying it out: for a
    // file write a unified diff of the current and the proposed content. Empty when the tool has
    // nothing better to show than its arguments. Everything is checked again at execution, so a
    // preview that turns stale between approval and execution cannot widen what the call does.
    virtual QJsonObject approvalPreview(const ToolInvocation &invocation) const
    {
        Q_UNUSED(invocation);
        return {};
    }
    // Calls `ready` once approvalPreview() can answer without waiting on anything (shell.exec
    // first learns whether its sandbox works), unless `context` is gone by then; at once by
    // default. The engine thread never blocks on a preview.
    virtual void whenPreviewReady(QObject *context, std::function<void()> ready)
    {
        Q_UNUSED(context);
        ready();
    }
};

// A job for tools that compute their result at once: it still reports through the event loop,
// so callers treat every tool alike.
class ImmediateToolJob : public ToolJob
{
    Q_OBJECT
public:
    ImmediateToolJob(const ToolResult &result, QObject *parent);
    void cancel() override;

private:
    bool m_cancelled = false;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::ToolResult)
