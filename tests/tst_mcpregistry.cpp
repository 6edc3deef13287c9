// The user's MCP servers as McpServerRegistry runs them (issue 13): a stdio server that crashes
// is restarted after growing delays (base, 2×base, 4×base, ...), its status and log say so, it
// is given up after the configured number of restarts in a row (its tools leave the registry),
// and a server that comes back, by itself or restarted by hand, works again. The server is a
// real process: tests/fixtures/mcp/hostile_server.py in its `crashes` mode.
#include "mcp/mcpsecretstore.h"
#include "mcp/mcpserverregistry.h"
#include "tools/toolregistry.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>
#include <optional>

using namespace Spool;

namespace {

// Secrets in memory, answered on the next turn of the event loop as a keychain would.
class MemorySecrets : public McpSecretStore
{
public:
    void read(const QString &ref, QObject *context, std::function<void(const Result<QString> &)> done) override
    {
        const Result<QString> r = m_values.contains(ref)
                ? Result<QString>(m_values.value(ref))
                : Result<QString>(makeError(ErrorCode::NotFound, QStringLiteral("no secret %1").arg(ref)));
        QTimer::singleShot(0, context, [done, r] { done(r); });
    }
    void write(const QString &ref, const QString &value, QObject *context, std::function<void(const Status &)> done) override
    {
        m_values.insert(ref, value);
        QTimer::singleShot(0, context, [done] { done({}); });
    }
    void remove(const QString &ref, QObject *context, std::function<void(const Status &)> done) override
    {
        m_values.remove(ref);
        QTimer::singleShot(0, context, [done] { done({}); });
    }

private:
    QHash<QString, QString> m_values;
};

constexpr int kBaseMs = 300;
constexpr int kMaxRestarts = 4;

} // namespace

class tst_McpRegistry : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void crashedServerComesBack();
    void givesUpThenRestartsByHand();

private:
    // Writes mcp.json with the `flaky` server, crashing in its first `crashes` launches, and
    // starts the registry on it.
    void startFlaky(int crashes);
    void setLaunches(int count);
    int launches() const;
    // The delays the registry announced ("restart N of M in D ms"), in order.
    QList<int> announcedDelays() const;
    // When each launch of the server said it started (its stderr, as the log kept it).
    QList<qint64> launchTimes() const;
    QList<qint64> restartAnnouncedTimes() const;
    // One call of mcp.flaky.echo through the tool registry, as a run makes it.
    std::optional<ToolResult> callEcho();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ToolRegistry> m_tools;
    std::unique_ptr<MemorySecrets> m_secrets;
    std::unique_ptr<McpServerRegistry> m_registry;
    QList<McpLogEntry> m_log;
    QStringList m_states; // each state the server went through, as announced
    QPointer<ToolJob> m_earlyCall;
    std::optional<ToolResult> m_earlyResult;
    QString m_earlyStateThen;
};

void tst_McpRegistry::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_tools = std::make_unique<ToolRegistry>();
    m_secrets = std::make_unique<MemorySecrets>();
    m_log.clear();
    m_states.clear();
    m_earlyCall = nullptr;
    m_earlyResult.reset();
    m_earlyStateThen.clear();
}

void tst_McpRegistry::cleanup()
{
    m_registry.reset(); // ends the server's process group
    m_secrets.reset();
    m_tools.reset();
    m_dir.reset();
}

void tst_McpRegistry::startFlaky(int crashes)
{
    const QJsonObject entry{
            {QStringLiteral("command"), QStringLiteral("python3")},
            {QStringLiteral("args"), QJsonArray{QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/mcp/hostile_server.py"),
                                                QStringLiteral("crashes")}},
            {QStringLiteral("env"), QJsonObject{{QStringLiteral("HOSTILE_COUNT_FILE"), m_dir->filePath(QStringLiteral("launches"))},
                                                {QStringLiteral("HOSTILE_CRASHES"), QString::number(crashes)}}}};
    QFile file(m_dir->filePath(McpServerRegistry::configFileName()));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QJsonDocument(QJsonObject{{QStringLiteral("mcpServers"), QJsonObject{{QStringLiteral("flaky"), entry}}}}).toJson());
    file.close();

    McpRegistryOptions options;
    options.configDir = m_dir->path();
    options.restartBaseMs = kBaseMs;
    options.maxRestarts = kMaxRestarts;
    m_registry = std::make_unique<McpServerRegistry>(options, *m_tools, *m_secrets);
    connect(m_registry.get(), &McpServerRegistry::logAppended, this,
            [this](const QString &server, const McpLogEntry &entry) {
                if (server == QLatin1String("flaky"))
                    m_log.append(entry);
            });
    connect(m_registry.get(), &McpServerRegistry::statusChanged, this, [this](const QString &server) {
        const auto st = m_registry->status(server);
        if (!st || (!m_states.isEmpty() && m_states.constLast() == st->state))
            return;
        m_states.append(st->state);
        // A call made while the server waits for its first restart, as a run would make it.
        Tool *tool = m_tools->tool(QStringLiteral("mcp.flaky.echo"));
        if (st->state == QLatin1String("restarting") && !m_earlyCall && tool) {
            ToolInvocation invocation;
            invocation.callId = QStringLiteral("early");
            invocation.runId = QStringLiteral("run-1");
            m_earlyCall = tool->start(invocation, this);
            connect(m_earlyCall, &ToolJob::finished, this, [this](const ToolResult &r) {
                m_earlyResult = r;
                m_earlyStateThen = m_registry->status(QStringLiteral("flaky"))->state;
            });
        }
    });
    QVERIFY(m_registry->problems().isEmpty());
    m_registry->startAll();
}

void tst_McpRegistry::setLaunches(int count)
{
    QFile f(m_dir->filePath(QStringLiteral("launches")));
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(QByteArray::number(count) + '\n');
}

int tst_McpRegistry::launches() const
{
    QFile f(m_dir->filePath(QStringLiteral("launches")));
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toInt() : 0;
}

QList<int> tst_McpRegistry::announcedDelays() const
{
    static const QRegularExpression re(QStringLiteral("restart (\\d+) of (\\d+) in (\\d+) ms"));
    QList<int> out;
    for (const McpLogEntry &e : m_log) {
        if (const auto m = re.match(e.text); m.hasMatch() && e.source == QLatin1String("client"))
            out.append(m.captured(3).toInt());
    }
    return out;
}

QList<qint64> tst_McpRegistry::restartAnnouncedTimes() const
{
    static const QRegularExpression re(QStringLiteral("restart (\\d+) of (\\d+) in (\\d+) ms"));
    QList<qint64> out;
    for (const McpLogEntry &e : m_log) {
        if (e.source == QLatin1String("client") && re.match(e.text).hasMatch())
            out.append(e.at);
    }
    return out;
}

QList<qint64> tst_McpRegistry::launchTimes() const
{
    QList<qint64> out;
    for (const McpLogEntry &e : m_log) {
        // (The client's lines quote the server's last stderr lines when it ends.)
        if (e.source == QLatin1String("stderr") && e.text.contains(QStringLiteral("hostile server starting")))
            out.append(e.at);
    }
    return out;
}

std::optional<ToolResult> tst_McpRegistry::callEcho()
{
    Tool *tool = m_tools->tool(QStringLiteral("mcp.flaky.echo"));
    if (!tool)
        return std::nullopt;
    ToolInvocation invocation;
    invocation.callId = QStringLiteral("call-%1").arg(launches());
    invocation.runId = QStringLiteral("run-1");
    std::optional<ToolResult> result;
    ToolJob *job = tool->start(invocation, this);
    connect(job, &ToolJob::finished, this, [&result](const ToolResult &r) { result = r; });
    if (!QTest::qWaitFor([&result] { return result.has_value(); }, 20000))
        return std::nullopt;
    job->deleteLater();
    return result;
}

void tst_McpRegistry::crashedServerComesBack()
{
    startFlaky(3); // crashes in its first three launches, then stays up
    if (QTest::currentTestFailed())
        return;

    // While it waits for its first restart, its tool stays and a call fails at once, saying
    // when the server comes back.
    QTRY_VERIFY_WITH_TIMEOUT(m_earlyResult.has_value(), 20000);
    QCOMPARE(m_earlyStateThen, QStringLiteral("restarting"));
    QVERIFY(!m_earlyResult->ok);
    QVERIFY2(m_earlyResult->output.contains(QStringLiteral("restarts in")), qPrintable(m_earlyResult->output));

    // The fourth launch stays up: the server is ready, its tool is offered and works.
    QTRY_VERIFY_WITH_TIMEOUT(launches() == 4 && m_registry->status(QStringLiteral("flaky"))->state == QLatin1String("ready"),
                             30000);
    const McpServerStatus status = *m_registry->status(QStringLiteral("flaky"));
    QCOMPARE(status.restarts, 3);
    QVERIFY(status.error.isEmpty());
    QVERIFY(m_tools->tool(QStringLiteral("mcp.flaky.echo")));
    const auto called = callEcho();
    QVERIFY(called);
    QVERIFY2(called->ok, qPrintable(called->output));
    QVERIFY2(called->output.contains(QStringLiteral("called echo")), qPrintable(called->output));
    QCOMPARE(launches(), 4);

    // Each delay doubles the one before, and each launch really waited for its delay.
    QCOMPARE(announcedDelays(), (QList<int>{kBaseMs, 2 * kBaseMs, 4 * kBaseMs}));
    const QList<qint64> announced = restartAnnouncedTimes();
    const QList<qint64> launched = launchTimes();
    QCOMPARE(announced.size(), 3);
    QCOMPARE(launched.size(), 4);
    for (int i = 0; i < 3; ++i) {
        const qint64 waited = launched.at(i + 1) - announced.at(i);
        // Coarse timers may fire up to 5% early; a launch never comes sooner than that.
        QVERIFY2(waited >= announcedDelays().at(i) * 95 / 100,
                 qPrintable(QStringLiteral("restart %1 came after %2 ms").arg(i + 1).arg(waited)));
    }
    // The log tells the story: each crash with its reason, each restart, ready again.
    QString text;
    for (const McpLogEntry &e : std::as_const(m_log))
        text += e.text + QLatin1Char('\n');
    QVERIFY2(text.contains(QStringLiteral("crashing on purpose (launch 3)")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("restart 3 of %1").arg(kMaxRestarts)), qPrintable(text));
    QVERIFY2(!text.contains(QStringLiteral("gave up")), qPrintable(text));
    QCOMPARE(m_states.constLast(), QStringLiteral("ready"));
    QVERIFY(m_states.count(QStringLiteral("restarting")) == 3);
}

void tst_McpRegistry::givesUpThenRestartsByHand()
{
    startFlaky(1000); // never stays up
    if (QTest::currentTestFailed())
        return;
    QTRY_COMPARE_WITH_TIMEOUT(m_registry->status(QStringLiteral("flaky"))->state, QStringLiteral("failed"), 30000);
    const McpServerStatus failed = *m_registry->status(QStringLiteral("flaky"));
    QCOMPARE(launches(), kMaxRestarts + 1);
    QCOMPARE(failed.restarts, kMaxRestarts);
    QVERIFY2(failed.error.contains(QStringLiteral("gave up after %1 restarts").arg(kMaxRestarts)), qPrintable(failed.error));
    QCOMPARE(announcedDelays(), (QList<int>{kBaseMs, 2 * kBaseMs, 4 * kBaseMs, 8 * kBaseMs}));
    // Given up: its tools are no longer offered, and nothing starts it again by itself.
    QVERIFY(!m_tools->tool(QStringLiteral("mcp.flaky.echo")));
    QTest::qWait(3 * 8 * kBaseMs);
    QCOMPARE(launches(), kMaxRestarts + 1);
    QCOMPARE(m_registry->status(QStringLiteral("flaky"))->state, QStringLiteral("failed"));

    // The user restarts it once it is fixed: it works again, its count starts over.
    setLaunches(1000);
    QVERIFY(m_registry->restart(QStringLiteral("flaky")));
    QTRY_COMPARE_WITH_TIMEOUT(m_registry->status(QStringLiteral("flaky"))->state, QStringLiteral("ready"), 20000);
    QCOMPARE(m_registry->status(QStringLiteral("flaky"))->restarts, 0);
    const auto called = callEcho();
    QVERIFY(called);
    QVERIFY2(called->ok, qPrintable(called->output));
    QCOMPARE(launches(), 1001);
}

QTEST_GUILESS_MAIN(tst_McpRegistry)
#include "tst_mcpregistry.moc"
