#include "spoolprocess.h"

#include <QDir>
#include <QJsonDocument>
#include <QProcess>
#include <QTest>

namespace Spool::Test {

QProcessEnvironment spoolEnvironment(const QString &dir, int deterministicDelayMs)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("SPOOL_DATA_DIR"), QDir(dir).filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("SPOOL_CONFIG_DIR"), QDir(dir).filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("SPOOL_DETERMINISTIC_DELAY_MS"), QString::number(deterministicDelayMs));
    env.remove(QStringLiteral("QT_LOGGING_RULES"));
    return env;
}

SpoolOutput runSpool(const QProcessEnvironment &env, const QStringList &args, const QByteArray &stdinData,
                     int timeoutMs)
{
    return runProgram(QStringLiteral(SPOOL_BINARY), env, args, stdinData, timeoutMs);
}

SpoolOutput runProgram(const QString &program, const QProcessEnvironment &env, const QStringList &args,
                       const QByteArray &stdinData, int timeoutMs)
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(program, args);
    if (!p.waitForStarted(5000))
        return {};
    if (!stdinData.isEmpty())
        p.write(stdinData);
    p.closeWriteChannel();
    if (!QTest::qWaitFor([&p] { return p.state() == QProcess::NotRunning; }, timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
        return {};
    }
    return SpoolOutput{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                       QString::fromUtf8(p.readAllStandardOutput()),
                       QString::fromUtf8(p.readAllStandardError())};
}

void stopAll(QList<QProcess *> &processes)
{
    for (QProcess *p : std::as_const(processes)) {
        if (p->state() != QProcess::NotRunning) {
            p->kill();
            p->waitForFinished(2000);
        }
        delete p;
    }
    processes.clear();
}

QJsonObject readJsonLine(QProcess *process, int timeoutMs)
{
    if (!QTest::qWaitFor([process] { return process->canReadLine() || process->state() == QProcess::NotRunning; },
                         timeoutMs)
        || !process->canReadLine())
        return {};
    return QJsonDocument::fromJson(process->readLine()).object();
}

bool waitForExit(QProcess *process, int timeoutMs)
{
    return QTest::qWaitFor([process] { return process->state() == QProcess::NotRunning; }, timeoutMs);
}

QProcess *startSpool(const QProcessEnvironment &env, const QStringList &args)
{
    auto *p = new QProcess;
    p->setProcessEnvironment(env);
    p->start(QStringLiteral(SPOOL_BINARY), args);
    p->waitForStarted(5000);
    p->closeWriteChannel();
    return p;
}

} // namespace Spool::Test
