#include "tools/builtin/shellexectool.h"

#include "core/logging.h"
#include "tools/cappedoutput.h"
#include "tools/sandboxprobe.h"
#include "tools/shellcommand.h"
#include "tools/workspace.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QProcess>
#include <QTimer>

#include <csignal>
#include <functional>
#include <utility>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace Spool {

namespace {

const QString kSandboxRoot = QStringLiteral("/workspace");
const QString kPath = QStringLiteral("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

// The environment a command sees: chosen here, never inherited.
QList<QPair<QString, QString>> commandEnvironment(const QString &home, const QString &sandbox)
{
    return {
        {QStringLiteral("PATH"), kPath},
        {QStringLiteral("HOME"), home},
        {QStringLiteral("TMPDIR"), QStringLiteral("/tmp")},
        {QStringLiteral("LANG"), QStringLiteral("C.UTF-8")},
        {QStringLiteral("TERM"), QStringLiteral("dumb")},
        {QStringLiteral("PAGER"), QStringLiteral("cat")},
        {QStringLiteral("GIT_PAGER"), QStringLiteral("cat")},
        {QStringLiteral("GIT_TERMINAL_PROMPT"), QStringLiteral("0")},
        {QStringLiteral("SPOOL_SANDBOX"), sandbox},
    };
}

// Limits applied in the child between fork and exec: plain values only, since the code that
// uses them must be async-signal-safe.
struct ChildLimits
{
    rlim_t cpu = 0;
    rlim_t addressSpace = 0;
    rlim_t fileSize = 0;
    rlim_t processes = 0;
    rlim_t openFiles = 0;
    bool dieWithParent = false;
};

// `hardExtra` leaves room between the soft and the hard limit, so that for CPU time the
// process gets SIGXCPU (reported as "CPU time limit") a second before SIGKILL.
void lowerLimit(int resource, rlim_t value, rlim_t hardExtra = 0)
{
    if (value == 0)
        return;
    struct rlimit current;
    if (::getrlimit(resource, &current) != 0)
        return;
    rlim_t hard = value + hardExtra;
    if (current.rlim_max != RLIM_INFINITY && current.rlim_max < hard)
        hard = current.rlim_max;
    if (value > hard)
        value = hard;
    const struct rlimit wanted{value, hard};
    (void)::setrlimit(resource, &wanted);
}

// Runs in the child after fork(), before exec(): async-signal-safe calls only.
void applyChildLimits(const ChildLimits &l)
{
    ::setsid(); // own session and process group: the timeout kills the group
    lowerLimit(RLIMIT_CPU, l.cpu, 1);
    lowerLimit(RLIMIT_AS, l.addressSpace);
    lowerLimit(RLIMIT_FSIZE, l.fileSize);
    lowerLimit(RLIMIT_NPROC, l.processes);
    lowerLimit(RLIMIT_NOFILE, l.openFiles);
    const struct rlimit noCore{0, 0};
    (void)::setrlimit(RLIMIT_CORE, &noCore);
    if (l.dieWithParent)
        (void)::prctl(PR_SET_PDEATHSIG, SIGKILL);
}

ChildLimits childLimits(const ToolOptions::Shell &o, bool dieWithParent)
{
    ChildLimits l;
    l.cpu = rlim_t(qMax<qint64>(0, o.cpuSeconds));
    l.addressSpace = rlim_t(qMax<qint64>(0, o.addressSpaceBytes));
    l.fileSize = rlim_t(qMax<qint64>(0, o.fileSizeBytes));
    l.processes = rlim_t(qMax<qint64>(0, o.maxProcesses));
    l.openFiles = rlim_t(qMax<qint64>(0, o.openFiles));
    l.dieWithParent = dieWithParent;
    return l;
}

bool isRealDirectory(const QString &path)
{
    struct stat st;
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool isRealFile(const QString &path)
{
    struct stat st;
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 && S_ISREG(st.st_mode);
}

bool networkGranted(const ToolOptions::Shell &o, const ToolInvocation &invocation)
{
    return o.networkGrant ? o.networkGrant(invocation) : o.allowNetwork;
}

struct Call
{
    QString command;
    QString cwd;         // normalized, relative to the workspace
    QString hostCwd;     // real host path of cwd
    QString workspace;   // real host path of the workspace
    bool network = false;
    int timeoutMs = 0;
};

// Checks the arguments against the workspace and the grants; the same checks serve the run
// and the approval preview.
Result<Call> prepareCall(const ToolOptions &options, const ToolInvocation &invocation)
{
    const QJsonObject &args = invocation.arguments;
    Call call;
    call.command = args.value(QStringLiteral("command")).toString();
    if (call.command.trimmed().isEmpty())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("the command is empty"));
    if (call.command.contains(QChar(0)))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the command contains a NUL character, which no shell "
                                        "can receive"));
    call.network = args.value(QStringLiteral("network")).toBool(false);
    if (call.network && !networkGranted(options.shell, invocation))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("this command asked for network access, which is not "
                                        "granted; run it without \"network\", or ask the user to "
                                        "allow network access for commands"));
    const qint64 requested = args.value(QStringLiteral("timeout_ms")).toInteger(options.shell.defaultTimeoutMs);
    call.timeoutMs = int(qBound(qint64(100), requested, qint64(options.shell.maxTimeoutMs)));

    auto workspace = Workspace::forCall(invocation.workspace, invocation.sessionId,
                                        options.workspaceRoot, options.resolver);
    if (!workspace)
        return workspace.error();
    auto rel = Workspace::normalize(args.value(QStringLiteral("cwd")).toString(QStringLiteral(".")));
    if (!rel)
        return rel.error();
    call.cwd = *rel;
    auto root = workspace->directory(QStringLiteral("."));
    if (!root)
        return root.error();
    call.workspace = *root;
    auto cwd = workspace->directory(call.cwd);
    if (!cwd)
        return cwd.error();
    call.hostCwd = *cwd;
    // In the sandbox the folder is reached by its real place under /workspace.
    call.cwd = call.hostCwd == call.workspace ? QStringLiteral(".")
                                              : call.hostCwd.mid(call.workspace.size() + 1);
    return call;
}

} // namespace

namespace {

class ShellExecJob : public ToolJob
{
    Q_OBJECT
public:
    ShellExecJob(const Call &call, const ToolOptions::Shell &options,
                 std::shared_ptr<ShellExecTool::SandboxProbe> probe, QObject *parent)
        : ToolJob(parent), m_call(call), m_options(options), m_probe(std::move(probe)),
          m_output(options.outputCapBytes)
    {
        m_clock.start();
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        connect(&m_timer, &QTimer::timeout, this, &ShellExecJob::onTimeout);
        QTimer::singleShot(0, this, &ShellExecJob::begin);
    }

    ~ShellExecJob() override
    {
        killGroup();
        if (m_process) {
            m_process->disconnect(this);
            m_process->kill();
            m_process->waitForFinished(2000); // after SIGKILL: the time to be reaped
        }
    }

    void cancel() override
    {
        m_cancelled = true;
        m_timer.stop();
        killGroup();
    }

private:
    void begin()
    {
        if (m_cancelled)
            return;
        m_probe->whenKnown(this, [this] {
            if (m_cancelled)
                return;
            if (m_probe->state() == ShellExecTool::SandboxProbe::State::Usable)
                runSandboxed();
            else
                runUnsandboxedOrRefuse();
        });
    }

    void runSandboxed()
    {
        ShellExecTool::SandboxSpec spec;
        spec.workspace = m_call.workspace;
        spec.cwd = m_call.cwd;
        spec.network = m_call.network;
        spec.disableUserns = m_probe->disableUserns();
        spec.extraReadOnlyPaths = m_options.extraReadOnlyPaths;
        QProcessEnvironment env;
        env.insert(QStringLiteral("PATH"), kPath);
        // bwrap's own --die-with-parent covers the sandbox; the limits apply to all of it.
        run(m_probe->bwrapPath(), ShellExecTool::bubblewrapArguments(spec, m_call.command), env,
            childLimits(m_options, false), QStringLiteral("bwrap"));
    }

    void runUnsandboxedOrRefuse()
    {
        if (!m_options.allowUnsandboxed) {
            finish(ToolResult::failure(
                    QStringLiteral("shell.exec is refused: commands run only in a sandbox, and "
                                   "none is available. %1. Unsandboxed commands are not allowed "
                                   "in the settings.")
                            .arg(m_probe->problem())));
            return;
        }
        QProcessEnvironment env;
        for (const auto &[name, value] : commandEnvironment(m_call.workspace, QStringLiteral("none")))
            env.insert(name, value);
        run(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), m_call.command}, env,
            childLimits(m_options, true), QStringLiteral("none"));
    }

    void run(const QString &program, const QStringList &args, const QProcessEnvironment &env,
             const ChildLimits &limits, const QString &sandbox)
    {
        m_sandbox = sandbox;
        m_process = new QProcess(this);
        m_process->setProcessChannelMode(QProcess::MergedChannels);
        m_process->setStandardInputFile(QProcess::nullDevice());
        m_process->setProcessEnvironment(env);
        m_process->setWorkingDirectory(m_call.hostCwd);
        m_process->setChildProcessModifier([limits] { applyChildLimits(limits); });
        connect(m_process, &QProcess::readyReadStandardOutput, this, &ShellExecJob::onOutput);
        connect(m_process, &QProcess::finished, this, &ShellExecJob::onFinished);
        connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
            if (e == QProcess::FailedToStart)
                finish(ToolResult::failure(QStringLiteral("the command could not be started: %1")
                                                   .arg(m_process->errorString())));
        });
        connect(m_process, &QProcess::started, this, [this] {
            m_pid = m_process->processId();
            if (m_timedOut || m_cancelled) // the deadline or a cancel came before the start
                killGroup();
        });
        m_timer.start(m_call.timeoutMs);
        m_process->start(program, args);
    }

    void onOutput()
    {
        // Read everything there is now; what is over the cap is counted and dropped at once.
        while (m_process && m_process->bytesAvailable() > 0)
            m_output.append(m_process->read(64 * 1024));
    }

    void onTimeout()
    {
        m_timedOut = true;
        killGroup();
    }

    void killGroup()
    {
        // setsid() in the child made its pid the group id. For bwrap, killing the group kills
        // bwrap; its pid-1 dies with it (PDEATHSIG) and the kernel then kills the rest of the
        // sandbox's pid namespace. Unsandboxed, the group is the command and its children.
        if (m_pid > 0)
            ::kill(-pid_t(m_pid), SIGKILL);
    }

    void onFinished(int exitCode, QProcess::ExitStatus status)
    {
        onOutput();
        m_timer.stop();
        // Whatever the command left running in its group (unsandboxed background jobs) goes too.
        killGroup();
        m_pid = 0;
        ToolResult r;
        r.sandbox = m_sandbox;
        r.durationMs = m_clock.elapsed();
        r.truncated = m_output.truncated();
        r.output = m_output.text();
        const bool crashed = status == QProcess::CrashExit;
        r.exitCode = crashed ? 128 + SIGKILL : exitCode;
        QStringList notes;
        if (m_timedOut) {
            notes << QStringLiteral("timed out after %1 ms: the command and every process it "
                                    "started were killed")
                             .arg(m_call.timeoutMs);
        } else if (r.exitCode != 0) {
            notes << QStringLiteral("exit code %1").arg(r.exitCode);
            if (r.exitCode > 128 && r.exitCode < 128 + 65)
                notes.last() += QStringLiteral(" (killed by signal %1%2)")
                                        .arg(r.exitCode - 128)
                                        .arg(r.exitCode - 128 == SIGXCPU ? QStringLiteral(": CPU time limit")
                                             : r.exitCode - 128 == SIGXFSZ ? QStringLiteral(": file size limit")
                                                                           : QString());
        }
        if (!notes.isEmpty()) {
            if (!r.output.isEmpty() && !r.output.endsWith(QLatin1Char('\n')))
                r.output += QLatin1Char('\n');
            r.output += QStringLiteral("[%1]").arg(notes.join(QStringLiteral("; ")));
        }
        r.ok = !m_timedOut && !crashed && exitCode == 0;
        finish(r);
    }

    void finish(ToolResult result)
    {
        if (m_done || m_cancelled)
            return;
        m_done = true;
        m_timer.stop();
        if (result.durationMs == 0)
            result.durationMs = m_clock.elapsed();
        if (result.sandbox.isEmpty())
            result.sandbox = QStringLiteral("none");
        // Through the event loop, as every job reports.
        QTimer::singleShot(0, this, [this, result] {
            if (!m_cancelled)
                emit finished(result);
        });
    }

    Call m_call;
    ToolOptions::Shell m_options;
    std::shared_ptr<ShellExecTool::SandboxProbe> m_probe;
    CappedOutput m_output;
    QPointer<QProcess> m_process;
    QTimer m_timer;
    QElapsedTimer m_clock;
    QString m_sandbox = QStringLiteral("none");
    qint64 m_pid = 0;
    bool m_timedOut = false;
    bool m_cancelled = false;
    bool m_done = false;
};

} // namespace

ShellExecTool::ShellExecTool(const ToolOptions &options)
    : m_options(options), m_probe(std::make_shared<SandboxProbe>(options.shell.bwrapPath))
{
}

ShellExecTool::~ShellExecTool() = default;

ToolSpec ShellExecTool::spec() const
{
    ToolSpec s;
    s.name = QStringLiteral("shell.exec");
    s.description = QStringLiteral(
            "Runs a shell command (/bin/sh -c) in the workspace folder, inside a sandbox: only "
            "the workspace (mounted at /workspace) is writable, there is no network unless "
            "`network` is true and the user granted it, and the environment is minimal. "
            "Standard output and error are returned together, capped; the command is killed "
            "with everything it started after `timeout_ms`. There is no standard input.");
    s.parameters = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "command": {"type": "string", "minLength": 1, "maxLength": 65536,
                        "description": "The command line, run by /bin/sh -c."},
            "cwd": {"type": "string", "maxLength": 4096,
                    "description": "Folder to run in, relative to the workspace. Default: the workspace."},
            "timeout_ms": {"type": "integer", "minimum": 100, "maximum": 86400000,
                           "description": "Kill the command after this many milliseconds. Default 120000."},
            "network": {"type": "boolean",
                        "description": "Ask for network access (needs the user's grant). Default false."}
        },
        "required": ["command"],
        "additionalProperties": false
    })").object();
    s.capabilities = {QStringLiteral("process"), QStringLiteral("fs.read"), QStringLiteral("fs.write")};
    s.risk = ToolRisk::High;
    s.requiresApproval = true;
    return s;
}

QJsonObject ShellExecTool::policyArguments(const QJsonObject &arguments)
{
    QJsonObject out = arguments;
    const QJsonObject facts =
            ShellCommandFacts::analyze(arguments.value(QStringLiteral("command")).toString()).toJson();
    for (auto it = facts.begin(); it != facts.end(); ++it)
        out.insert(it.key(), it.value());
    return out;
}

QString ShellExecTool::sandboxKind() const
{
    switch (m_probe->state()) {
    case SandboxProbe::State::Usable: return QStringLiteral("bwrap");
    case SandboxProbe::State::Unusable:
        return m_options.shell.allowUnsandboxed ? QStringLiteral("none") : QStringLiteral("unavailable");
    case SandboxProbe::State::Unknown:
    case SandboxProbe::State::Probing: break;
    }
    return QStringLiteral("unknown");
}

QString ShellExecTool::sandboxProblem() const
{
    return m_probe->problem();
}

void ShellExecTool::whenPreviewReady(QObject *context, std::function<void()> ready)
{
    m_probe->whenKnown(context, std::move(ready));
}

QStringList ShellExecTool::bubblewrapArguments(const SandboxSpec &spec, const QString &command)
{
    return bubblewrapArguments(spec, QStringList{QStringLiteral("/bin/sh"), QStringLiteral("-c"), command});
}

QStringList ShellExecTool::bubblewrapArguments(const SandboxSpec &spec, const QStringList &argv)
{
    QStringList a;
    a << QStringLiteral("--unshare-all");
    if (spec.network)
        a << QStringLiteral("--share-net");
    // Explicit, so that root gets a user namespace too and every capability is dropped in it.
    a << QStringLiteral("--unshare-user");
    if (spec.disableUserns)
        a << QStringLiteral("--disable-userns");
    a << QStringLiteral("--die-with-parent") << QStringLiteral("--new-session")
      << QStringLiteral("--cap-drop") << QStringLiteral("ALL")
      << QStringLiteral("--hostname") << QStringLiteral("spool-sandbox");

    if (!spec.keepEnvironment) {
        a << QStringLiteral("--clearenv");
        const QString home = QStringLiteral("/tmp");
        for (const auto &[name, value] : commandEnvironment(home, QStringLiteral("bwrap")))
            a << QStringLiteral("--setenv") << name << value;
    }

    a << QStringLiteral("--ro-bind") << QStringLiteral("/usr") << QStringLiteral("/usr");
    // Merged-/usr systems have these as links into /usr; older ones as folders.
    for (const QString &top : {QStringLiteral("/bin"), QStringLiteral("/sbin"), QStringLiteral("/lib"),
                               QStringLiteral("/lib32"), QStringLiteral("/lib64"),
                               QStringLiteral("/libx32")}) {
        const QFileInfo fi(top);
        if (fi.isSymLink()) {
            const QByteArray target = [&] {
                char buf[4096];
                const ssize_t n = ::readlink(QFile::encodeName(top).constData(), buf, sizeof buf);
                return n > 0 ? QByteArray(buf, int(n)) : QByteArray();
            }();
            if (!target.isEmpty())
                a << QStringLiteral("--symlink") << QFile::decodeName(target) << top;
        } else if (fi.isDir()) {
            a << QStringLiteral("--ro-bind") << top << top;
        }
    }
    a << QStringLiteral("--ro-bind") << QStringLiteral("/etc") << QStringLiteral("/etc");
    // Secrets that live in /etc stay out, in case Spool runs with the rights to read them.
    for (const QString &file : {QStringLiteral("/etc/shadow"), QStringLiteral("/etc/shadow-"),
                                QStringLiteral("/etc/gshadow"), QStringLiteral("/etc/gshadow-"),
                                QStringLiteral("/etc/sudoers")}) {
        if (isRealFile(file))
            a << QStringLiteral("--ro-bind") << QStringLiteral("/dev/null") << file;
    }
    for (const QString &dir : {QStringLiteral("/etc/ssh"), QStringLiteral("/etc/ssl/private"),
                               QStringLiteral("/etc/sudoers.d"),
                               QStringLiteral("/etc/NetworkManager/system-connections"),
                               QStringLiteral("/etc/wpa_supplicant")}) {
        if (isRealDirectory(dir))
            a << QStringLiteral("--tmpfs") << dir;
    }
    a << QStringLiteral("--proc") << QStringLiteral("/proc")
      << QStringLiteral("--dev") << QStringLiteral("/dev")
      << QStringLiteral("--tmpfs") << QStringLiteral("/tmp")
      << QStringLiteral("--tmpfs") << QStringLiteral("/var/tmp")
      << QStringLiteral("--tmpfs") << QStringLiteral("/run");
    // After the fresh /tmp and /run, so that a path below them is not hidden again.
    for (const QString &extra : spec.extraReadOnlyPaths)
        a << QStringLiteral("--ro-bind-try") << extra << extra;
    for (const QString &extra : spec.extraReadWritePaths)
        a << QStringLiteral("--bind-try") << extra << extra;
    if (spec.network) // /etc/resolv.conf often points there
        a << QStringLiteral("--ro-bind-try") << QStringLiteral("/run/systemd/resolve")
          << QStringLiteral("/run/systemd/resolve");

    if (!spec.workspace.isEmpty()) {
        a << QStringLiteral("--bind") << spec.workspace << kSandboxRoot;
        // The repository's hooks and config run code on the host when the user next runs git:
        // read-only inside. Bound only when they are what they seem, never through a link.
        const QString git = spec.workspace + QStringLiteral("/.git");
        if (isRealDirectory(git)) {
            if (isRealDirectory(git + QStringLiteral("/hooks")))
                a << QStringLiteral("--ro-bind") << git + QStringLiteral("/hooks")
                  << kSandboxRoot + QStringLiteral("/.git/hooks");
            if (isRealFile(git + QStringLiteral("/config")))
                a << QStringLiteral("--ro-bind") << git + QStringLiteral("/config")
                  << kSandboxRoot + QStringLiteral("/.git/config");
        }
        a << QStringLiteral("--chdir")
          << (spec.cwd == QLatin1String(".") ? kSandboxRoot
                                             : kSandboxRoot + QLatin1Char('/') + spec.cwd);
    } else {
        a << QStringLiteral("--chdir") << (spec.chdir.isEmpty() ? QStringLiteral("/tmp") : spec.chdir);
    }
    a << QStringLiteral("--") << argv;
    return a;
}

ToolJob *ShellExecTool::start(const ToolInvocation &invocation, QObject *parent)
{
    auto call = prepareCall(m_options, invocation);
    if (!call)
        return new ImmediateToolJob(ToolResult::failure(call.errorMessage()), parent);
    return new ShellExecJob(*call, m_options.shell, m_probe, parent);
}

QJsonObject ShellExecTool::approvalPreview(const ToolInvocation &invocation) const
{
    const QString command = invocation.arguments.value(QStringLiteral("command")).toString();
    QJsonObject preview = ShellCommandFacts::analyze(command).toJson();
    preview.insert(QStringLiteral("kind"), QStringLiteral("command"));
    preview.insert(QStringLiteral("command"), command);
    auto call = prepareCall(m_options, invocation);
    if (!call) {
        preview.insert(QStringLiteral("kind"), QStringLiteral("error"));
        preview.insert(QStringLiteral("error"), call.errorMessage());
        return preview;
    }
    preview.insert(QStringLiteral("cwd"), call->cwd);
    preview.insert(QStringLiteral("network"), call->network);
    preview.insert(QStringLiteral("timeout_ms"), call->timeoutMs);
    const QString sandbox = sandboxKind();
    preview.insert(QStringLiteral("sandbox"), sandbox);
    if (sandbox == QLatin1String("none"))
        preview.insert(QStringLiteral("warning"),
                       QStringLiteral("No sandbox is available: this command would run with "
                                      "your full rights. %1")
                               .arg(m_probe->problem()));
    else if (sandbox == QLatin1String("unavailable"))
        preview.insert(QStringLiteral("warning"),
                       QStringLiteral("No sandbox is available, so this command will be refused. %1")
                               .arg(m_probe->problem()));
    return preview;
}

} // namespace Spool

#include "shellexectool.moc"
