#pragma once

#include "mcp/mcptransport.h"

#include "core/result.h"

#include <QMap>
#include <QPointer>
#include <QStringList>

#include <functional>

class QProcess;
class QTimer;

namespace Spool {

struct McpStdioConfig
{
    QString command;
    QStringList args;
    QMap<QString, QString> env;  // added to the inherited environment
    QString workingDirectory;
    QStringList extraPath;       // the user's PATH setting, searched first
    qsizetype maxMessageBytes = 16 * 1024 * 1024;
    int stopGraceMs = 2000;      // after closing stdin, before SIGTERM; again before SIGKILL
    // false: the server sees only `env` (and PATH), nothing of Spool's own environment.
    bool inheritEnvironment = true;
    // Runs the server through another program (the sandbox): given the resolved program and
    // its arguments, the command line to start instead, program first.
    std::function<Result<QStringList>(const QString &program, const QStringList &args)> wrapper;
    // Keeps a killed server's process until it has been reaped, so that one still exiting when
    // its owner shuts down is freed with the owner. Without one the process frees itself once
    // reaped, which needs a running event loop.
    QPointer<QObject> reaper;
};

// A server started as a child process in its own process group, speaking newline-delimited
// JSON-RPC on stdin/stdout; its stderr is its log. Lines on stdout that are not JSON-RPC are
// logged and skipped. A line longer than maxMessageBytes is dropped as it streams in (only a
// few KiB of it are kept, to find the request it answers), so a runaway server cannot make
// Spool run out of memory. Ending the server ends its whole group: npx and the node it
// starts, a shell wrapper and what it runs.
class McpStdioTransport : public McpTransport
{
    Q_OBJECT
public:
    explicit McpStdioTransport(McpStdioConfig config, QObject *parent = nullptr);
    ~McpStdioTransport() override;

    void open() override;
    void send(const McpMessage &message) override;
    void close() override;
    void terminate() override;
    bool canTerminate() const override { return true; }
    QString describe() const override;

    // The process group id while the server runs, 0 otherwise (tests check it is gone).
    qint64 processGroup() const { return m_pgid; }

private:
    void readStdout();
    void readStderr();
    void consume(QByteArrayView chunk);
    void handleLine(QByteArray &line);
    void dropOversized();
    void stderrLine(const QString &line);
    void onFinished(int exitCode, int exitStatus);
    void signalGroup(int sig);

    McpStdioConfig m_config;
    QProcess *m_process = nullptr;
    QTimer *m_stopTimer = nullptr;
    qint64 m_pgid = 0;
    QByteArray m_line;
    bool m_skipping = false;
    QByteArray m_skipHead;
    QByteArray m_skipTail;
    qint64 m_skippedBytes = 0;
    QByteArray m_stderrLine;
    QStringList m_lastStderr;
    QString m_program;
    bool m_closing = false;
    bool m_terminated = false;
    bool m_done = false;
    int m_stopStage = 0;
};

} // namespace Spool
