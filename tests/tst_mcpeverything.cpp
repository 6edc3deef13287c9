// The MCP client against the official reference servers from npm (installed by
// scripts/install-test-tools into <build>/test-tools): @modelcontextprotocol/server-everything
// over stdio and over Streamable HTTP, and @modelcontextprotocol/server-filesystem over stdio.
#include "mcp/mcpclient.h"
#include "mcp/mcphttptransport.h"
#include "mcp/mcpstdiotransport.h"
#include "mcp/mcptoolcall.h"
#include "processreaper.h"

#include <QDir>
#include <QFile>
#include <QNetworkAccessManager>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTimer>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using namespace Spool;

class tst_McpEverything : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();

    void initializesAndLists_data() { transports(); }
    void initializesAndLists();
    void plainCall_data() { transports(); }
    void plainCall();
    void progress_data() { transports(); }
    void progress();
    void contentTypes_data() { transports(); }
    void contentTypes();
    void elicitation_data();
    void elicitation();
    void cancelsALongCall_data() { transports(); }
    void cancelsALongCall();
    void serverLogging_data() { transports(); }
    void serverLogging();
    void httpSessionIsDeletedOnStop();
    void filesystemListsAndReads();

private:
    void transports();
    McpClient *makeClient(const QString &transport, McpClientOptions options = {});
    QString m_tools;
    QProcess m_httpServer;
    quint16 m_port = 0;
    QNetworkAccessManager *m_network = nullptr;
};

namespace {

// Answers every elicitation the way the test row says, after a turn of the event loop, as
// a dialog would.
class ScriptedElicitation : public McpElicitationHandler
{
public:
    McpElicitation::Action action = McpElicitation::Action::Accept;
    QJsonObject content;
    QList<McpElicitation> asked;
    void elicit(const McpElicitation &request, std::function<void(const McpElicitation &)> reply) override
    {
        asked.append(request);
        McpElicitation answer = request;
        answer.action = action;
        answer.content = content; // the client adds the schema's defaults
        QTimer::singleShot(0, [reply, answer] { reply(answer); });
    }
};

bool startAndWait(McpClient *client, int timeoutMs = 60000)
{
    client->start();
    return QTest::qWaitFor([client] {
        return client->state() != McpClient::State::Connecting && client->state() != McpClient::State::Idle;
    }, timeoutMs) && client->state() == McpClient::State::Ready;
}

Result<McpToolResult> callAndWait(McpToolCall *call, int timeoutMs = 60000)
{
    if (!QTest::qWaitFor([call] { return call->isFinished(); }, timeoutMs))
        return makeError(ErrorCode::Internal, QStringLiteral("the test gave up waiting"));
    return call->result();
}

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

QStringList names(const QList<McpToolInfo> &tools)
{
    QStringList out;
    for (const McpToolInfo &t : tools)
        out.append(t.name);
    return out;
}

} // namespace

void tst_McpEverything::transports()
{
    QTest::addColumn<QString>("transport");
    QTest::newRow("stdio") << QStringLiteral("stdio");
    QTest::newRow("http") << QStringLiteral("http");
}

void tst_McpEverything::initTestCase()
{
    m_tools = QStringLiteral(SPOOL_TEST_TOOLS_DIR "/node_modules/.bin");
    if (!QFile::exists(m_tools + QStringLiteral("/mcp-server-everything")))
        QSKIP("the reference servers are not installed; run scripts/install-test-tools");
    m_network = new QNetworkAccessManager(this);
    m_port = freePort();
    QVERIFY(m_port != 0);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PORT"), QString::number(m_port));
    env.insert(QStringLiteral("PATH"), m_tools + QLatin1Char(':') + env.value(QStringLiteral("PATH")));
    m_httpServer.setProcessEnvironment(env);
    m_httpServer.setProcessChannelMode(QProcess::MergedChannels);
    m_httpServer.start(m_tools + QStringLiteral("/mcp-server-everything"), {QStringLiteral("streamableHttp")});
    QVERIFY(m_httpServer.waitForStarted());
    QString output;
    QVERIFY2(QTest::qWaitFor([&] {
        output += QString::fromUtf8(m_httpServer.readAll());
        return output.contains(QLatin1String("listening on port"));
    }, 30000), qPrintable(output));
}

void tst_McpEverything::cleanupTestCase()
{
    if (m_httpServer.state() != QProcess::NotRunning) {
        m_httpServer.terminate();
        if (!m_httpServer.waitForFinished(5000))
            m_httpServer.kill();
    }
}

McpClient *tst_McpEverything::makeClient(const QString &transport, McpClientOptions options)
{
    McpTransport *t = nullptr;
    if (transport == QLatin1String("stdio")) {
        McpStdioConfig config;
        // Found through the resolver's PATH setting, as a user's `npx` would be.
        config.command = QStringLiteral("mcp-server-everything");
        config.args = {QStringLiteral("stdio")};
        config.extraPath = {m_tools};
        config.reaper = Spool::Test::processReaper();
        t = new McpStdioTransport(config);
    } else {
        McpHttpConfig config;
        config.url = QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_port));
        t = new McpHttpTransport(config, m_network);
    }
    auto *client = new McpClient(t, options);
    client->setServerName(QStringLiteral("everything"));
    return client;
}

void tst_McpEverything::initializesAndLists()
{
    QFETCH(QString, transport);
    ScriptedElicitation elicitation;
    std::unique_ptr<McpClient> client(makeClient(transport));
    client->setElicitationHandler(&elicitation);
    QVERIFY2(startAndWait(client.get()), qPrintable(client->lastError().message));
    QCOMPARE(client->serverInfo().value(QLatin1String("name")).toString(), QStringLiteral("mcp-servers/everything"));
    QVERIFY(McpClient::supportedProtocolVersions().contains(client->protocolVersion()));
    QVERIFY(!client->instructions().isEmpty());
    const QStringList tools = names(client->tools());
    for (const char *expected : {"echo", "get-tiny-image", "get-structured-content", "trigger-long-running-operation"})
        QVERIFY2(tools.contains(QLatin1String(expected)), qPrintable(tools.join(QLatin1Char(','))));
    // The server adds tools once it knows our capabilities and says so with list_changed:
    // the client's list follows.
    QTRY_VERIFY_WITH_TIMEOUT(names(client->tools()).contains(QLatin1String("trigger-elicitation-request")), 15000);
    const McpToolInfo echo = client->tools().at(names(client->tools()).indexOf(QLatin1String("echo")));
    QVERIFY(echo.readOnlyHint());
    QCOMPARE(echo.inputSchema.value(QLatin1String("type")).toString(), QStringLiteral("object"));
}

void tst_McpEverything::plainCall()
{
    QFETCH(QString, transport);
    std::unique_ptr<McpClient> client(makeClient(transport));
    QVERIFY2(startAndWait(client.get()), qPrintable(client->lastError().message));
    const auto r = callAndWait(client->callTool(QStringLiteral("echo"), {{QStringLiteral("message"), QStringLiteral("hello spool")}}));
    QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
    QVERIFY(!r->isError);
    QCOMPARE(r->text(), QStringLiteral("Echo: hello spool"));
    // A call the tool refuses is a tool error or a protocol error, never a success.
    const auto bad = callAndWait(client->callTool(QStringLiteral("echo"), {{QStringLiteral("message"), 42}}));
    QVERIFY(!bad.ok() || bad->isError);
}

void tst_McpEverything::progress()
{
    QFETCH(QString, transport);
    std::unique_ptr<McpClient> client(makeClient(transport));
    QVERIFY2(startAndWait(client.get()), qPrintable(client->lastError().message));
    McpToolCall *call = client->callTool(QStringLiteral("trigger-long-running-operation"),
                                         {{QStringLiteral("duration"), 1}, {QStringLiteral("steps"), 4}});
    QSignalSpy progress(call, &McpToolCall::progress);
    const auto r = callAndWait(call);
    QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
    QVERIFY(r->text().contains(QLatin1String("completed")));
    QCOMPARE(progress.count(), 4);
    QCOMPARE(progress.last().at(0).toDouble(), 4.0);
    QCOMPARE(progress.last().at(1).toDouble(), 4.0);
}

void tst_McpEverything::contentTypes()
{
    QFETCH(QString, transport);
    std::unique_ptr<McpClient> client(makeClient(transport));
    QVERIFY2(startAndWait(client.get()), qPrintable(client->lastError().message));
    const auto image = callAndWait(client->callTool(QStringLiteral("get-tiny-image"), {}));
    QVERIFY2(image.ok(), qPrintable(image.errorMessage()));
    bool sawImage = false;
    for (const McpContentBlock &b : image->content) {
        if (b.type != McpContentBlock::Type::Image)
            continue;
        sawImage = true;
        QCOMPARE(b.mimeType, QStringLiteral("image/png"));
        QVERIFY(b.decoded().startsWith("\x89PNG"));
    }
    QVERIFY(sawImage);
    const auto structured = callAndWait(client->callTool(QStringLiteral("get-structured-content"),
                                                         {{QStringLiteral("location"), QStringLiteral("Chicago")}}));
    QVERIFY2(structured.ok(), qPrintable(structured.errorMessage()));
    QVERIFY(structured->hasStructuredContent);
    QVERIFY(structured->structuredContent.value(QLatin1String("temperature")).isDouble());
    QVERIFY(!structured->structuredContent.value(QLatin1String("conditions")).toString().isEmpty());
    const auto links = callAndWait(client->callTool(QStringLiteral("get-resource-links"), {{QStringLiteral("count"), 2}}));
    QVERIFY2(links.ok(), qPrintable(links.errorMessage()));
    int linkCount = 0;
    for (const McpContentBlock &b : links->content)
        if (b.type == McpContentBlock::Type::ResourceLink && !b.uri.isEmpty())
            ++linkCount;
    QCOMPARE(linkCount, 2);
    const auto embedded = callAndWait(client->callTool(QStringLiteral("get-resource-reference"), {}));
    QVERIFY2(embedded.ok(), qPrintable(embedded.errorMessage()));
    bool sawResource = false;
    for (const McpContentBlock &b : embedded->content)
        sawResource = sawResource || (b.type == McpContentBlock::Type::Resource && !b.uri.isEmpty() && !b.text.isEmpty());
    QVERIFY(sawResource);
}

void tst_McpEverything::elicitation_data()
{
    QTest::addColumn<QString>("transport");
    QTest::addColumn<int>("action");
    QTest::addColumn<QString>("expected");
    QTest::newRow("stdio accept") << QStringLiteral("stdio") << int(McpElicitation::Action::Accept) << QStringLiteral("User provided the requested information");
    QTest::newRow("http accept") << QStringLiteral("http") << int(McpElicitation::Action::Accept) << QStringLiteral("User provided the requested information");
    QTest::newRow("stdio decline") << QStringLiteral("stdio") << int(McpElicitation::Action::Decline) << QStringLiteral("User declined");
    QTest::newRow("http cancel") << QStringLiteral("http") << int(McpElicitation::Action::Cancel) << QStringLiteral("User cancelled");
}

void tst_McpEverything::elicitation()
{
    QFETCH(QString, transport);
    QFETCH(int, action);
    QFETCH(QString, expected);
    ScriptedElicitation elicitation;
    elicitation.action = McpElicitation::Action(action);
    elicitation.content = {{QStringLiteral("name"), QStringLiteral("Ada Lovelace")}};
    std::unique_ptr<McpClient> client(makeClient(transport));
    client->setElicitationHandler(&elicitation);
    QVERIFY2(startAndWait(client.get()), qPrintable(client->lastError().message));
    QTRY_VERIFY_WITH_TIMEOUT(names(client->tools()).contains(QLatin1String("trigger-elicitation-request")), 15000);
    const auto r = callAndWait(client->callTool(QStringLiteral("trigger-elicitation-request"), {}));
    QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
    QCOMPARE(elicitation.asked.size(), 1);
    QVERIFY(elicitation.asked.first().requestedSchema.value(QLatin1String("properties")).toObject().contains(QLatin1String("name")));
    QVERIFY2(r->text().contains(expected), qPrintable(r->text()));
    if (action == int(McpElicitation::Action::Accept)) {
        QVERIFY(r->text().contains(QLatin1String("Ada Lovelace")));
        // Defaults the user did not touch were sent along.
        QVERIFY2(r->text().contains(QLatin1String("It was a dark and stormy night.")), qPrintable(r->text()));
    }
}

void tst_McpEverything::cancelsALongCall()
{
    QFETCH(QString, transport);
    std::unique_ptr<McpClient> client(makeClient(transport));
    QVERIFY2(startAndWait(client.get()), qPrintable(client->lastError().message));
    McpToolCall *call = client->callTool(QStringLiteral("trigger-long-running-operation"),
                                         {{QStringLiteral("duration"), 3}, {QStringLiteral("steps"), 6}});
    QSignalSpy progress(call, &McpToolCall::progress);
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 1, 20000);
    call->cancel(QStringLiteral("the user pressed stop"));
    QVERIFY(call->isFinished());
    QCOMPARE(call->result().error().code, ErrorCode::Cancelled);
    // A second operation as long as the first, started now, ends after the first would have:
    // when it is done, a server that had not received notifications/cancelled would have
    // answered the first call, and the client would have logged the late answer.
    const auto second = callAndWait(client->callTool(QStringLiteral("trigger-long-running-operation"),
                                                     {{QStringLiteral("duration"), 3}, {QStringLiteral("steps"), 3}}));
    QVERIFY2(second.ok(), qPrintable(second.errorMessage()));
    const QString log = client->serverLog().tail(200);
    QVERIFY(log.contains(QLatin1String("cancelling trigger-long-running-operation")));
    QVERIFY2(!log.contains(QLatin1String("late answer")), qPrintable(log));
    // The server answered the ping after the cancellation: it was not ended, it still works.
    QCOMPARE(client->state(), McpClient::State::Ready);
    const auto echo = callAndWait(client->callTool(QStringLiteral("echo"), {{QStringLiteral("message"), QStringLiteral("still here")}}));
    QVERIFY2(echo.ok(), qPrintable(echo.errorMessage()));
}

void tst_McpEverything::serverLogging()
{
    QFETCH(QString, transport);
    McpClientOptions options;
    options.logLevel = QStringLiteral("debug");
    std::unique_ptr<McpClient> client(makeClient(transport, options));
    QVERIFY2(startAndWait(client.get()), qPrintable(client->lastError().message));
    QTRY_VERIFY(client->serverLog().tail(50).contains(QLatin1String("log level set to debug")));
    const auto on = callAndWait(client->callTool(QStringLiteral("toggle-simulated-logging"), {}));
    QVERIFY2(on.ok(), qPrintable(on.errorMessage()));
    // The first simulated message is sent at once and lands in the server's log.
    QTRY_VERIFY_WITH_TIMEOUT(client->serverLog().tail(50).contains(QLatin1String("-level message")), 15000);
    bool fromServer = false;
    for (const McpServerLog::Line &line : client->serverLog().lines())
        fromServer = fromServer || (line.source == QLatin1String("server") && line.text.contains(QLatin1String("message")));
    QVERIFY(fromServer);
    (void)callAndWait(client->callTool(QStringLiteral("toggle-simulated-logging"), {}));
}

void tst_McpEverything::httpSessionIsDeletedOnStop()
{
    std::unique_ptr<McpClient> client(makeClient(QStringLiteral("http")));
    QVERIFY2(startAndWait(client.get()), qPrintable(client->lastError().message));
    auto *http = qobject_cast<McpHttpTransport *>(client->transport());
    QVERIFY(http);
    QVERIFY(!http->sessionId().isEmpty());
    QSignalSpy closed(client.get(), &McpClient::closed);
    client->stop();
    QTRY_COMPARE(closed.count(), 1);
    QVERIFY(!closed.first().first().value<Error>().isError());
    QVERIFY(http->sessionId().isEmpty());
}

void tst_McpEverything::filesystemListsAndReads()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString root = QFileInfo(dir.path()).canonicalFilePath();
    QVERIFY(QDir(root).mkdir(QStringLiteral("sub")));
    QFile file(root + QStringLiteral("/notes.txt"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("first line\nsecond line\n");
    file.close();
    McpStdioConfig config;
    config.command = QStringLiteral("mcp-server-filesystem");
    config.args = {root};
    config.extraPath = {m_tools};
    config.reaper = Spool::Test::processReaper();
    McpClientOptions options;
    options.roots = {QUrl::fromLocalFile(root).toString()};
    std::unique_ptr<McpClient> client(new McpClient(new McpStdioTransport(config), options));
    QVERIFY2(startAndWait(client.get()), qPrintable(client->lastError().message));
    QVERIFY(names(client->tools()).contains(QLatin1String("list_directory")));
    const auto listing = callAndWait(client->callTool(QStringLiteral("list_directory"), {{QStringLiteral("path"), root}}));
    QVERIFY2(listing.ok() && !listing->isError, qPrintable(listing.ok() ? listing->text() : listing.errorMessage()));
    QVERIFY2(listing->text().contains(QLatin1String("[FILE] notes.txt")), qPrintable(listing->text()));
    QVERIFY2(listing->text().contains(QLatin1String("[DIR] sub")), qPrintable(listing->text()));
    const auto read = callAndWait(client->callTool(QStringLiteral("read_text_file"), {{QStringLiteral("path"), QString(root + QStringLiteral("/notes.txt"))}}));
    QVERIFY2(read.ok() && !read->isError, qPrintable(read.ok() ? read->text() : read.errorMessage()));
    QCOMPARE(read->text(), QStringLiteral("first line\nsecond line\n"));
    // Outside the allowed folder: the server refuses, and the refusal reaches us as an error.
    const auto outside = callAndWait(client->callTool(QStringLiteral("read_text_file"), {{QStringLiteral("path"), QStringLiteral("/etc/hostname")}}));
    QVERIFY(!outside.ok() || outside->isError);
}

QTEST_GUILESS_MAIN(tst_McpEverything)
#include "tst_mcpeverything.moc"
