// The user's stdio MCP servers inside bubblewrap (issue 13, `spool.sandbox` in mcp.json), run
// for real through McpServerRegistry: the reference @modelcontextprotocol/server-filesystem from
// npm (scripts/install-test-tools) starts sandboxed with node and its modules reachable, lists
// its tools and reads a file of an allowed path, while a folder next to it is not there for it;
// a small probe server (tests/fixtures/mcp/probe_server.py) shows what the sandbox hides from a
// server that does not restrict itself: the home folder (even when the server lives in it), and
// 127.0.0.1 unless the network is allowed. Each check is made against the same server run
// without the sandbox too, so that a sandbox that hides nothing fails the test. A missing
// command, a missing bubblewrap and a working folder the sandbox does not show are named.
#include "mcp/mcpclient.h"
#include "mcp/mcpsecretstore.h"
#include "mcp/mcpserverregistry.h"
#include "mcp/mcptoolcall.h"
#include "tools/sandboxprobe.h"
#include "tools/toolregistry.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>
#include <optional>

using namespace Spool;

namespace {

// The keychain, in memory: the sandboxed servers here have no secrets.
class MemorySecrets : public McpSecretStore
{
public:
    void read(const QString &ref, QObject *context,
              std::function<void(const Result<QString> &)> done) override
    {
        const Result<QString> r = m_values.contains(ref)
            ? Result<QString>(m_values.value(ref))
            : Result<QString>(makeError(ErrorCode::NotFound, ref));
        QTimer::singleShot(0, context, [done, r] { done(r); });
    }
    void write(const QString &ref, const QString &value, QObject *context,
               std::function<void(const Status &)> done) override
    {
        m_values.insert(ref, value);
        QTimer::singleShot(0, context, [done] { done(Status {}); });
    }
    void remove(const QString &ref, QObject *context,
                std::function<void(const Status &)> done) override
    {
        m_values.remove(ref);
        QTimer::singleShot(0, context, [done] { done(Status {}); });
    }

private:
    QHash<QString, QString> m_values;
};

void writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    f.write(data);
}

struct CallOutcome
{
    bool ok = false; // a result came back, and it was no tool error
    QString text; // the result's text, or why there was none
};

} // namespace

class tst_McpSandbox : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void filesystemServerSeesOnlyItsPaths();
    void homeFolderStaysHidden();
    void networkOnlyWhenAllowed();
    void missingCommandIsNamed();
    void missingBubblewrapIsNamed();
    void hiddenWorkingFolderIsNamed();

private:
    McpServerRegistry &registry(const QString &bwrap = QStringLiteral("bwrap"));
    void save(const McpServerConfig &config);
    McpServerStatus test(const QString &name);
    CallOutcome call(const QString &server, const QString &tool, const QJsonObject &arguments);
    McpServerConfig probeServer(const QString &name, bool sandbox) const;
    QString path(const QString &relative) const { return m_root + QLatin1Char('/') + relative; }

    QString m_tools;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_root;
    QByteArray m_home;
    std::unique_ptr<ToolRegistry> m_toolRegistry;
    std::unique_ptr<MemorySecrets> m_secrets;
    std::unique_ptr<McpServerRegistry> m_registry;
};

void tst_McpSandbox::initTestCase()
{
    m_tools = QStringLiteral(SPOOL_TEST_TOOLS_DIR "/node_modules/.bin");
    if (!QFile::exists(m_tools + QStringLiteral("/mcp-server-filesystem")))
        QSKIP("the reference servers are not installed; run scripts/install-test-tools");
    if (QStandardPaths::findExecutable(QStringLiteral("python3")).isEmpty())
        QSKIP("python3 is not installed; the probe server needs it");
    // The same probe the shell tool and the registry use: where bubblewrap cannot make a sandbox
    // (no user namespaces), this suite cannot say anything and says why.
    SandboxProbe probe(QStringLiteral("bwrap"));
    bool known = false;
    probe.whenKnown(this, [&known] { known = true; });
    QTRY_VERIFY_WITH_TIMEOUT(known, 20000);
    if (probe.state() != SandboxProbe::State::Usable)
        QSKIP(qPrintable(QStringLiteral("no sandbox here: %1").arg(probe.problem())));
    m_home = qgetenv("HOME");
}

void tst_McpSandbox::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_root = QFileInfo(m_dir->path()).canonicalFilePath();
    writeFile(path(QStringLiteral("shared/note.txt")), "the shared note says hello\n");
    writeFile(path(QStringLiteral("private/key.txt")), "a private key nobody shared\n");
    writeFile(path(QStringLiteral("home/secret.txt")), "the user's own secret\n");
    // The probe server installed in the home folder, as ~/bin/server would be.
    QVERIFY(QDir().mkpath(path(QStringLiteral("home/bin"))));
    QFile::copy(QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/mcp/probe_server.py"),
                path(QStringLiteral("home/bin/probe-server")));
    QVERIFY(QFile::setPermissions(path(QStringLiteral("home/bin/probe-server")),
                                  QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    // The home folder of the Spool process (and so of the servers it starts without a sandbox).
    qputenv("HOME", path(QStringLiteral("home")).toUtf8());
}

void tst_McpSandbox::cleanup()
{
    m_registry.reset();
    m_toolRegistry.reset();
    m_secrets.reset();
    qputenv("HOME", m_home);
    m_dir.reset();
}

McpServerRegistry &tst_McpSandbox::registry(const QString &bwrap)
{
    if (!m_registry) {
        McpRegistryOptions options;
        options.configDir = path(QStringLiteral("config"));
        options.extraPath = { m_tools, path(QStringLiteral("home/bin")) };
        options.bwrapPath = bwrap;
        options.restartBaseMs = 200;
        m_toolRegistry = std::make_unique<ToolRegistry>();
        m_secrets = std::make_unique<MemorySecrets>();
        m_registry = std::make_unique<McpServerRegistry>(options, *m_toolRegistry, *m_secrets);
    }
    return *m_registry;
}

void tst_McpSandbox::save(const McpServerConfig &config)
{
    std::optional<Status> saved;
    registry().save(config, {}, [&saved](const Status &s) { saved = s; });
    QTRY_VERIFY_WITH_TIMEOUT(saved.has_value(), 10000);
    QVERIFY2(saved->ok(), qPrintable(saved->errorMessage()));
}

McpServerStatus tst_McpSandbox::test(const QString &name)
{
    std::optional<McpServerStatus> status;
    registry().test(name, 60000, this, [&status](const McpServerStatus &s) { status = s; });
    if (!QTest::qWaitFor([&status] { return status.has_value(); }, 70000)) {
        McpServerStatus none;
        none.error = QStringLiteral("<the test did not answer>");
        return none;
    }
    return *status;
}

CallOutcome tst_McpSandbox::call(const QString &server, const QString &tool,
                                 const QJsonObject &arguments)
{
    QString whyNot;
    McpClient *client = registry().readyClient(server, &whyNot);
    if (!client)
        return { false, whyNot };
    McpToolCall *c = client->callTool(tool, arguments);
    if (!QTest::qWaitFor([c] { return c->isFinished(); }, 30000))
        return { false, QStringLiteral("<no answer in time>") };
    const auto r = c->result();
    if (!r)
        return { false, r.errorMessage() };
    return { !r->isError, r->text() };
}

McpServerConfig tst_McpSandbox::probeServer(const QString &name, bool sandbox) const
{
    McpServerConfig c;
    c.name = name;
    c.command = QStringLiteral("probe-server");
    c.sandbox = sandbox;
    c.readOnlyPaths = { path(QStringLiteral("shared")) };
    return c;
}

void tst_McpSandbox::filesystemServerSeesOnlyItsPaths()
{
    // The server may use the whole test folder by its own rules; the sandbox shows it only
    // shared/. Without the sandbox, the same server reads private/ too.
    for (const bool sandbox : { true, false }) {
        McpServerConfig c;
        c.name = sandbox ? QStringLiteral("boxed") : QStringLiteral("open");
        c.command = QStringLiteral("mcp-server-filesystem");
        c.args = { m_root };
        c.sandbox = sandbox;
        if (sandbox)
            c.readOnlyPaths = { path(QStringLiteral("shared")) };
        save(c);
    }
    // The sandboxed one cannot see its own allowed folder beyond shared/, which it must still
    // accept as its root to start: the folder exists inside (bubblewrap made it for shared/).
    const McpServerStatus boxed = test(QStringLiteral("boxed"));
    QVERIFY2(boxed.isReady(), qPrintable(boxed.state + QLatin1String(": ") + boxed.error));
    QCOMPARE(boxed.sandbox, QStringLiteral("bwrap"));
    QVERIFY2(boxed.listedTools > 5, qPrintable(QString::number(boxed.listedTools)));
    bool readTool = false;
    for (const McpToolState &t : boxed.tools)
        readTool = readTool || t.name == QLatin1String("read_text_file");
    QVERIFY(readTool);
    const McpServerStatus open = test(QStringLiteral("open"));
    QVERIFY2(open.isReady(), qPrintable(open.state + QLatin1String(": ") + open.error));
    QCOMPARE(open.sandbox, QStringLiteral("none"));

    const QJsonObject note { { QStringLiteral("path"), path(QStringLiteral("shared/note.txt")) } };
    const QJsonObject key { { QStringLiteral("path"), path(QStringLiteral("private/key.txt")) } };
    const QJsonObject top { { QStringLiteral("path"), m_root } };

    CallOutcome r = call(QStringLiteral("boxed"), QStringLiteral("read_text_file"), note);
    QVERIFY2(r.ok, qPrintable(r.text));
    QCOMPARE(r.text, QStringLiteral("the shared note says hello\n"));

    r = call(QStringLiteral("boxed"), QStringLiteral("read_text_file"), key);
    QVERIFY2(!r.ok, qPrintable(r.text));
    QVERIFY2(!r.text.contains(QLatin1String("nobody shared")), qPrintable(r.text));
    QVERIFY2(r.text.contains(QLatin1String("ENOENT"))
                 || r.text.contains(QLatin1String("no such file"), Qt::CaseInsensitive),
             qPrintable(r.text));
    r = call(QStringLiteral("boxed"), QStringLiteral("list_directory"), top);
    QVERIFY2(r.ok, qPrintable(r.text));
    QVERIFY2(r.text.contains(QLatin1String("[DIR] shared")), qPrintable(r.text));
    QVERIFY2(!r.text.contains(QLatin1String("private")) && !r.text.contains(QLatin1String("home")),
             qPrintable(r.text));

    // The control: the same server outside the sandbox sees all of it.
    r = call(QStringLiteral("open"), QStringLiteral("read_text_file"), key);
    QVERIFY2(r.ok, qPrintable(r.text));
    QCOMPARE(r.text, QStringLiteral("a private key nobody shared\n"));
    r = call(QStringLiteral("open"), QStringLiteral("list_directory"), top);
    QVERIFY2(r.ok && r.text.contains(QLatin1String("[DIR] private")), qPrintable(r.text));
}

void tst_McpSandbox::homeFolderStaysHidden()
{
    // The probe server lives in ~/bin: the sandbox must show it that program, not the home
    // folder around it.
    save(probeServer(QStringLiteral("boxed"), true));
    save(probeServer(QStringLiteral("open"), false));
    const McpServerStatus boxed = test(QStringLiteral("boxed"));
    QVERIFY2(boxed.isReady(), qPrintable(boxed.state + QLatin1String(": ") + boxed.error));
    const McpServerStatus open = test(QStringLiteral("open"));
    QVERIFY2(open.isReady(), qPrintable(open.state + QLatin1String(": ") + open.error));

    const QJsonObject secret { { QStringLiteral("path"),
                                 path(QStringLiteral("home/secret.txt")) } };
    CallOutcome r = call(QStringLiteral("boxed"), QStringLiteral("read"), secret);
    QVERIFY2(!r.ok, qPrintable(r.text));
    QVERIFY2(r.text.contains(QLatin1String("No such file")), qPrintable(r.text));
    r = call(QStringLiteral("open"), QStringLiteral("read"), secret);
    QVERIFY2(r.ok, qPrintable(r.text));
    QCOMPARE(r.text, QStringLiteral("the user's own secret\n"));

    // What was shared is readable; the folder next to it is not.
    r = call(QStringLiteral("boxed"), QStringLiteral("read"),
             { { QStringLiteral("path"), path(QStringLiteral("shared/note.txt")) } });
    QVERIFY2(r.ok, qPrintable(r.text));
    r = call(QStringLiteral("boxed"), QStringLiteral("read"),
             { { QStringLiteral("path"), path(QStringLiteral("private/key.txt")) } });
    QVERIFY2(!r.ok, qPrintable(r.text));

    // Nothing of Spool's environment gets in, not even its idea of home.
    r = call(QStringLiteral("boxed"), QStringLiteral("env"), {});
    QVERIFY2(r.ok, qPrintable(r.text));
    QVERIFY2(r.text.contains(QLatin1String("HOME=/tmp\n")), qPrintable(r.text));
    QVERIFY2(r.text.contains(QLatin1String("SPOOL_SANDBOX=bwrap")), qPrintable(r.text));
    QVERIFY2(!r.text.contains(QLatin1String("HOME=") + path(QStringLiteral("home"))),
             qPrintable(r.text));
}

void tst_McpSandbox::networkOnlyWhenAllowed()
{
    QTcpServer listener;
    QVERIFY(listener.listen(QHostAddress::LocalHost, 0));
    int accepted = 0;
    connect(&listener, &QTcpServer::newConnection, this, [&listener, &accepted] {
        while (QTcpSocket *s = listener.nextPendingConnection()) {
            ++accepted;
            s->close();
            s->deleteLater();
        }
    });
    McpServerConfig withNetwork = probeServer(QStringLiteral("networked"), true);
    withNetwork.sandboxNetwork = true;
    save(probeServer(QStringLiteral("offline"), true));
    save(withNetwork);
    for (const QString &name : { QStringLiteral("offline"), QStringLiteral("networked") }) {
        const McpServerStatus s = test(name);
        QVERIFY2(s.isReady(), qPrintable(name + QLatin1String(": ") + s.error));
    }
    const QJsonObject port { { QStringLiteral("port"), int(listener.serverPort()) } };

    CallOutcome r = call(QStringLiteral("offline"), QStringLiteral("connect"), port);
    QVERIFY2(!r.ok, qPrintable(r.text));
    QVERIFY2(r.text.startsWith(QLatin1String("cannot connect")), qPrintable(r.text));
    QTest::qWait(200);
    QCOMPARE(accepted, 0);

    r = call(QStringLiteral("networked"), QStringLiteral("connect"), port);
    QVERIFY2(r.ok, qPrintable(r.text));
    QCOMPARE(r.text, QStringLiteral("connected"));
    QTRY_COMPARE_WITH_TIMEOUT(accepted, 1, 5000);
}

void tst_McpSandbox::missingCommandIsNamed()
{
    McpServerConfig c;
    c.name = QStringLiteral("missing");
    c.command = QStringLiteral("no-such-mcp-server-xyz");
    c.sandbox = true;
    save(c);
    const McpServerStatus s = test(QStringLiteral("missing"));
    QCOMPARE(s.state, QStringLiteral("failed"));
    QVERIFY2(s.error.contains(QLatin1String("no-such-mcp-server-xyz")), qPrintable(s.error));
    QVERIFY2(s.error.contains(m_tools), qPrintable(s.error)); // the folders searched
    QCOMPARE(s.restarts, 0); // no point in trying again

    // A server whose launcher runs a program the sandbox does not show: the shell inside says
    // "not found" (exit code 127), which no restart mends; said once, not retried five times.
    writeFile(path(QStringLiteral("tools/bin/wrapped")),
              "#!/bin/sh\nexec " + path(QStringLiteral("elsewhere/server")).toUtf8() + "\n");
    QVERIFY(QFile::setPermissions(path(QStringLiteral("tools/bin/wrapped")),
                                  QFile::ReadOwner | QFile::ExeOwner));
    writeFile(path(QStringLiteral("elsewhere/server")), "#!/bin/sh\nexit 0\n");
    QVERIFY(QFile::setPermissions(path(QStringLiteral("elsewhere/server")),
                                  QFile::ReadOwner | QFile::ExeOwner));
    c.name = QStringLiteral("hidden");
    c.command = path(QStringLiteral("tools/bin/wrapped"));
    save(c);
    const McpServerStatus hidden = test(QStringLiteral("hidden"));
    QCOMPARE(hidden.state, QStringLiteral("failed"));
    QVERIFY2(hidden.error.contains(QLatin1String("elsewhere/server")), qPrintable(hidden.error));
    QVERIFY2(hidden.error.contains(QLatin1String("not visible inside the sandbox")),
             qPrintable(hidden.error));
    QCOMPARE(hidden.restarts, 0);

    // A script whose interpreter the sandbox does not show: bubblewrap cannot start it at all.
    writeFile(path(QStringLiteral("tools/bin/interpreted")),
              "#!" + path(QStringLiteral("elsewhere/server")).toUtf8() + "\n");
    QVERIFY(QFile::setPermissions(path(QStringLiteral("tools/bin/interpreted")),
                                  QFile::ReadOwner | QFile::ExeOwner));
    c.name = QStringLiteral("interpreted");
    c.command = path(QStringLiteral("tools/bin/interpreted"));
    save(c);
    const McpServerStatus interpreted = test(QStringLiteral("interpreted"));
    QCOMPARE(interpreted.state, QStringLiteral("failed"));
    QVERIFY2(interpreted.error.contains(QLatin1String("the sandbox could not start the server")),
             qPrintable(interpreted.error));
    QVERIFY2(interpreted.error.contains(QLatin1String("tools/bin/interpreted")),
             qPrintable(interpreted.error));
    QCOMPARE(interpreted.restarts, 0);
}

void tst_McpSandbox::missingBubblewrapIsNamed()
{
    registry(QStringLiteral("/nonexistent/bwrap"));
    save(probeServer(QStringLiteral("boxed"), true));
    QElapsedTimer clock;
    clock.start();
    const McpServerStatus s = test(QStringLiteral("boxed"));
    QVERIFY2(clock.elapsed() < 10000,
             qPrintable(QStringLiteral("the test answered after %1 ms").arg(clock.elapsed())));
    QCOMPARE(s.state, QStringLiteral("failed"));
    QVERIFY2(s.error.contains(QLatin1String("sandbox"))
                 && s.error.contains(QLatin1String("bubblewrap")),
             qPrintable(s.error));
    QVERIFY2(s.error.contains(QLatin1String("not installed")), qPrintable(s.error));
    // Never started without it.
    QCOMPARE(s.pid, 0);
    QString whyNot;
    QVERIFY(!registry().readyClient(QStringLiteral("boxed"), &whyNot));
}

void tst_McpSandbox::hiddenWorkingFolderIsNamed()
{
    McpServerConfig c = probeServer(QStringLiteral("boxed"), true);
    c.cwd = path(QStringLiteral("private"));
    save(c);
    const McpServerStatus s = test(QStringLiteral("boxed"));
    QCOMPARE(s.state, QStringLiteral("failed"));
    QVERIFY2(s.error.contains(path(QStringLiteral("private"))), qPrintable(s.error));
    QVERIFY2(s.error.contains(QLatin1String("sandbox")), qPrintable(s.error));
    QCOMPARE(s.restarts, 0);

    // Shown read-only, the same folder works.
    c.readOnlyPaths.append(path(QStringLiteral("private")));
    save(c);
    const McpServerStatus works = test(QStringLiteral("boxed"));
    QVERIFY2(works.isReady(), qPrintable(works.error));
    const CallOutcome r = call(QStringLiteral("boxed"), QStringLiteral("read"),
                               { { QStringLiteral("path"), QStringLiteral("key.txt") } });
    QVERIFY2(r.ok, qPrintable(r.text));
    QCOMPARE(r.text, QStringLiteral("a private key nobody shared\n"));
}

QTEST_GUILESS_MAIN(tst_McpSandbox)
#include "tst_mcpsandbox.moc"
