#pragma once

#include "tools/tool.h"
#include "tools/tooloptions.h"

#include <memory>

namespace Spool {

class SandboxProbe;

// `shell.exec`: runs `/bin/sh -c COMMAND` in the session's workspace, inside bubblewrap:
// - a new mount namespace whose only writable place is the workspace, at /workspace (its
//   .git/hooks and .git/config bound read-only on top); /usr, /etc (minus shadow files, SSH
//   host keys, TLS private keys, sudoers) and the /bin, /lib links read-only; fresh /proc,
//   /dev, and tmpfs /tmp, /var/tmp, /run; no home folder at all;
// - `--unshare-all` (user, pid, ipc, uts, cgroup and network namespaces; network shared back
//   only for a call that asked for it and was granted it), `--disable-userns` where bubblewrap
//   has it, `--cap-drop ALL`, `--new-session`, `--die-with-parent`;
// - `--clearenv` with PATH, HOME=/tmp, TMPDIR, LANG=C.UTF-8, TERM=dumb, PAGER=cat and
//   SPOOL_SANDBOX=bwrap: nothing of Spool's own environment (API keys, tokens) gets in;
// - setrlimit() in the child before bwrap starts: CPU seconds, address space, file size,
//   process count (the kernel exempts root from that one), open files; no core dumps;
// - a timeout that kills bwrap's process group: bwrap's pid-1 then dies with it
//   (PR_SET_PDEATHSIG) and the kernel kills everything left in the pid namespace;
// - output (stdout and stderr merged) read as it comes into a CappedOutput: memory stays at
//   the cap however much the command prints, and the text says what was left out.
// With no bubblewrap, or one that cannot make namespaces here, a call is refused with the
// reason, unless Shell::allowUnsandboxed: then it runs in its own session and process group with
// the same limits, environment and timeout, and the result says sandbox "none".
class ShellExecTool : public Tool
{
public:
    explicit ShellExecTool(const ToolOptions &options);
    ~ShellExecTool() override;

    ToolSpec spec() const override;
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;
    // {"kind": "command", "command", "cwd", "network", "timeout_ms", "sandbox",
    //  "argv0", "is_compound", "runs_other_commands", "compound_reasons", ["warning"]}
    // The sandbox is known (probed once, asynchronously) before the preview says which it is.
    QJsonObject approvalPreview(const ToolInvocation &invocation) const override;
    void whenPreviewReady(QObject *context, std::function<void()> ready) override;

    // What the policy should see besides the raw arguments: the arguments plus the parsed
    // facts of ShellCommandFacts (argv0, is_compound, runs_other_commands, compound_reasons).
    static QJsonObject policyArguments(const QJsonObject &arguments);

    // "bwrap" once a probe found bubblewrap usable, "none" when it is not but unsandboxed
    // commands are allowed, "unavailable" when commands are refused, "unknown" before the first
    // call probed. The front end makes every call ask when this is "none".
    QString sandboxKind() const;
    // Why the sandbox is unusable, after a probe found it so.
    QString sandboxProblem() const;

    struct SandboxSpec
    {
        QString workspace;       // real host path, bound at /workspace
        QString cwd = QStringLiteral("."); // relative to the workspace
        bool network = false;
        bool disableUserns = true;
        QStringList extraReadOnlyPaths;  // bound at the same path, read-only
        QStringList extraReadWritePaths; // bound at the same path, writable (MCP servers)
        // Pass bubblewrap's own environment through instead of --clearenv and the commands'
        // environment: for a caller that sets bwrap's environment to exactly what the sandboxed
        // program may see (an MCP server's env, whose secrets must not be arguments).
        bool keepEnvironment = false;
        QString chdir;           // without a workspace: where the program starts (else /tmp)
    };
    // bubblewrap's arguments up to and including the command: bwrap ARGS /bin/sh -c COMMAND.
    static QStringList bubblewrapArguments(const SandboxSpec &spec, const QString &command);
    // The same for a program and its arguments: bwrap ARGS PROGRAM ARG...
    static QStringList bubblewrapArguments(const SandboxSpec &spec, const QStringList &argv);

    using SandboxProbe = Spool::SandboxProbe;

private:
    ToolOptions m_options;
    std::shared_ptr<SandboxProbe> m_probe;
};

} // namespace Spool
