#include "tools/sandboxprobe.h"

#include "core/logging.h"
#include "tools/builtin/shellexectool.h"

#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>

#include <utility>

namespace Spool {

namespace {
const QString kPath = QStringLiteral("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
constexpr int kProbeTimeoutMs = 15000;
} // namespace

SandboxProbe::SandboxProbe(QString bwrapPath, QObject *parent)
    : QObject(parent), m_configuredPath(std::move(bwrapPath))
{
}

QString SandboxProbe::findBwrap(const QString &configured)
{
    if (configured.isEmpty())
        return QString();
    if (configured.contains(QLatin1Char('/'))) {
        const QFileInfo fi(configured);
        return fi.isFile() && fi.isExecutable() ? fi.absoluteFilePath() : QString();
    }
    return QStandardPaths::findExecutable(configured);
}

void SandboxProbe::whenKnown(QObject *context, std::function<void()> done)
{
    if (m_state == State::Usable || m_state == State::Unusable) {
        done();
        return;
    }
    m_waiting.append({QPointer<QObject>(context), std::move(done)});
    if (m_state == State::Unknown) {
        m_state = State::Probing;
        probe(true);
    }
}

void SandboxProbe::probe(bool withDisableUserns)
{
    m_bwrapPath = findBwrap(m_configuredPath);
    if (m_bwrapPath.isEmpty()) {
        settle(State::Unusable, QStringLiteral("bubblewrap (%1) is not installed; install the "
                                               "\"bubblewrap\" package")
                                        .arg(m_configuredPath));
        return;
    }
    ShellExecTool::SandboxSpec spec;
    spec.disableUserns = withDisableUserns;
    auto *process = new QProcess(this);
    process->setProcessChannelMode(QProcess::MergedChannels);
    process->setStandardInputFile(QProcess::nullDevice());
    QProcessEnvironment env;
    env.insert(QStringLiteral("PATH"), kPath);
    process->setProcessEnvironment(env);
    auto *deadline = new QTimer(process);
    deadline->setSingleShot(true);
    connect(deadline, &QTimer::timeout, process, [process] { process->kill(); });
    connect(process, &QProcess::finished, this,
            [this, process, withDisableUserns](int exitCode, QProcess::ExitStatus status) {
                const QString out = QString::fromLocal8Bit(process->readAll()).trimmed();
                process->deleteLater();
                if (status == QProcess::NormalExit && exitCode == 0) {
                    m_disableUserns = withDisableUserns;
                    settle(State::Usable, QString());
                } else if (withDisableUserns) {
                    probe(false); // an older bubblewrap: try without --disable-userns
                } else {
                    settle(State::Unusable,
                           QStringLiteral("bubblewrap cannot create its sandbox here (user "
                                          "namespaces may be disabled: see "
                                          "kernel.unprivileged_userns_clone or "
                                          "user.max_user_namespaces): %1")
                                   .arg(out.left(500)));
                }
            });
    connect(process, &QProcess::errorOccurred, this, [this, process](QProcess::ProcessError e) {
        if (e != QProcess::FailedToStart)
            return;
        process->deleteLater();
        settle(State::Unusable, QStringLiteral("bubblewrap could not be started: %1").arg(process->errorString()));
    });
    deadline->start(kProbeTimeoutMs);
    process->start(m_bwrapPath, ShellExecTool::bubblewrapArguments(spec, QStringLiteral("true")));
}

void SandboxProbe::settle(State state, const QString &problem)
{
    m_state = state;
    m_problem = problem;
    if (state == State::Unusable)
        qCWarning(lcTools) << "no sandbox:" << problem;
    const auto waiting = std::exchange(m_waiting, {});
    for (const auto &[context, done] : waiting) {
        if (context)
            done();
    }
}

} // namespace Spool
