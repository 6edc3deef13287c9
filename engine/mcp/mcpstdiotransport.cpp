#include "mcp/mcpstdiotransport.h"

#include "core/logging.h"
#include "mcp/mcpcommandresolver.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTimer>

#include <signal.h>
#include <unistd.h>

namespace Spool {

namespace {
constexpr qsizetype keepForId = 4096;  // head and tail of a dropped message, to find its id
constexpr qsizetype maxStderrLine = 64 * 1024;
constexpr int lastStderrLines = 12;

QJsonValue findId(const QByteArray &head, const QByteArray &tail)
{
    // A response's id is a top-level member, unescaped; string contents have escaped quotes.
    static const QRegularExpression idPattern(
        QStringLiteral("\"id\"\\s*:\\s*(-?[0-9]+|\"[^\"\\\\]{0,200}\")"));
    auto search = [](const QByteArray &bytes, bool last) -> QJsonValue {
        const QString text = QString::fromUtf8(bytes);
        QRegularExpressionMatchIterator it = idPattern.globalMatch(text);
        QString found;
        while (it.hasNext()) {
            found = it.next().captured(1);
            if (!last)
                break;
        }
        if (found.isEmpty())
            return QJsonValue(QJsonValue::Undefined);
        if (found.startsWith(QLatin1Char('"')))
            return found.mid(1, found.size() - 2);
        return found.toDouble();
    };
    QJsonValue id = search(tail, true);
    if (id.isUndefined())
        id = search(head, false);
    return id;
}
} // namespace

McpStdioTransport::McpStdioTransport(McpStdioConfig config, QObject *parent)
    : McpTransport(parent), m_config(std::move(config))
{
}

McpStdioTransport::~McpStdioTransport()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        // Killed, and reaped once it has exited rather than waited for here.
        m_process->disconnect(this);
        signalGroup(SIGKILL);
        m_process->setParent(m_config.reaper.data());
        connect(m_process, &QProcess::finished, m_process, &QObject::deleteLater);
    }
}

QString McpStdioTransport::describe() const
{
    QStringList words{m_config.command};
    words += m_config.args;
    return QStringLiteral("stdio: ") + words.join(QLatin1Char(' '));
}

void McpStdioTransport::open()
{
    const McpCommandResolver resolver(m_config.extraPath);
    const auto resolved = resolver.resolve(m_config.command);
    if (!resolved) {
        m_done = true;
        const Error error = resolved.error();
        QTimer::singleShot(0, this, [this, error] { emit closed(error); });
        return;
    }
    m_program = resolved->program;
    m_process = new QProcess(this);
    QProcessEnvironment env = m_config.inheritEnvironment ? QProcessEnvironment::systemEnvironment()
                                                          : QProcessEnvironment();
    for (auto it = m_config.env.cbegin(); it != m_config.env.cend(); ++it)
        env.insert(it.key(), it.value());
    if (!m_config.env.contains(QStringLiteral("PATH")))
        env.insert(QStringLiteral("PATH"), resolved->childPath);
    m_process->setProcessEnvironment(env);
    if (!m_config.workingDirectory.isEmpty())
        m_process->setWorkingDirectory(m_config.workingDirectory);
    // Its own process group, so that ending the server also ends what it started.
    m_process->setChildProcessModifier([] { ::setpgid(0, 0); });
    m_stopTimer = new QTimer(this);
    m_stopTimer->setSingleShot(true);
    connect(m_stopTimer, &QTimer::timeout, this, [this] {
        if (m_stopStage == 1) {
            emit logLine(QStringLiteral("client"), QStringLiteral("the server did not exit; sending SIGTERM to its process group"));
            signalGroup(SIGTERM);
            m_stopStage = 2;
            m_stopTimer->start(m_config.stopGraceMs);
        } else if (m_stopStage == 2) {
            emit logLine(QStringLiteral("client"), QStringLiteral("the server ignored SIGTERM; sending SIGKILL to its process group"));
            signalGroup(SIGKILL);
            m_stopStage = 3;
        }
    });
    connect(m_process, &QProcess::started, this, [this] {
        m_pgid = m_process->processId();
        qCDebug(lcMcp) << "started" << describe() << "pid" << m_pgid;
        emit opened();
    });
    connect(m_process, &QProcess::readyReadStandardOutput, this, &McpStdioTransport::readStdout);
    connect(m_process, &QProcess::readyReadStandardError, this, &McpStdioTransport::readStderr);
    connect(m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart || m_done)
            return;
        m_done = true;
        emit closed(makeError(ErrorCode::Tool, QStringLiteral("the server %1 could not be started: %2")
                                                   .arg(m_program, m_process->errorString())));
    });
    connect(m_process, &QProcess::finished, this,
            [this](int code, QProcess::ExitStatus status) { onFinished(code, int(status)); });
    QString program = m_program;
    QStringList args = m_config.args;
    if (m_config.wrapper) {
        const auto wrapped = m_config.wrapper(m_program, m_config.args);
        if (!wrapped || wrapped->isEmpty()) {
            m_done = true;
            const Error error = wrapped ? makeError(ErrorCode::Internal, QStringLiteral("empty command line")) : wrapped.error();
            QTimer::singleShot(0, this, [this, error] { emit closed(error); });
            return;
        }
        program = wrapped->first();
        args = wrapped->mid(1);
    }
    m_process->start(program, args);
}

void McpStdioTransport::send(const McpMessage &message)
{
    if (!m_process || m_process->state() != QProcess::Running) {
        if (message.isRequest())
            emit sendFailed(message.id(), makeError(ErrorCode::Tool, QStringLiteral("the server is not running")));
        return;
    }
    QByteArray bytes = message.serialize();
    bytes.append('\n');
    m_process->write(bytes);
}

void McpStdioTransport::close()
{
    if (!m_process || m_process->state() == QProcess::NotRunning) {
        if (!m_done) {
            m_done = true;
            QTimer::singleShot(0, this, [this] { emit closed(Error{}); });
        }
        return;
    }
    if (m_closing)
        return;
    m_closing = true;
    // The spec's order: close stdin, give the server time, then SIGTERM, then SIGKILL.
    m_process->closeWriteChannel();
    m_stopStage = 1;
    m_stopTimer->start(m_config.stopGraceMs);
}

void McpStdioTransport::terminate()
{
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return close();
    m_closing = true;
    m_terminated = true;
    emit logLine(QStringLiteral("client"), QStringLiteral("ending the server's process group %1").arg(m_pgid));
    signalGroup(SIGTERM);
    m_stopStage = 2;
    m_stopTimer->start(m_config.stopGraceMs);
}

void McpStdioTransport::signalGroup(int sig)
{
    if (m_pgid > 0)
        ::kill(pid_t(-m_pgid), sig);
}

void McpStdioTransport::readStdout()
{
    // Read in bounded chunks so an oversized line is dropped as it streams, never held whole.
    while (m_process->bytesAvailable() > 0) {
        const QByteArray chunk = m_process->read(qMin<qint64>(m_process->bytesAvailable(), 1 << 20));
        if (chunk.isEmpty())
            break;
        consume(chunk);
    }
}

void McpStdioTransport::consume(QByteArrayView chunk)
{
    qsizetype pos = 0;
    while (pos < chunk.size()) {
        const qsizetype nl = chunk.indexOf('\n', pos);
        const qsizetype end = nl < 0 ? chunk.size() : nl;
        const QByteArrayView piece = chunk.sliced(pos, end - pos);
        if (m_skipping) {
            m_skippedBytes += piece.size();
            m_skipTail.append(piece.data(), piece.size());
            if (m_skipTail.size() > keepForId)
                m_skipTail.remove(0, m_skipTail.size() - keepForId);
        } else if (m_line.size() + piece.size() > m_config.maxMessageBytes) {
            m_skipping = true;
            m_line.append(piece.data(), piece.size());
            m_skippedBytes = m_line.size();
            m_skipHead = m_line.left(keepForId);
            m_skipTail = m_line.right(keepForId);
            m_line = QByteArray();
        } else {
            m_line.append(piece.data(), piece.size());
        }
        if (nl < 0)
            break;
        if (m_skipping)
            dropOversized();
        else
            handleLine(m_line);
        m_line = QByteArray();
        pos = nl + 1;
    }
}

void McpStdioTransport::dropOversized()
{
    const QJsonValue id = findId(m_skipHead, m_skipTail);
    const Error error = makeError(
        ErrorCode::Tool,
        QStringLiteral("the server sent a message of %1 bytes, over the %2 MiB limit; it was dropped")
            .arg(m_skippedBytes)
            .arg(double(m_config.maxMessageBytes) / (1024 * 1024), 0, 'g', 4));
    emit logLine(QStringLiteral("client"), error.message);
    m_skipping = false;
    m_skipHead = QByteArray();
    m_skipTail = QByteArray();
    m_skippedBytes = 0;
    emit sendFailed(id, error);
}

void McpStdioTransport::handleLine(QByteArray &line)
{
    if (line.endsWith('\r'))
        line.chop(1);
    if (line.trimmed().isEmpty())
        return;
    auto message = McpMessage::parse(line);
    if (!message) {
        emit logLine(QStringLiteral("client"),
                     QStringLiteral("skipped a stdout line that is not JSON-RPC (%1): %2")
                         .arg(message.errorMessage(), QString::fromUtf8(line.left(200))));
        return;
    }
    emit messageReceived(*message);
}

void McpStdioTransport::readStderr()
{
    const QByteArray bytes = m_process->readAllStandardError();
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        const qsizetype nl = bytes.indexOf('\n', pos);
        if (nl < 0) {
            m_stderrLine.append(bytes.mid(pos));
            if (m_stderrLine.size() > maxStderrLine) {
                stderrLine(QString::fromUtf8(m_stderrLine));
                m_stderrLine.clear();
            }
            break;
        }
        m_stderrLine.append(bytes.mid(pos, nl - pos));
        stderrLine(QString::fromUtf8(m_stderrLine));
        m_stderrLine.clear();
        pos = nl + 1;
    }
}

void McpStdioTransport::stderrLine(const QString &line)
{
    QString text = line;
    if (text.endsWith(QLatin1Char('\r')))
        text.chop(1);
    m_lastStderr.append(text);
    while (m_lastStderr.size() > lastStderrLines)
        m_lastStderr.removeFirst();
    emit logLine(QStringLiteral("stderr"), text);
}

void McpStdioTransport::onFinished(int exitCode, int exitStatus)
{
    m_stopTimer->stop();
    readStdout();
    readStderr();
    if (!m_stderrLine.isEmpty()) {
        stderrLine(QString::fromUtf8(m_stderrLine));
        m_stderrLine.clear();
    }
    // The leader is gone; whatever it started in its group goes with it.
    signalGroup(SIGKILL);
    const qint64 pgid = m_pgid;
    m_pgid = 0;
    if (m_done)
        return;
    m_done = true;
    if (m_closing && !m_terminated) {
        emit closed(Error{});
        return;
    }
    QString what;
    if (m_terminated)
        what = QStringLiteral("the server's process group %1 was ended").arg(pgid);
    else if (exitStatus == QProcess::CrashExit)
        what = QStringLiteral("the server crashed (%1)").arg(m_process->errorString());
    else
        what = QStringLiteral("the server exited with code %1").arg(exitCode);
    if (!m_lastStderr.isEmpty())
        what += QStringLiteral(". Last lines on its stderr:\n") + m_lastStderr.join(QLatin1Char('\n'));
    else
        what += QStringLiteral(" and wrote nothing on stderr");
    emit closed(makeError(ErrorCode::Tool, what));
}

} // namespace Spool
