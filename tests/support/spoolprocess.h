#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

class QProcess;

namespace Spool::Test {

// What a `spool` process printed and how it ended; code -1 when it did not end normally.
struct SpoolOutput
{
    int code = -1;
    QString out;
    QString err;
};

// How long a `spool` process may take before a test calls it stuck. Generous on purpose: the
// suite shares two cores with builds and other tests, and the waits end as soon as the process
// does, so only a real hang pays the whole time.
constexpr int kProcessTimeoutMs = 60000;

// The environment of a `spool` process working in `dir`'s data/ and config/ folders, with
// the deterministic provider streaming without delay unless asked otherwise.
QProcessEnvironment spoolEnvironment(const QString &dir, int deterministicDelayMs = 0);

// Runs the real binary to its end. The calling thread's event loop keeps running meanwhile, so
// servers living on it (the fake provider server) go on answering.
SpoolOutput runSpool(const QProcessEnvironment &env, const QStringList &args,
                     const QByteArray &stdinData = {}, int timeoutMs = kProcessTimeoutMs);
// The same for any program: another copy of spool, or a tool the test checks with.
SpoolOutput runProgram(const QString &program, const QProcessEnvironment &env,
                       const QStringList &args, const QByteArray &stdinData = {},
                       int timeoutMs = kProcessTimeoutMs);

// Starts the binary and returns at once; stdin is closed. The caller owns the process.
QProcess *startSpool(const QProcessEnvironment &env, const QStringList &args);

// Kills the processes still running and deletes them all (a test's cleanup).
void stopAll(QList<QProcess *> &processes);

// Reads the process's stdout (event loop running) until a whole line arrives, and returns it
// parsed as a JSON object; empty on timeout or a line that is not one.
QJsonObject readJsonLine(QProcess *process, int timeoutMs);

// Waits (event loop running) until the process has ended, which may already be the case:
// QProcess::waitForFinished() says false for a process that ended while the loop ran.
bool waitForExit(QProcess *process, int timeoutMs = kProcessTimeoutMs);

} // namespace Spool::Test
