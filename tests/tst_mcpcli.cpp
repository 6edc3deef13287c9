// The user's MCP servers end to end through the real `spool` binary (issue 13): a Claude Desktop
// mcpServers file imported, the servers listed and started, their tools listed, and the agent
// calling them in `spool chat` through policy, approval and the tape. The servers are the
// reference servers from npm (scripts/install-test-tools into <build>/test-tools):
// @modelcontextprotocol/server-everything and @modelcontextprotocol/server-filesystem, found
// through the `mcp/path` setting as a desktop session would find them.
#include "spoolprocess.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <memory>

class tst_McpCli : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void importListAndTools();
    void missingCommandIsNamed();
    void agentCallsServerTool_data();
    void agentCallsServerTool();
    void policyTargetsServer();
    void denialReachesNoServer();
    void toggles();
    void exportKeepsSecretsOut();
    void elicitationOnTheTape();
    void elicitationOnATerminal_data();
    void elicitationOnATerminal();
    void serverLimitedToAgents();
    void adoptedRunWaitsForItsServer();
    void misbehavingServers_data();
    void misbehavingServers();

private:
    using Output = Spool::Test::SpoolOutput;
    QProcessEnvironment environment(int approvalTimeoutMs = 0) const;
    Output spool(const QStringList &args, const QByteArray &stdinData = {}, int approvalTimeoutMs = 0);
    // `spool ARGS` on a pseudo-terminal (tests/fixtures/pty_session.py), typing each step's
    // answer once its text shows; what the terminal showed is the output.
    Output spoolOnTerminal(const QStringList &args, const QJsonArray &steps);
    void addEverything(const QStringList &options = {});
    QJsonValue json(const QStringList &args);
    void importServers();
    // The one run of a chat, its tape events in order.
    QList<QJsonObject> lastRunTape();
    static QJsonObject firstOfKind(const QList<QJsonObject> &tape, const QString &kind);

    QString m_tools;
    std::unique_ptr<QTemporaryDir> m_dir;
    QList<QProcess *> m_background;
};

namespace {

const QByteArray kSecret = QByteArrayLiteral("sk-test-9f8e7d6c5b4a39281706");

} // namespace

void tst_McpCli::initTestCase()
{
    m_tools = QStringLiteral(SPOOL_TEST_TOOLS_DIR "/node_modules/.bin");
    if (!QFile::exists(m_tools + QStringLiteral("/mcp-server-everything"))
        || !QFile::exists(m_tools + QStringLiteral("/mcp-server-filesystem")))
        QSKIP("the reference servers are not installed; run scripts/install-test-tools");
}

void tst_McpCli::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    QVERIFY(QDir().mkpath(m_dir->filePath(QStringLiteral("config"))));
    QVERIFY(QDir().mkpath(m_dir->filePath(QStringLiteral("shared"))));
    // The PATH setting: the folder of the servers' launchers, not $PATH.
    QFile conf(m_dir->filePath(QStringLiteral("config/spool.conf")));
    QVERIFY(conf.open(QIODevice::WriteOnly));
    conf.write("[mcp]\npath=" + m_tools.toUtf8() + "\n");
    conf.close();
    QFile note(m_dir->filePath(QStringLiteral("shared/note.txt")));
    QVERIFY(note.open(QIODevice::WriteOnly));
    note.write("the shared note says hello\n");
}

void tst_McpCli::cleanup()
{
    Spool::Test::stopAll(m_background);
    m_dir.reset();
}

QProcessEnvironment tst_McpCli::environment(int approvalTimeoutMs) const
{
    QProcessEnvironment env = Spool::Test::spoolEnvironment(m_dir->path());
    if (approvalTimeoutMs > 0)
        env.insert(QStringLiteral("SPOOL_APPROVAL_TIMEOUT_MS"), QString::number(approvalTimeoutMs));
    env.insert(QStringLiteral("SPOOL_KEYSTORE"), QStringLiteral("file")); // never the user's keychain
    return env;
}

tst_McpCli::Output tst_McpCli::spool(const QStringList &args, const QByteArray &stdinData, int approvalTimeoutMs)
{
    return Spool::Test::runSpool(environment(approvalTimeoutMs), args, stdinData, 120000);
}

tst_McpCli::Output tst_McpCli::spoolOnTerminal(const QStringList &args, const QJsonArray &steps)
{
    const QStringList driver{QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/pty_session.py"),
                             QString::fromUtf8(QJsonDocument(steps).toJson(QJsonDocument::Compact)),
                             QStringLiteral("100"), QStringLiteral("--"), QStringLiteral(SPOOL_BINARY)};
    QProcess p;
    p.setProcessEnvironment(environment());
    p.start(QStringLiteral("python3"), driver + args);
    Output o;
    if (!p.waitForStarted(10000) || !Spool::Test::waitForExit(&p, 120000))
        return o;
    o.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    o.out = QString::fromUtf8(p.readAllStandardOutput());
    o.err = QString::fromUtf8(p.readAllStandardError());
    return o;
}

void tst_McpCli::addEverything(const QStringList &options)
{
    const Output added = spool(QStringList{QStringLiteral("mcp"), QStringLiteral("add"), QStringLiteral("everything")}
                               + options
                               + QStringList{QStringLiteral("--"), QStringLiteral("mcp-server-everything"), QStringLiteral("stdio")});
    QVERIFY2(added.code == 0, qPrintable(added.out + added.err));
}

QJsonValue tst_McpCli::json(const QStringList &args)
{
    const Output o = spool(args + QStringList{QStringLiteral("--json")});
    const QJsonDocument doc = QJsonDocument::fromJson(o.out.toUtf8());
    if (doc.isArray())
        return doc.array();
    return doc.object();
}

void tst_McpCli::importServers()
{
    // What Claude Desktop keeps in claude_desktop_config.json: stdio servers by command, args
    // and env, remote ones by url and headers. The remote one points at a closed port.
    const QJsonObject file{
            {QStringLiteral("mcpServers"),
             QJsonObject{
                     {QStringLiteral("everything"),
                      QJsonObject{{QStringLiteral("command"), QStringLiteral("mcp-server-everything")},
                                  {QStringLiteral("args"), QJsonArray{QStringLiteral("stdio")}},
                                  {QStringLiteral("env"), QJsonObject{{QStringLiteral("EXAMPLE_API_KEY"), QString::fromLatin1(kSecret)},
                                                                      {QStringLiteral("LOG_LEVEL"), QStringLiteral("info")}}}}},
                     {QStringLiteral("files"),
                      QJsonObject{{QStringLiteral("command"), QStringLiteral("mcp-server-filesystem")},
                                  {QStringLiteral("args"), QJsonArray{m_dir->filePath(QStringLiteral("shared"))}}}},
                     {QStringLiteral("remote"),
                      QJsonObject{{QStringLiteral("url"), QStringLiteral("http://127.0.0.1:9/mcp")},
                                  {QStringLiteral("headers"), QJsonObject{{QStringLiteral("X-Team"), QStringLiteral("blue")}}}}},
                     {QStringLiteral("missing"),
                      QJsonObject{{QStringLiteral("command"), QStringLiteral("no-such-mcp-server-xyz")}}},
             }}};
    const QString path = m_dir->filePath(QStringLiteral("claude_desktop_config.json"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(file).toJson());
    f.close();
    const Output o = spool({QStringLiteral("mcp"), QStringLiteral("import"), path});
    QVERIFY2(o.code == 0, qPrintable(o.err));
    QVERIFY2(o.out.contains(QStringLiteral("Imported 4 servers")), qPrintable(o.out));
    QVERIFY2(o.out.contains(QStringLiteral("EXAMPLE_API_KEY")), qPrintable(o.out)); // named as kept in the keychain
}

QList<QJsonObject> tst_McpCli::lastRunTape()
{
    const QJsonArray runs = json({QStringLiteral("runs"), QStringLiteral("list")}).toArray();
    if (runs.isEmpty())
        return {};
    const QString id = runs.at(0).toObject().value(QStringLiteral("id")).toString();
    const Output o = spool({QStringLiteral("tape"), id, QStringLiteral("--json")});
    QList<QJsonObject> events;
    for (const QString &line : o.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        events.append(QJsonDocument::fromJson(line.toUtf8()).object());
    return events;
}

QJsonObject tst_McpCli::firstOfKind(const QList<QJsonObject> &tape, const QString &kind)
{
    for (const QJsonObject &e : tape) {
        if (e.value(QStringLiteral("kind")).toString() == kind)
            return e.value(QStringLiteral("payload")).toObject();
    }
    return {};
}

void tst_McpCli::importListAndTools()
{
    importServers();
    if (QTest::currentTestFailed())
        return;

    // The secret went to the key store, not into mcp.json.
    QFile mcpJson(m_dir->filePath(QStringLiteral("config/mcp.json")));
    QVERIFY(mcpJson.open(QIODevice::ReadOnly));
    const QByteArray written = mcpJson.readAll();
    QVERIFY(!written.contains(kSecret));
    QVERIFY(written.contains("mcpServers"));

    const QJsonObject list = json({QStringLiteral("mcp"), QStringLiteral("list")}).toObject();
    QHash<QString, QString> transports;
    for (const QJsonValue &v : list.value(QStringLiteral("servers")).toArray())
        transports.insert(v[QStringLiteral("name")].toString(), v[QStringLiteral("transport")].toString());
    QCOMPARE(transports.size(), 4);
    QCOMPARE(transports.value(QStringLiteral("everything")), QStringLiteral("stdio"));
    QCOMPARE(transports.value(QStringLiteral("remote")), QStringLiteral("http"));
    const Output human = spool({QStringLiteral("mcp"), QStringLiteral("list")});
    QCOMPARE(human.code, 0);
    QVERIFY2(human.out.contains(QStringLiteral("secrets in the keychain: EXAMPLE_API_KEY")), qPrintable(human.out));

    // Started on demand, listed with their Spool names.
    const QJsonObject everything = json({QStringLiteral("mcp"), QStringLiteral("tools"), QStringLiteral("everything")}).toObject();
    QCOMPARE(everything.value(QStringLiteral("state")).toString(), QStringLiteral("ready"));
    QVERIFY(!everything.value(QStringLiteral("protocol_version")).toString().isEmpty());
    QStringList names;
    for (const QJsonValue &t : everything.value(QStringLiteral("tools")).toArray())
        names.append(t[QStringLiteral("spool_name")].toString());
    QVERIFY2(names.contains(QStringLiteral("mcp.everything.echo")), qPrintable(names.join(QLatin1Char(' '))));
    const Output files = spool({QStringLiteral("mcp"), QStringLiteral("tools"), QStringLiteral("files")});
    QVERIFY2(files.code == 0, qPrintable(files.out + files.err));
    QVERIFY2(files.out.contains(QStringLiteral("mcp.files.read_text_file")), qPrintable(files.out));

    // A remote server that is not there: a clear failure, not a hang.
    const Output remote = spool({QStringLiteral("mcp"), QStringLiteral("test"), QStringLiteral("remote"),
                                 QStringLiteral("--wait"), QStringLiteral("30")});
    QVERIFY(remote.code != 0);
    QVERIFY2(remote.out.contains(QStringLiteral("error: ")), qPrintable(remote.out));
    QVERIFY2(remote.out.contains(QStringLiteral("127.0.0.1:9")), qPrintable(remote.out));
}

void tst_McpCli::missingCommandIsNamed()
{
    importServers();
    if (QTest::currentTestFailed())
        return;
    const Output o = spool({QStringLiteral("mcp"), QStringLiteral("test"), QStringLiteral("missing")});
    QVERIFY(o.code != 0);
    // The message names the command and where it was looked for, the PATH setting among them.
    QVERIFY2(o.out.contains(QStringLiteral("no-such-mcp-server-xyz")), qPrintable(o.out));
    QVERIFY2(o.out.contains(m_tools), qPrintable(o.out));
}

void tst_McpCli::agentCallsServerTool_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QString>("arguments");
    QTest::addColumn<QString>("expected");
    QTest::newRow("everything echo") << QStringLiteral("everything") << QStringLiteral("echo")
                                     << QStringLiteral("{\"message\": \"hello over mcp\"}")
                                     << QStringLiteral("hello over mcp");
    QTest::newRow("filesystem read") << QStringLiteral("files") << QStringLiteral("read_text_file")
                                     << QStringLiteral("{\"path\": \"SHARED/note.txt\"}") // the test's folder, filled in below
                                     << QStringLiteral("the shared note says hello");
}

void tst_McpCli::agentCallsServerTool()
{
    QFETCH(QString, server);
    QFETCH(QString, tool);
    QFETCH(QString, arguments);
    QFETCH(QString, expected);
    arguments.replace(QStringLiteral("SHARED"), m_dir->filePath(QStringLiteral("shared")));
    importServers();
    if (QTest::currentTestFailed())
        return;
    const QString name = QStringLiteral("mcp.%1.%2").arg(server, tool);
    const Output chat = spool({QStringLiteral("chat"), QStringLiteral("--approve"),
                               QStringLiteral("[[tool %1 %2]]").arg(name, arguments)});
    QVERIFY2(chat.code == 0, qPrintable(chat.out + chat.err));
    QVERIFY2(chat.out.contains(expected), qPrintable(chat.out));

    const QList<QJsonObject> tape = lastRunTape();
    const QJsonObject call = firstOfKind(tape, QStringLiteral("tool.call"));
    QCOMPARE(call.value(QStringLiteral("tool")).toString(), name);
    QCOMPARE(call.value(QStringLiteral("server")).toString(), server);
    QCOMPARE(call.value(QStringLiteral("server_tool")).toString(), tool);
    const QString version = call.value(QStringLiteral("protocol_version")).toString();
    QVERIFY2(version.startsWith(QStringLiteral("20")), qPrintable(version));

    // MCP tools ask by default, and the question names the server.
    const QJsonObject decision = firstOfKind(tape, QStringLiteral("policy.decision"));
    QCOMPARE(decision.value(QStringLiteral("decision")).toString(), QStringLiteral("ask"));
    const QJsonObject approval = firstOfKind(tape, QStringLiteral("approval.request"));
    const QJsonObject preview = approval.value(QStringLiteral("preview")).toObject();
    QCOMPARE(preview.value(QStringLiteral("kind")).toString(), QStringLiteral("mcp"));
    QCOMPARE(preview.value(QStringLiteral("server")).toString(), server);
    QCOMPARE(preview.value(QStringLiteral("tool")).toString(), tool);
    QVERIFY(!firstOfKind(tape, QStringLiteral("approval.decision")).isEmpty());

    const QJsonObject output = firstOfKind(tape, QStringLiteral("tool.output"));
    QVERIFY(output.value(QStringLiteral("ok")).toBool());
    QCOMPARE(output.value(QStringLiteral("server")).toString(), server);
    QCOMPARE(output.value(QStringLiteral("protocol_version")).toString(), version);
    QVERIFY2(output.value(QStringLiteral("output")).toString().contains(expected), qPrintable(output.value(QStringLiteral("output")).toString()));

    // The server's secret environment never reaches the tape.
    for (const QJsonObject &e : tape)
        QVERIFY(!QJsonDocument(e).toJson().contains(kSecret));
}

void tst_McpCli::policyTargetsServer()
{
    importServers();
    if (QTest::currentTestFailed())
        return;
    // A policy of the user's can single out one server by name.
    QVERIFY(QDir().mkpath(m_dir->filePath(QStringLiteral("config/policies"))));
    QFile policy(m_dir->filePath(QStringLiteral("config/policies/mcp.cedar")));
    QVERIFY(policy.open(QIODevice::WriteOnly));
    policy.write("@id(\"no-files-server\")\n"
                 "forbid (principal, action, resource) when { context.server == \"files\" };\n");
    policy.close();

    const Output chat = spool({QStringLiteral("chat"), QStringLiteral("--approve"),
                               QStringLiteral("[[tool mcp.files.list_allowed_directories {}]]")});
    QVERIFY2(chat.code != 0 || chat.err.contains(QStringLiteral("no-files-server")) || chat.out.contains(QStringLiteral("no-files-server")),
             qPrintable(chat.out + chat.err));
    const QList<QJsonObject> tape = lastRunTape();
    const QJsonObject decision = firstOfKind(tape, QStringLiteral("policy.decision"));
    QCOMPARE(decision.value(QStringLiteral("decision")).toString(), QStringLiteral("deny"));
    QVERIFY2(QJsonDocument(decision).toJson().contains("no-files-server"), QJsonDocument(decision).toJson().constData());
    QVERIFY(firstOfKind(tape, QStringLiteral("approval.request")).isEmpty());
    QVERIFY(!firstOfKind(tape, QStringLiteral("tool.output")).value(QStringLiteral("ok")).toBool());

    // The same user's other server still asks.
    const Output other = spool({QStringLiteral("chat"), QStringLiteral("--approve"),
                                QStringLiteral("[[tool mcp.everything.echo {\"message\": \"still here\"}]]")});
    QVERIFY2(other.code == 0, qPrintable(other.out + other.err));
    QCOMPARE(firstOfKind(lastRunTape(), QStringLiteral("policy.decision")).value(QStringLiteral("decision")).toString(),
             QStringLiteral("ask"));
}

void tst_McpCli::denialReachesNoServer()
{
    importServers();
    if (QTest::currentTestFailed())
        return;
    const Output chat = spool({QStringLiteral("chat"), QStringLiteral("--deny"),
                               QStringLiteral("[[tool mcp.everything.echo {\"message\": \"never sent\"}]]")});
    const QList<QJsonObject> tape = lastRunTape();
    const QJsonObject output = firstOfKind(tape, QStringLiteral("tool.output"));
    QVERIFY2(!output.isEmpty(), qPrintable(chat.out + chat.err));
    QVERIFY(!output.value(QStringLiteral("ok")).toBool());
    QVERIFY(!output.value(QStringLiteral("output")).toString().contains(QStringLiteral("Echo: never sent")));

    // Off a terminal and without a flag, the question names the server and waits for another
    // front end; unanswered, it times out as a denial.
    const Output waiting = spool({QStringLiteral("chat"), QStringLiteral("[[tool mcp.everything.echo {\"message\": \"unanswered\"}]]")},
                                 {}, 3000);
    QVERIFY2(waiting.err.contains(QStringLiteral("on the MCP server \"everything\"")), qPrintable(waiting.err));
    const QList<QJsonObject> timedOut = lastRunTape();
    QCOMPARE(firstOfKind(timedOut, QStringLiteral("approval.decision")).value(QStringLiteral("decision")).toString(),
             QStringLiteral("timeout"));
    QVERIFY(!firstOfKind(timedOut, QStringLiteral("tool.output")).value(QStringLiteral("ok")).toBool());
}

void tst_McpCli::toggles()
{
    importServers();
    if (QTest::currentTestFailed())
        return;
    QCOMPARE(spool({QStringLiteral("mcp"), QStringLiteral("disable"), QStringLiteral("everything"), QStringLiteral("echo")}).code, 0);
    const QJsonObject everything = json({QStringLiteral("mcp"), QStringLiteral("tools"), QStringLiteral("everything")}).toObject();
    bool found = false;
    for (const QJsonValue &t : everything.value(QStringLiteral("tools")).toArray()) {
        if (t[QStringLiteral("name")].toString() == QLatin1String("echo")) {
            found = true;
            QVERIFY(!t[QStringLiteral("enabled")].toBool());
            QVERIFY(!t[QStringLiteral("offered")].toBool());
        }
    }
    QVERIFY(found);
    // A disabled tool is not offered: the call is refused as an unknown tool, never sent.
    spool({QStringLiteral("chat"), QStringLiteral("--approve"), QStringLiteral("[[tool mcp.everything.echo {\"message\": \"off\"}]]")});
    const QJsonObject output = firstOfKind(lastRunTape(), QStringLiteral("tool.output"));
    QVERIFY(!output.value(QStringLiteral("ok")).toBool());

    QCOMPARE(spool({QStringLiteral("mcp"), QStringLiteral("disable"), QStringLiteral("files")}).code, 0);
    const QJsonObject list = json({QStringLiteral("mcp"), QStringLiteral("list")}).toObject();
    for (const QJsonValue &v : list.value(QStringLiteral("servers")).toArray()) {
        if (v[QStringLiteral("name")].toString() == QLatin1String("files"))
            QVERIFY(!v[QStringLiteral("enabled")].toBool());
    }
    const Output unknown = spool({QStringLiteral("mcp"), QStringLiteral("disable"), QStringLiteral("nobody")});
    QVERIFY(unknown.code != 0);
    QVERIFY2(unknown.err.contains(QStringLiteral("nobody")), qPrintable(unknown.err));
}

void tst_McpCli::exportKeepsSecretsOut()
{
    importServers();
    if (QTest::currentTestFailed())
        return;
    const Output plain = spool({QStringLiteral("mcp"), QStringLiteral("export")});
    QCOMPARE(plain.code, 0);
    const QJsonObject servers = QJsonDocument::fromJson(plain.out.toUtf8()).object().value(QStringLiteral("mcpServers")).toObject();
    QCOMPARE(servers.size(), 4);
    QCOMPARE(servers.value(QStringLiteral("remote"))[QStringLiteral("url")].toString(), QStringLiteral("http://127.0.0.1:9/mcp"));
    QVERIFY(!plain.out.contains(QString::fromLatin1(kSecret)));
    const Output full = spool({QStringLiteral("mcp"), QStringLiteral("export"), QStringLiteral("--with-secrets")});
    QCOMPARE(full.code, 0);
    QVERIFY2(full.out.contains(QString::fromLatin1(kSecret)), qPrintable(full.out));
}

void tst_McpCli::elicitationOnTheTape()
{
    importServers();
    if (QTest::currentTestFailed())
        return;
    // Off a terminal no one can answer: the server's question is declined at once (not left to
    // hang the call), and the question and its answer go on the run's tape.
    const Output chat = spool({QStringLiteral("chat"), QStringLiteral("--approve"),
                               QStringLiteral("[[tool mcp.everything.trigger-elicitation-request {}]]")});
    QVERIFY2(chat.code == 0, qPrintable(chat.out + chat.err));
    const QList<QJsonObject> tape = lastRunTape();
    const QJsonObject question = firstOfKind(tape, QStringLiteral("mcp.elicitation"));
    QVERIFY2(!question.isEmpty(), qPrintable(chat.out + chat.err));
    QCOMPARE(question.value(QStringLiteral("server")).toString(), QStringLiteral("everything"));
    QCOMPARE(question.value(QStringLiteral("action")).toString(), QStringLiteral("decline"));
    QCOMPARE(question.value(QStringLiteral("answered_by")).toString(), QStringLiteral("system"));
    QCOMPARE(question.value(QStringLiteral("call_id")).toString(),
             firstOfKind(tape, QStringLiteral("tool.call")).value(QStringLiteral("call_id")).toString());
    QVERIFY(question.value(QStringLiteral("schema")).toObject().contains(QStringLiteral("properties")));
    const QJsonObject output = firstOfKind(tape, QStringLiteral("tool.output"));
    QVERIFY2(output.value(QStringLiteral("output")).toString().contains(QStringLiteral("User declined")),
             qPrintable(output.value(QStringLiteral("output")).toString()));
}

void tst_McpCli::elicitationOnATerminal_data()
{
    QTest::addColumn<QJsonArray>("steps"); // [text on the terminal, what is typed]
    QTest::addColumn<QString>("action");
    QTest::addColumn<QString>("expected"); // in the tool's output
    // The fields come required first, then by name; Enter takes the schema's default or leaves
    // the field out.
    const auto step = [](const char *expect, const char *send) {
        return QJsonArray{QString::fromUtf8(expect), QString::fromUtf8(send)};
    };
    QTest::newRow("answered, defaults kept")
            << QJsonArray{step("[c] cancel > ", "a"),          step("legal name", "Ada Lovelace"),
                          step("date of birth", ""),            step("Agree to the terms", "y"),
                          step("Your email address", ""),       step("first line of a story", ""),
                          step("Portfolio", ""),                step("favorite integer", ""),
                          step("favorite type of pet", ""),     step("Favorite number", "7"),
                          step("types of fish", ""),            step("favorite hero", "2"),
                          step("favorite instruments", ""),     step("favorite friend", "")}
            << QStringLiteral("accept") << QStringLiteral("User provided the requested information");
    QTest::newRow("declined") << QJsonArray{step("[c] cancel > ", "d")} << QStringLiteral("decline")
                              << QStringLiteral("User declined");
    QTest::newRow("cancelled") << QJsonArray{step("[c] cancel > ", "c")} << QStringLiteral("cancel")
                               << QStringLiteral("User cancelled");
}

void tst_McpCli::elicitationOnATerminal()
{
    QFETCH(QJsonArray, steps);
    QFETCH(QString, action);
    QFETCH(QString, expected);
    addEverything();
    if (QTest::currentTestFailed())
        return;
    // At a terminal the question is put to the person there, field by field.
    const Output chat = spoolOnTerminal({QStringLiteral("chat"), QStringLiteral("--approve"),
                                         QStringLiteral("[[tool mcp.everything.trigger-elicitation-request {}]]")},
                                        steps);
    QVERIFY2(chat.code == 0, qPrintable(chat.out + chat.err));
    QVERIFY2(chat.out.contains(QStringLiteral("The MCP server \"everything\" asks you")), qPrintable(chat.out));
    QVERIFY2(chat.out.contains(QStringLiteral("sent to everything: %1").arg(action)), qPrintable(chat.out));

    const QList<QJsonObject> tape = lastRunTape();
    const QJsonObject question = firstOfKind(tape, QStringLiteral("mcp.elicitation"));
    QCOMPARE(question.value(QStringLiteral("action")).toString(), action);
    QCOMPARE(question.value(QStringLiteral("answered_by")).toString(), QStringLiteral("cli"));
    QCOMPARE(question.value(QStringLiteral("call_id")).toString(),
             firstOfKind(tape, QStringLiteral("tool.call")).value(QStringLiteral("call_id")).toString());
    const QString output = firstOfKind(tape, QStringLiteral("tool.output")).value(QStringLiteral("output")).toString();
    QVERIFY2(output.contains(expected), qPrintable(output));
    if (action != QLatin1String("accept")) {
        QVERIFY(!question.contains(QStringLiteral("content")));
        return;
    }
    // What was typed, and the defaults of the fields left to Enter; nothing for the fields
    // without a default.
    const QJsonObject content = question.value(QStringLiteral("content")).toObject();
    QCOMPARE(content.value(QStringLiteral("name")).toString(), QStringLiteral("Ada Lovelace"));
    QCOMPARE(content.value(QStringLiteral("check")).toBool(false), true);
    QCOMPARE(content.value(QStringLiteral("number")).toDouble(), 7.0);
    QCOMPARE(content.value(QStringLiteral("titledSingleSelectEnum")).toString(), QStringLiteral("hero-2"));
    QCOMPARE(content.value(QStringLiteral("integer")).toInt(), 42);
    QCOMPARE(content.value(QStringLiteral("firstLine")).toString(), QStringLiteral("It was a dark and stormy night."));
    QCOMPARE(content.value(QStringLiteral("untitledSingleSelectEnum")).toString(), QStringLiteral("Monica"));
    QVERIFY(!content.contains(QStringLiteral("email")));
    QVERIFY(!content.contains(QStringLiteral("birthdate")));
    // The server got the same: its reply repeats the answers, the defaults among them.
    QVERIFY2(output.contains(QStringLiteral("Name: Ada Lovelace")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("Agreed to terms: true")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("Favorite Integer: 42")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("Favorite Number: 7")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("It was a dark and stormy night.")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("hero-2")), qPrintable(output));
}

void tst_McpCli::serverLimitedToAgents()
{
    addEverything({QStringLiteral("--agent"), QStringLiteral("helper")});
    if (QTest::currentTestFailed())
        return;
    const Output agent = spool({QStringLiteral("agents"), QStringLiteral("set"), QStringLiteral("helper"),
                                QStringLiteral("--provider"), QStringLiteral("deterministic")});
    QVERIFY2(agent.code == 0, qPrintable(agent.out + agent.err));
    const QString call = QStringLiteral("[[tool mcp.everything.echo {\"message\": \"for helpers only\"}]]");
    // The first provider request of a run: the names of the tools it offered the model.
    const auto offeredTools = [](const QList<QJsonObject> &tape) {
        QStringList names;
        for (const QJsonValue &t : firstOfKind(tape, QStringLiteral("provider.request")).value(QStringLiteral("tools")).toArray())
            names.append(t[QStringLiteral("name")].toString());
        return names;
    };

    // The agent the server is for sees its tools and calls them.
    const Output allowed = spool({QStringLiteral("chat"), QStringLiteral("--agent"), QStringLiteral("helper"),
                                  QStringLiteral("--session"), QStringLiteral("helper"), QStringLiteral("--approve"), call});
    QVERIFY2(allowed.code == 0, qPrintable(allowed.out + allowed.err));
    const QList<QJsonObject> helperTape = lastRunTape();
    QVERIFY2(offeredTools(helperTape).contains(QStringLiteral("mcp.everything.echo")),
             qPrintable(offeredTools(helperTape).join(QLatin1Char(' '))));
    const QJsonObject helperOutput = firstOfKind(helperTape, QStringLiteral("tool.output"));
    QVERIFY(helperOutput.value(QStringLiteral("ok")).toBool());
    QVERIFY2(helperOutput.value(QStringLiteral("output")).toString().contains(QStringLiteral("for helpers only")),
             qPrintable(helperOutput.value(QStringLiteral("output")).toString()));

    // Another agent (the default one) is not offered any of them, and its call is refused as
    // a call of a tool it does not have: no approval asked, nothing sent to the server.
    const Output other = spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("other"),
                                QStringLiteral("--approve"), call});
    const QList<QJsonObject> otherTape = lastRunTape();
    const QStringList otherTools = offeredTools(otherTape);
    QVERIFY2(!otherTools.isEmpty(), qPrintable(other.out + other.err)); // the built-in tools are there
    for (const QString &name : otherTools)
        QVERIFY2(!name.startsWith(QStringLiteral("mcp.everything.")), qPrintable(name));
    QVERIFY(firstOfKind(otherTape, QStringLiteral("approval.request")).isEmpty());
    const QJsonObject otherOutput = firstOfKind(otherTape, QStringLiteral("tool.output"));
    QVERIFY2(!otherOutput.isEmpty(), qPrintable(other.out + other.err));
    QVERIFY(!otherOutput.value(QStringLiteral("ok")).toBool());
    QVERIFY2(otherOutput.value(QStringLiteral("output")).toString().contains(QStringLiteral("There is no tool named")),
             qPrintable(otherOutput.value(QStringLiteral("output")).toString()));
    const QString refusal = otherOutput.value(QStringLiteral("output")).toString();
    QVERIFY(!refusal.contains(QStringLiteral("Echo:")));
    // The tools it is told about are its own.
    const QString available = refusal.mid(refusal.indexOf(QStringLiteral("Available tools:")));
    QVERIFY2(!available.contains(QStringLiteral("mcp.everything.")), qPrintable(refusal));
}

void tst_McpCli::adoptedRunWaitsForItsServer()
{
    addEverything();
    if (QTest::currentTestFailed())
        return;
    // A run asks to call a server's tool; off a terminal, without a flag, it waits for a
    // decision from another front end.
    QProcess *chat = Spool::Test::startSpool(environment(), {QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("adopt"),
                                                             QStringLiteral("[[tool mcp.everything.echo {\"message\": \"carried on\"}]]")});
    m_background.append(chat);
    QJsonArray pending;
    QTRY_VERIFY_WITH_TIMEOUT(!(pending = json({QStringLiteral("approvals"), QStringLiteral("list")}).toArray()).isEmpty(),
                             Spool::Test::kProcessTimeoutMs);
    const QString runId = pending.at(0).toObject().value(QStringLiteral("run_id")).toString();
    QCOMPARE(pending.at(0).toObject().value(QStringLiteral("tool")).toString(), QStringLiteral("mcp.everything.echo"));
    // Its process dies while it waits.
    ::kill(pid_t(chat->processId()), SIGKILL);
    QVERIFY(Spool::Test::waitForExit(chat));

    // Another process takes it over and allows the call at once: this process has not started
    // the server yet, and carries the call out once the server's tools are there.
    const Output adopted = spool({QStringLiteral("runs"), QStringLiteral("adopt"), runId, QStringLiteral("--approve")});
    QVERIFY2(adopted.code == 0, qPrintable(adopted.out + adopted.err));

    const Output tapeOut = spool({QStringLiteral("tape"), runId, QStringLiteral("--json")});
    QList<QJsonObject> tape;
    for (const QString &line : tapeOut.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        tape.append(QJsonDocument::fromJson(line.toUtf8()).object());
    QCOMPARE(firstOfKind(tape, QStringLiteral("run.owner")).value(QStringLiteral("action")).toString(), QStringLiteral("adopted"));
    QCOMPARE(firstOfKind(tape, QStringLiteral("approval.decision")).value(QStringLiteral("decision")).toString(), QStringLiteral("allow"));
    const QJsonObject output = firstOfKind(tape, QStringLiteral("tool.output"));
    QVERIFY2(output.value(QStringLiteral("ok")).toBool(), qPrintable(output.value(QStringLiteral("output")).toString()));
    QCOMPARE(output.value(QStringLiteral("server")).toString(), QStringLiteral("everything"));
    QVERIFY2(output.value(QStringLiteral("output")).toString().contains(QStringLiteral("Echo: carried on")),
             qPrintable(output.value(QStringLiteral("output")).toString()));
    QCOMPARE(json({QStringLiteral("runs"), QStringLiteral("show"), runId}).toObject().value(QStringLiteral("state")).toString(),
             QStringLiteral("succeeded"));
}

void tst_McpCli::misbehavingServers_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("tool");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("expected"); // in the tool.output
    // Never initializes: the run stops waiting for it and goes on without its tools.
    QTest::newRow("never answers") << QStringLiteral("never-answers") << QStringLiteral("echo") << false
                                   << QStringLiteral("There is no tool named");
    // Stops answering during the call: the call's timeout ends it, the process group is ended.
    QTest::newRow("hangs on call") << QStringLiteral("hangs-on-call") << QStringLiteral("echo") << false
                                   << QStringLiteral("could not run echo");
    QTest::newRow("dies mid-call") << QStringLiteral("dies-mid-call") << QStringLiteral("echo") << false
                                   << QStringLiteral("could not run echo");
    // Lines that are not JSON-RPC between its messages are skipped (and logged).
    QTest::newRow("garbage between messages") << QStringLiteral("garbage") << QStringLiteral("echo") << true
                                              << QStringLiteral("called echo");
    QTest::newRow("50 MB reply") << QStringLiteral("huge") << QStringLiteral("big") << false
                                 << QStringLiteral("could not run big");
    // 500 tools: listed in pages; past the first 128 they are not offered.
    QTest::newRow("500 tools, one offered") << QStringLiteral("many-tools") << QStringLiteral("t007") << true
                                            << QStringLiteral("called t007");
    QTest::newRow("500 tools, one not offered") << QStringLiteral("many-tools") << QStringLiteral("t499") << false
                                                << QStringLiteral("There is no tool named");
}

void tst_McpCli::misbehavingServers()
{
    QFETCH(QString, mode);
    QFETCH(QString, tool);
    QFETCH(bool, ok);
    QFETCH(QString, expected);
    QFile conf(m_dir->filePath(QStringLiteral("config/spool.conf")));
    QVERIFY(conf.open(QIODevice::Append));
    conf.write("startup_wait_seconds=8\n"); // under [mcp]
    conf.close();
    const QString fixture = QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/mcp/hostile_server.py");
    const Output added = spool({QStringLiteral("mcp"), QStringLiteral("add"), QStringLiteral("hostile"),
                                QStringLiteral("--timeout"), QStringLiteral("5"), QStringLiteral("--"),
                                QStringLiteral("python3"), fixture, mode});
    QVERIFY2(added.code == 0, qPrintable(added.err));

    QElapsedTimer clock;
    clock.start();
    const Output chat = spool({QStringLiteral("chat"), QStringLiteral("--approve"),
                               QStringLiteral("[[tool mcp.hostile.%1 {}]]").arg(tool)});
    QVERIFY2(chat.code >= 0, "spool chat did not end"); // runSpool gives -1 when it had to kill it
    QVERIFY2(clock.elapsed() < 90000, qPrintable(QString::number(clock.elapsed())));
    const QList<QJsonObject> tape = lastRunTape();
    const QJsonObject output = firstOfKind(tape, QStringLiteral("tool.output"));
    QVERIFY2(!output.isEmpty(), qPrintable(chat.out + chat.err));
    QCOMPARE(output.value(QStringLiteral("ok")).toBool(), ok);
    QVERIFY2(output.value(QStringLiteral("output")).toString().contains(expected),
             qPrintable(output.value(QStringLiteral("output")).toString().left(2000)));
    // The run ended, one way or the other, and said so.
    QVERIFY(!firstOfKind(tape, QStringLiteral("assistant.message")).isEmpty());

    if (mode == QLatin1String("many-tools")) {
        const QJsonObject status = json({QStringLiteral("mcp"), QStringLiteral("test"), QStringLiteral("hostile")}).toObject();
        QCOMPARE(status.value(QStringLiteral("listed_tools")).toInt(), 500);
    }
}

QTEST_GUILESS_MAIN(tst_McpCli)
#include "tst_mcpcli.moc"
