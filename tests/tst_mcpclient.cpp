// The MCP client's own contract: JSON-RPC messages, command resolution, elicitation defaults,
// OAuth challenges, and real misbehaving stdio servers (tests/fixtures/mcp/hostile_server.py):
// each must end in a clear error or a clean result, never a hang, a crash or unbounded memory.
#include "mcp/mcpclient.h"
#include "mcp/mcpcommandresolver.h"
#include "mcp/mcpelicitation.h"
#include "mcp/mcpmessage.h"
#include "mcp/mcpoauthflow.h"
#include "mcp/mcpstdiotransport.h"
#include "mcp/mcptoolcall.h"
#include "processreaper.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

using namespace Spool;

class tst_McpClient : public QObject
{
    Q_OBJECT
private slots:
    void parsesMessages_data();
    void parsesMessages();
    void serializesMessages();
    void readsToolResults();
    void resolverNamesWhatItSearched();
    void resolverFindsNodeManagers();
    void elicitationDefaults();
    void parsesChallenges_data();
    void parsesChallenges();

    void commandNotFound();
    void neverAnswers();
    void hangingCallEndsTheProcessGroup();
    void stopCancelsAndEndsTheGroup();
    void diesMidCall();
    void garbageBetweenMessages();
    void answersTheServersRequests();
    void hugeResult_data();
    void hugeResult();
    void pagedTools();
    void listChangedBeforeTheAnswer();
    void unsupportedProtocolVersion();
};

namespace {

QString fixture()
{
    return QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/mcp/hostile_server.py");
}

McpClient *hostileClient(const QString &mode, McpClientOptions options = {},
                         QMap<QString, QString> env = {}, qsizetype maxBytes = 16 * 1024 * 1024)
{
    McpStdioConfig config;
    config.command = QStringLiteral("python3");
    config.args = {fixture(), mode};
    config.env = env;
    config.maxMessageBytes = maxBytes;
    config.stopGraceMs = 500;
    config.reaper = Spool::Test::processReaper();
    auto *client = new McpClient(new McpStdioTransport(config), options);
    client->setServerName(mode);
    return client;
}

// Blocks the test (not the client) until the client is ready or has failed.
bool startAndWait(McpClient *client, int timeoutMs = 20000)
{
    client->start();
    return QTest::qWaitFor([client] {
        return client->state() == McpClient::State::Ready || client->state() == McpClient::State::Failed
            || client->state() == McpClient::State::Closed;
    }, timeoutMs) && client->state() == McpClient::State::Ready;
}

Result<McpToolResult> callAndWait(McpToolCall *call, int timeoutMs = 30000)
{
    if (!QTest::qWaitFor([call] { return call->isFinished(); }, timeoutMs))
        return makeError(ErrorCode::Internal, QStringLiteral("the test gave up waiting"));
    return call->result();
}

qint64 peakRssKb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    return -1;
}

bool processGone(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return true;
    const QByteArray text = stat.readAll();
    const qsizetype close = text.lastIndexOf(')');
    return close > 0 && text.mid(close + 2, 1) == "Z"; // a zombie has stopped running
}

} // namespace

void tst_McpClient::parsesMessages_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("errorContains");

    QTest::newRow("request") << QByteArray(R"({"jsonrpc":"2.0","id":1,"method":"ping"})") << true << int(McpMessage::Kind::Request) << QString();
    QTest::newRow("string id") << QByteArray(R"({"jsonrpc":"2.0","id":"a","method":"x","params":{}})") << true << int(McpMessage::Kind::Request) << QString();
    QTest::newRow("notification") << QByteArray(R"({"jsonrpc":"2.0","method":"notifications/initialized"})") << true << int(McpMessage::Kind::Notification) << QString();
    QTest::newRow("result") << QByteArray(R"({"jsonrpc":"2.0","id":3,"result":{}})") << true << int(McpMessage::Kind::Result) << QString();
    QTest::newRow("error") << QByteArray(R"({"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}})") << true << int(McpMessage::Kind::Error) << QString();
    QTest::newRow("garbage") << QByteArray("npm WARN deprecated") << false << 0 << QStringLiteral("not JSON");
    QTest::newRow("truncated") << QByteArray(R"({"jsonrpc":"2.0","id":1,"res)") << false << 0 << QStringLiteral("not JSON");
    QTest::newRow("batch") << QByteArray(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])") << false << 0 << QStringLiteral("batch");
    QTest::newRow("wrong version") << QByteArray(R"({"jsonrpc":"1.0","id":1,"result":{}})") << false << 0 << QStringLiteral("JSON-RPC 2.0");
    QTest::newRow("not an object") << QByteArray("42") << false << 0 << QStringLiteral("not JSON");
    QTest::newRow("object id") << QByteArray(R"({"jsonrpc":"2.0","id":{},"method":"x"})") << false << 0 << QStringLiteral("string or a number");
    QTest::newRow("array params") << QByteArray(R"({"jsonrpc":"2.0","id":1,"method":"x","params":[1]})") << false << 0 << QStringLiteral("params must be an object");
    QTest::newRow("result without id") << QByteArray(R"({"jsonrpc":"2.0","result":{}})") << false << 0 << QStringLiteral("without an id");
    QTest::newRow("nothing") << QByteArray(R"({"jsonrpc":"2.0","id":1})") << false << 0 << QStringLiteral("neither");
}

void tst_McpClient::parsesMessages()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, ok);
    QFETCH(int, kind);
    QFETCH(QString, errorContains);
    const auto m = McpMessage::parse(bytes);
    QCOMPARE(m.ok(), ok);
    if (ok)
        QCOMPARE(int(m->kind()), kind);
    else
        QVERIFY2(m.errorMessage().contains(errorContains), qPrintable(m.errorMessage()));
}

void tst_McpClient::serializesMessages()
{
    const QByteArray request = McpMessage::request(7, QStringLiteral("tools/list"), {{QStringLiteral("cursor"), QStringLiteral("c")}}).serialize();
    QVERIFY(!request.contains('\n'));
    const auto back = McpMessage::parse(request);
    QVERIFY(back.ok());
    QCOMPARE(back->method(), QStringLiteral("tools/list"));
    QCOMPARE(back->idKey(), QStringLiteral("n:7"));
    QCOMPARE(back->params().value(QLatin1String("cursor")).toString(), QStringLiteral("c"));
    const auto error = McpMessage::parse(McpMessage::error(QJsonValue(QStringLiteral("x")), -32601, QStringLiteral("no")).serialize());
    QVERIFY(error.ok());
    QCOMPARE(error->errorCode(), -32601);
    QCOMPARE(error->idKey(), QStringLiteral("s:x"));
}

void tst_McpClient::readsToolResults()
{
    const QByteArray json = R"({
        "content": [
            {"type": "text", "text": "line one"},
            {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
            {"type": "audio", "data": "UklGRg==", "mimeType": "audio/wav"},
            {"type": "resource", "resource": {"uri": "file:///a.txt", "mimeType": "text/plain", "text": "inside"}},
            {"type": "resource", "resource": {"uri": "file:///b.bin", "blob": "AAEC"}},
            {"type": "resource_link", "uri": "file:///c.md", "name": "c.md", "description": "a link"},
            {"type": "text", "text": "line two"},
            {"type": "hologram"}
        ],
        "structuredContent": {"temperature": 21.5},
        "isError": true
    })";
    const McpToolResult r = McpToolResult::fromJson(QJsonDocument::fromJson(json).object());
    QCOMPARE(r.content.size(), 8);
    QCOMPARE(r.text(), QStringLiteral("line one\nline two"));
    QCOMPARE(r.content.at(1).type, McpContentBlock::Type::Image);
    QVERIFY(r.content.at(1).decoded().startsWith("\x89PNG"));
    QCOMPARE(r.content.at(2).type, McpContentBlock::Type::Audio);
    QCOMPARE(r.content.at(2).mimeType, QStringLiteral("audio/wav"));
    QCOMPARE(r.content.at(3).type, McpContentBlock::Type::Resource);
    QCOMPARE(r.content.at(3).uri, QStringLiteral("file:///a.txt"));
    QCOMPARE(r.content.at(3).text, QStringLiteral("inside"));
    QCOMPARE(r.content.at(4).decoded(), QByteArray("\x00\x01\x02", 3));
    QCOMPARE(r.content.at(5).type, McpContentBlock::Type::ResourceLink);
    QCOMPARE(r.content.at(5).name, QStringLiteral("c.md"));
    QCOMPARE(r.content.at(7).type, McpContentBlock::Type::Unknown); // kept, not dropped
    QVERIFY(r.hasStructuredContent);
    QCOMPARE(r.structuredContent.value(QLatin1String("temperature")).toDouble(), 21.5);
    QVERIFY(r.isError);
}

void tst_McpClient::resolverNamesWhatItSearched()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("PATH"), QStringLiteral("/nonexistent/a"));
    env.insert(QStringLiteral("HOME"), QStringLiteral("/nonexistent/home"));
    const McpCommandResolver resolver({QStringLiteral("/nonexistent/configured")}, env);
    const auto r = resolver.resolve(QStringLiteral("npx"));
    if (r.ok())
        QVERIFY(!r->program.startsWith(QLatin1String("/nonexistent"))); // a system npx is fine
    const auto missing = resolver.resolve(QStringLiteral("no-such-mcp-server-xyz"));
    QVERIFY(!missing.ok());
    const QString message = missing.errorMessage();
    QVERIFY2(message.contains(QLatin1String("\"no-such-mcp-server-xyz\"")), qPrintable(message));
    for (const QString &folder : {QStringLiteral("/nonexistent/configured"), QStringLiteral("/nonexistent/a"),
                                  QStringLiteral("/nonexistent/home/.volta/bin"), QStringLiteral("/nonexistent/home/.local/bin"),
                                  QStringLiteral("/nonexistent/home/.npm-global/bin"), QStringLiteral("/usr/local/bin")})
        QVERIFY2(message.contains(folder), qPrintable(folder + QStringLiteral(" missing from: ") + message));
    // The configured PATH comes first.
    QVERIFY(message.indexOf(QLatin1String("/nonexistent/configured")) < message.indexOf(QLatin1String("/nonexistent/a")));
}

void tst_McpClient::resolverFindsNodeManagers()
{
    QTemporaryDir home;
    QVERIFY(home.isValid());
    auto makeTool = [](const QString &path) {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#!/bin/sh\n");
        f.close();
        f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    };
    makeTool(home.filePath(QStringLiteral(".nvm/versions/node/v18.20.0/bin/mcp-fake")));
    makeTool(home.filePath(QStringLiteral(".nvm/versions/node/v20.11.1/bin/mcp-fake")));
    makeTool(home.filePath(QStringLiteral(".nvm/versions/node/v9.0.0/bin/mcp-fake")));
    makeTool(home.filePath(QStringLiteral(".volta/bin/volta-fake")));
    QProcessEnvironment env;
    env.insert(QStringLiteral("PATH"), QStringLiteral("/nonexistent"));
    env.insert(QStringLiteral("HOME"), home.path());
    const McpCommandResolver resolver({}, env);
    const auto nvm = resolver.resolve(QStringLiteral("mcp-fake"));
    QVERIFY2(nvm.ok(), qPrintable(nvm.errorMessage()));
    // The newest node version wins (numeric order, not text order: v20 > v18 > v9).
    QCOMPARE(nvm->program, home.filePath(QStringLiteral(".nvm/versions/node/v20.11.1/bin/mcp-fake")));
    QVERIFY(nvm->childPath.startsWith(home.filePath(QStringLiteral(".nvm/versions/node/v20.11.1/bin:"))));
    const auto volta = resolver.resolve(QStringLiteral("volta-fake"));
    QVERIFY2(volta.ok(), qPrintable(volta.errorMessage()));
    const auto notExecutable = resolver.resolve(home.filePath(QStringLiteral("nothing-here")));
    QVERIFY(!notExecutable.ok());
    QVERIFY(notExecutable.errorMessage().contains(QLatin1String("does not exist")));
}

void tst_McpClient::elicitationDefaults()
{
    const QJsonObject schema{{QStringLiteral("type"), QStringLiteral("object")},
                             {QStringLiteral("properties"), QJsonObject{
                                  {QStringLiteral("name"), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}, {QStringLiteral("default"), QStringLiteral("John Doe")}}},
                                  {QStringLiteral("age"), QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")}, {QStringLiteral("default"), 30}}},
                                  {QStringLiteral("ok"), QJsonObject{{QStringLiteral("type"), QStringLiteral("boolean")}, {QStringLiteral("default"), true}}},
                                  {QStringLiteral("none"), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}}}}}};
    const QJsonObject filled = McpElicitation::withDefaults(schema, {{QStringLiteral("age"), 41}});
    QCOMPARE(filled.value(QLatin1String("name")).toString(), QStringLiteral("John Doe"));
    QCOMPARE(filled.value(QLatin1String("age")).toInt(), 41); // the user's answer wins
    QCOMPARE(filled.value(QLatin1String("ok")).toBool(), true);
    QVERIFY(!filled.contains(QLatin1String("none")));
}

void tst_McpClient::parsesChallenges_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QString>("scope");
    QTest::addColumn<QString>("metadata");
    QTest::addColumn<QString>("error");
    QTest::newRow("sdk") << QByteArray(R"(Bearer error="invalid_token", error_description="Missing Authorization header", resource_metadata="http://localhost:1/.well-known/oauth-protected-resource/mcp")")
                         << QString() << QStringLiteral("http://localhost:1/.well-known/oauth-protected-resource/mcp") << QStringLiteral("invalid_token");
    QTest::newRow("scope") << QByteArray(R"(Bearer scope="mcp:basic mcp:write", resource_metadata="http://x/prm", error="insufficient_scope")")
                           << QStringLiteral("mcp:basic mcp:write") << QStringLiteral("http://x/prm") << QStringLiteral("insufficient_scope");
    QTest::newRow("token68 and case") << QByteArray(R"(bearer realm=example, Scope="a")") << QStringLiteral("a") << QString() << QString();
    QTest::newRow("not bearer") << QByteArray(R"(Basic realm="x")") << QString() << QString() << QString();
}

void tst_McpClient::parsesChallenges()
{
    QFETCH(QByteArray, header);
    QFETCH(QString, scope);
    QFETCH(QString, metadata);
    QFETCH(QString, error);
    const auto params = McpOAuthFlow::parseChallenge(header);
    QCOMPARE(params.value(QStringLiteral("scope")), scope);
    QCOMPARE(params.value(QStringLiteral("resource_metadata")), metadata);
    QCOMPARE(params.value(QStringLiteral("error")), error);
}

void tst_McpClient::commandNotFound()
{
    McpStdioConfig config;
    config.command = QStringLiteral("npx-that-is-not-installed");
    config.extraPath = {QStringLiteral("/opt/spool-test-path")};
    config.reaper = Spool::Test::processReaper();
    std::unique_ptr<McpClient> client(new McpClient(new McpStdioTransport(config)));
    QSignalSpy failed(client.get(), &McpClient::failed);
    client->start();
    QTRY_COMPARE(failed.count(), 1);
    const QString message = failed.first().first().value<Error>().message;
    QVERIFY2(message.contains(QLatin1String("\"npx-that-is-not-installed\" was not found")), qPrintable(message));
    QVERIFY2(message.contains(QLatin1String("/opt/spool-test-path")), qPrintable(message));
    QVERIFY(message.contains(QLatin1String("Searched")));
}

void tst_McpClient::neverAnswers()
{
    McpClientOptions options;
    options.initializeTimeoutMs = 1500;
    std::unique_ptr<McpClient> client(hostileClient(QStringLiteral("never-answers"), options));
    QSignalSpy failed(client.get(), &McpClient::failed);
    QSignalSpy closed(client.get(), &McpClient::closed);
    QVERIFY(!startAndWait(client.get()));
    QTRY_COMPARE(failed.count(), 1);
    const QString message = failed.first().first().value<Error>().message;
    QVERIFY2(message.contains(QLatin1String("initialize")) && message.contains(QLatin1String("timed out")), qPrintable(message));
    // The failed client closes its transport: the process goes away without our help.
    QTRY_VERIFY_WITH_TIMEOUT(closed.count() == 1, 10000);
}

void tst_McpClient::hangingCallEndsTheProcessGroup()
{
    QTemporaryDir dir;
    const QString pidFile = dir.filePath(QStringLiteral("pids"));
    McpClientOptions options;
    options.cancelGraceMs = 800;
    std::unique_ptr<McpClient> client(hostileClient(QStringLiteral("hangs-on-call"), options,
                                                    {{QStringLiteral("HOSTILE_PID_FILE"), pidFile}}));
    QVERIFY(startAndWait(client.get()));
    QSignalSpy closed(client.get(), &McpClient::closed);
    McpToolCall *call = client->callTool(QStringLiteral("echo"), {}, 1500);
    const auto r = callAndWait(call);
    QVERIFY(!r.ok());
    QVERIFY2(r.errorMessage().contains(QLatin1String("timed out")), qPrintable(r.errorMessage()));
    QTRY_VERIFY(QFile::exists(pidFile));
    QFile f(pidFile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> pids = f.readAll().trimmed().split(' ');
    QCOMPARE(pids.size(), 2);
    // The timeout sent notifications/cancelled, the ping after it went unanswered, and the
    // whole group went: the server and the child it started.
    QTRY_VERIFY_WITH_TIMEOUT(closed.count() == 1, 15000);
    const QString why = closed.first().first().value<Error>().message;
    QVERIFY2(why.contains(QLatin1String("process group")), qPrintable(why));
    QTRY_VERIFY_WITH_TIMEOUT(processGone(pids.at(0).toLongLong()), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(processGone(pids.at(1).toLongLong()), 10000);
    QVERIFY(client->serverLog().tail(50).contains(QLatin1String("did not answer a ping")));
}

void tst_McpClient::stopCancelsAndEndsTheGroup()
{
    QTemporaryDir dir;
    const QString pidFile = dir.filePath(QStringLiteral("pids"));
    std::unique_ptr<McpClient> client(hostileClient(QStringLiteral("hangs-on-call"), {},
                                                    {{QStringLiteral("HOSTILE_PID_FILE"), pidFile}}));
    QVERIFY(startAndWait(client.get()));
    McpToolCall *call = client->callTool(QStringLiteral("echo"), {});
    QTRY_VERIFY(QFile::exists(pidFile) && QFileInfo(pidFile).size() > 0);
    QFile f(pidFile);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QList<QByteArray> pids = f.readAll().trimmed().split(' ');
    QCOMPARE(pids.size(), 2);
    QSignalSpy closed(client.get(), &McpClient::closed);
    client->stop();
    // The call ends at once, cancelled; the server, which reads nothing any more, is sent
    // SIGTERM after the grace period and its whole group goes.
    QVERIFY(call->isFinished());
    QCOMPARE(call->result().error().code, ErrorCode::Cancelled);
    QTRY_COMPARE_WITH_TIMEOUT(closed.count(), 1, 10000);
    QVERIFY(!closed.first().first().value<Error>().isError());
    QCOMPARE(client->state(), McpClient::State::Closed);
    QTRY_VERIFY_WITH_TIMEOUT(processGone(pids.at(0).toLongLong()), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(processGone(pids.at(1).toLongLong()), 10000);
    QVERIFY(client->serverLog().tail(50).contains(QLatin1String("SIGTERM")));
}

void tst_McpClient::diesMidCall()
{
    std::unique_ptr<McpClient> client(hostileClient(QStringLiteral("dies-mid-call")));
    QVERIFY(startAndWait(client.get()));
    QSignalSpy closed(client.get(), &McpClient::closed);
    const auto r = callAndWait(client->callTool(QStringLiteral("echo"), {}));
    QVERIFY(!r.ok());
    QVERIFY2(r.errorMessage().contains(QLatin1String("exited with code 3")), qPrintable(r.errorMessage()));
    QVERIFY2(r.errorMessage().contains(QLatin1String("the database is locked")), qPrintable(r.errorMessage()));
    QTRY_COMPARE(closed.count(), 1);
    QCOMPARE(client->state(), McpClient::State::Failed);
    // A call after the death fails at once, saying why.
    const auto after = callAndWait(client->callTool(QStringLiteral("echo"), {}), 5000);
    QVERIFY(!after.ok());
    QVERIFY2(after.errorMessage().contains(QLatin1String("not ready")), qPrintable(after.errorMessage()));
}

void tst_McpClient::garbageBetweenMessages()
{
    std::unique_ptr<McpClient> client(hostileClient(QStringLiteral("garbage")));
    QVERIFY(startAndWait(client.get()));
    QCOMPARE(client->tools().size(), 2);
    const auto r = callAndWait(client->callTool(QStringLiteral("echo"), {{QStringLiteral("x"), 1}}));
    QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
    QCOMPARE(r->text(), QStringLiteral("called echo"));
    const QString log = client->serverLog().tail(200);
    QVERIFY(log.contains(QLatin1String("skipped a stdout line that is not JSON-RPC")));
    QVERIFY(log.contains(QLatin1String("batch")));
    QVERIFY(log.contains(QLatin1String("hostile server starting"))); // stderr is kept
}

void tst_McpClient::answersTheServersRequests()
{
    McpClientOptions options;
    options.roots = {QStringLiteral("file:///tmp/project")};
    std::unique_ptr<McpClient> client(hostileClient(QStringLiteral("garbage"), options));
    QVERIFY(startAndWait(client.get()));
    QTRY_VERIFY(client->serverLog().tail(100).contains(QLatin1String("client answered srv-3")));
    const QString log = client->serverLog().tail(100);
    const QString ping = QStringLiteral("client answered srv-1: {\"id\":\"srv-1\",\"jsonrpc\":\"2.0\",\"result\":{}}");
    const QString sampling = QStringLiteral("client answered srv-2: {\"error\":{\"code\":-32601");
    const QString roots = QStringLiteral("\"roots\":[{\"name\":\"project\",\"uri\":\"file:///tmp/project\"}]");
    QVERIFY2(log.contains(ping), qPrintable(log));
    QVERIFY2(log.contains(sampling), qPrintable(log));
    QVERIFY2(log.contains(roots), qPrintable(log));
}

void tst_McpClient::hugeResult_data()
{
    QTest::addColumn<int>("megabytes");
    QTest::addColumn<qsizetype>("cap");
    QTest::addColumn<bool>("ok");
    QTest::newRow("50 MB over the 16 MiB cap") << 50 << qsizetype(16 * 1024 * 1024) << false;
    QTest::newRow("20 MB under a 32 MiB cap") << 20 << qsizetype(32 * 1024 * 1024) << true;
}

void tst_McpClient::hugeResult()
{
    QFETCH(int, megabytes);
    QFETCH(qsizetype, cap);
    QFETCH(bool, ok);
    std::unique_ptr<McpClient> client(hostileClient(QStringLiteral("huge"), {},
                                                    {{QStringLiteral("HOSTILE_HUGE_MB"), QString::number(megabytes)}}, cap));
    QVERIFY(startAndWait(client.get()));
    const qint64 before = peakRssKb();
    const auto r = callAndWait(client->callTool(QStringLiteral("big"), {}), 60000);
    QCOMPARE(r.ok(), ok);
    if (ok) {
        QCOMPARE(r->text().size(), qsizetype(megabytes) * 1024 * 1024);
    } else {
        QVERIFY2(r.errorMessage().contains(QLatin1String("over the 16 MiB limit")), qPrintable(r.errorMessage()));
        // Dropped as it streamed: the peak grew by far less than the message.
        const qint64 growthMb = (peakRssKb() - before) / 1024;
        QVERIFY2(growthMb < 40, qPrintable(QStringLiteral("peak memory grew by %1 MB").arg(growthMb)));
    }
    // The connection survives: the next call works.
    const auto next = callAndWait(client->callTool(QStringLiteral("echo"), {}));
    QVERIFY2(next.ok(), qPrintable(next.errorMessage()));
    QCOMPARE(next->text(), QStringLiteral("called echo"));
}

void tst_McpClient::pagedTools()
{
    std::unique_ptr<McpClient> client(hostileClient(QStringLiteral("many-tools")));
    QVERIFY(startAndWait(client.get()));
    const QList<McpToolInfo> tools = client->tools();
    QCOMPARE(tools.size(), 500);
    QCOMPARE(tools.first().name, QStringLiteral("t000"));
    QCOMPARE(tools.last().name, QStringLiteral("t499"));
    QCOMPARE(tools.at(250).inputSchema.value(QLatin1String("type")).toString(), QStringLiteral("object"));
}

void tst_McpClient::listChangedBeforeTheAnswer()
{
    std::unique_ptr<McpClient> client(hostileClient(QStringLiteral("changes-early")));
    QSignalSpy changed(client.get(), &McpClient::toolsChanged);
    QVERIFY(startAndWait(client.get()));
    // The first answer was stale when it came; the client listed again before publishing.
    QStringList names;
    for (const McpToolInfo &t : client->tools())
        names.append(t.name);
    QCOMPARE(names, QStringList({QStringLiteral("old"), QStringLiteral("new")}));
    QCOMPARE(changed.count(), 1);
}

void tst_McpClient::unsupportedProtocolVersion()
{
    McpClientOptions options;
    options.protocolVersion = QStringLiteral("2024-11-05"); // the fixture echoes what it is asked
    std::unique_ptr<McpClient> client(hostileClient(QStringLiteral("garbage"), options));
    QSignalSpy failed(client.get(), &McpClient::failed);
    QVERIFY(!startAndWait(client.get()));
    QCOMPARE(failed.count(), 1);
    const QString message = failed.first().first().value<Error>().message;
    QVERIFY2(message.contains(QLatin1String("2024-11-05")) && message.contains(QLatin1String("2025-03-26")), qPrintable(message));
}

QTEST_GUILESS_MAIN(tst_McpClient)
#include "tst_mcpclient.moc"
