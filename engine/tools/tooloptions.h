#pragma once

#include "tools/workspace.h"

#include <QString>
#include <QStringList>

#include <functional>

namespace Spool {

struct ToolInvocation;

// How the built-in tools are set up: where workspaces live and every cap and allowance. Filled
// by the front end from the settings and handed to registerBuiltinTools(); the defaults are the
// safe ones (no network for commands, no unsandboxed commands, no private addresses).
struct ToolOptions
{
    // A session without a workspace folder of its own works in workspaceRoot/<session id>
    // (made on first use, mode 0700). Empty: such sessions cannot use file tools or commands.
    QString workspaceRoot;
    Workspace::Resolver resolver = Workspace::Resolver::Automatic;

    struct Files
    {
        qint64 readMaxBytes = 256 * 1024;          // text one fs.read returns
        qint64 readMaxScanBytes = 64 * 1024 * 1024; // how far fs.read goes to reach a line
        qint64 writeMaxBytes = 4 * 1024 * 1024;    // largest file fs.write creates or edits
        int listMaxEntries = 5000;
        int listMaxDepth = 16;
        qint64 searchMaxFileBytes = 4 * 1024 * 1024;   // larger files are skipped
        qint64 searchMaxTotalBytes = 256 * 1024 * 1024; // bytes read by one search
        int searchMaxResults = 1000;
        int searchTimeoutMs = 10000;
        int diffMaxOutputLines = 2000; // of the approval preview
    } files;

    struct Shell
    {
        // bubblewrap; a bare name is looked up in PATH.
        QString bwrapPath = QStringLiteral("bwrap");
        // With no usable sandbox, run commands without one instead of refusing. The front end
        // must then make every shell.exec call ask (see ShellExecTool::sandboxKind()).
        bool allowUnsandboxed = false;
        // A call that asks for network ("network": true in its arguments) gets it only when
        // this says so; default: never. `networkGrant`, when set, decides per call instead.
        bool allowNetwork = false;
        std::function<bool(const ToolInvocation &)> networkGrant;

        int defaultTimeoutMs = 120 * 1000;
        int maxTimeoutMs = 30 * 60 * 1000;
        qint64 outputCapBytes = 128 * 1024; // head and tail kept, the middle dropped

        // setrlimit() in the sandboxed process; 0 leaves a limit as it is.
        qint64 cpuSeconds = 600;
        qint64 addressSpaceBytes = qint64(8) * 1024 * 1024 * 1024;
        qint64 fileSizeBytes = qint64(1) * 1024 * 1024 * 1024;
        qint64 maxProcesses = 1024; // per user; the kernel does not apply it to root
        qint64 openFiles = 1024;

        // Host paths the sandbox also sees read-only at the same place (e.g. /opt, /nix).
        QStringList extraReadOnlyPaths;
    } shell;

    struct Http
    {
        // Loopback, private, link-local, CGNAT: refused unless allowPrivateAddresses, or the
        // address is in one of allowedNetworks ("192.168.1.0/24", "127.0.0.1/32").
        bool allowPrivateAddresses = false;
        QStringList allowedNetworks;
        qint64 maxBytes = 2 * 1024 * 1024; // body bytes kept; the download stops there
        int timeoutMs = 30 * 1000;         // whole fetch, redirects included
        int maxRedirects = 5;
        // Media types accepted ("text/*" matches any text type, "+json" / "+xml" suffixes).
        QStringList allowedContentTypes{
            QStringLiteral("text/*"),
            QStringLiteral("application/json"),
            QStringLiteral("application/*+json"),
            QStringLiteral("application/xml"),
            QStringLiteral("application/*+xml"),
            QStringLiteral("application/javascript"),
            QStringLiteral("application/ecmascript"),
            QStringLiteral("application/x-ndjson"),
            QStringLiteral("application/yaml"),
            QStringLiteral("application/x-yaml"),
            QStringLiteral("application/toml"),
        };
        QString userAgent = QStringLiteral("Spool/0.1 (http.fetch)");
    } http;
};

} // namespace Spool
