#include "anthropicrequestvalidator.h"
#include "fakeproviderserver.h"
#include "openairequestvalidator.h"
#include "scriptedreply.h"
#include "testsupport.h"

#include "agents/agent.h"
#include "gateway/gateway.h"
#include "providers/keystore.h"
#include "providers/providerfactory.h"
#include "providers/providerregistry.h"
#include "providers/wiretoolnames.h"
#include "tools/tool.h"
#include "tools/toolregistry.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QProcess>
#include <QRegularExpression>
#include <QTest>

using namespace Spool;
using Spool::Test::FakeProviderServer;
using Spool::Test::ScriptedCall;
using Spool::Test::ScriptedReply;

// Real providers inside a real Gateway: what reaches the tape (requests, retries with their
// delays, responses, the partial text of a broken stream), and what never reaches the tape,
// the logs or --json output: the API key.
class tst_ProviderGateway : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void toolLoopWithRetry_data();
    void toolLoopWithRetry();
    void brokenStreamKeepsPartialText_data();
    void brokenStreamKeepsPartialText();
    void keyNeverLeaks_data();
    void keyNeverLeaks();
    void toolNamesRoundTrip_data();
    void toolNamesRoundTrip();
    void unknownToolNameIsToldToTheModel_data();
    void unknownToolNameIsToldToTheModel();
    void rejectedRequestSaysWhichFieldAndWhy_data();
    void rejectedRequestSaysWhichFieldAndWhy();
};

namespace {

QStringList g_log;

void captureLog(QtMsgType, const QMessageLogContext &context, const QString &message)
{
    g_log.append(QString::fromLatin1(context.category ? context.category : "default")
                 + QStringLiteral(": ") + message);
}

struct Setup
{
    Test::TempEnvironment env;
    FakeProviderServer server;
    std::unique_ptr<ProviderFactory> factory;
    std::unique_ptr<Gateway> gateway;

    // A provider of `api` named "remote", its key stored in the (file) key store, agent
    // "remote-agent" using it.
    bool open(const QString &api, const QString &key)
    {
        if (!server.listen())
            return false;
        gateway = Test::openGateway(env.config);
        if (!gateway)
            return false;
        factory = std::make_unique<ProviderFactory>(env.config.configDir, KeyStore::Backend::File);
        ProviderConfig c;
        c.name = QStringLiteral("remote");
        c.kind = *ProviderConfig::parseKind(api);
        c.baseUrl = server.baseUrl(api == QLatin1String("openai") ? QStringLiteral("/v1") : QString());
        c.defaultModel = QStringLiteral("test-model");
        c.stallTimeoutMs = 500;
        c.retryBaseDelayMs = 20;
        std::optional<Status> added;
        factory->addProvider(c, key, &gateway->providerRegistry(), nullptr,
                             [&added](const Status &s) { added = s; });
        if (!QTest::qWaitFor([&added] { return added.has_value(); }, 30000) || !*added)
            return false;
        Agent agent;
        agent.name = QStringLiteral("remote-agent");
        agent.systemPrompt = QStringLiteral("You tell the time.");
        agent.provider = QStringLiteral("remote");
        agent.model = QStringLiteral("test-model");
        return bool(gateway->agents().save(agent));
    }

    RunInfo run(const QString &text)
    {
        RunRequest r;
        r.session.key = QStringLiteral("provider-e2e");
        r.agent = QStringLiteral("remote-agent");
        r.text = text;
        r.source = QStringLiteral("test");
        auto started = gateway->startRun(r);
        if (!started) {
            qWarning("startRun: %s", qPrintable(started.errorMessage()));
            return {};
        }
        return Test::waitForRun(*gateway, started->id, 30000);
    }

    QList<TapeEvent> tape(const QString &runId) const { return *gateway->inspection().tape(runId); }
};

QStringList kinds(const QList<TapeEvent> &events)
{
    QStringList out;
    for (const TapeEvent &e : events)
        out.append(e.kind);
    return out;
}

QList<TapeEvent> ofKind(const QList<TapeEvent> &events, const QString &kind)
{
    QList<TapeEvent> out;
    for (const TapeEvent &e : events) {
        if (e.kind == kind)
            out.append(e);
    }
    return out;
}

QByteArray filesUnder(const QString &dir)
{
    QByteArray all;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile f(it.next());
        if (f.open(QIODevice::ReadOnly))
            all += f.readAll();
    }
    return all;
}

QStringList apis()
{
    return {QStringLiteral("openai"), QStringLiteral("anthropic")};
}

// A tool from elsewhere (an MCP server, say) whose name the APIs would refuse as it is. It
// answers with its own name, so the test sees which tool ran.
class LookupTool : public Tool
{
public:
    LookupTool(QString name, QString marker) : m_name(std::move(name)), m_marker(std::move(marker)) {}

    ToolSpec spec() const override
    {
        ToolSpec s;
        s.name = m_name;
        s.description = QStringLiteral("Looks a key up. ") + m_marker;
        s.parameters = QJsonObject{
                {QStringLiteral("type"), QStringLiteral("object")},
                {QStringLiteral("properties"),
                 QJsonObject{{QStringLiteral("key"), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}}}}},
                {QStringLiteral("required"), QJsonArray{QStringLiteral("key")}},
                {QStringLiteral("additionalProperties"), false}};
        s.risk = ToolRisk::Low;
        return s;
    }

    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override
    {
        return new ImmediateToolJob(
                ToolResult::success(QStringLiteral("value of %1 from %2")
                                            .arg(invocation.arguments.value(QStringLiteral("key")).toString(), m_name)),
                parent);
    }

private:
    QString m_name;
    QString m_marker;
};

QString longName()
{
    QString name = QStringLiteral("mcp.knowledge-base.");
    while (name.size() < 100)
        name += QStringLiteral("lookup_");
    return name.left(100);
}

} // namespace

void tst_ProviderGateway::initTestCase()
{
    qunsetenv("DBUS_SESSION_BUS_ADDRESS"); // never the user's real keychain
    // Every engine category at debug level, so the key test sees everything a user's log could.
    QLoggingCategory::setFilterRules(QStringLiteral("spool.*=true"));
    qInstallMessageHandler(captureLog);
}

void tst_ProviderGateway::cleanupTestCase()
{
    qInstallMessageHandler(nullptr);
}

void tst_ProviderGateway::toolLoopWithRetry_data()
{
    QTest::addColumn<QString>("api");
    for (const QString &api : apis())
        QTest::newRow(qPrintable(api)) << api;
}

void tst_ProviderGateway::toolLoopWithRetry()
{
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api, QStringLiteral("sk-e2e-key-1234567890")));
    QVERIFY(s.server.loadScenario(api + QStringLiteral("/gateway_tool_loop.json")));

    QStringList streamed;
    connect(s.gateway.get(), &Gateway::textDelta, this,
            [&streamed](const QString &, const QString &text) { streamed.append(text); });
    const RunInfo run = s.run(QStringLiteral("What time is it?"));
    QCOMPARE(runStateName(run.state), QStringLiteral("succeeded"));
    QCOMPARE(streamed.join(QString()), QStringLiteral("It is noon UTC."));

    const QList<TapeEvent> tape = s.tape(run.id);
    QCOMPARE(kinds(tape).join(QLatin1Char(' ')),
             QStringLiteral("run.status input run.status context provider.request provider.error "
                            "provider.response tool.call policy.decision tool.output "
                            "provider.request provider.response assistant.message run.status"));

    // The retry is on the tape with its class and the delay the server asked for.
    const QJsonObject retry = ofKind(tape, QStringLiteral("provider.error")).first().payload;
    QCOMPARE(retry.value(QStringLiteral("error_class")).toString(), QStringLiteral("rate_limit"));
    QCOMPARE(retry.value(QStringLiteral("http_status")).toInt(), 429);
    QCOMPARE(retry.value(QStringLiteral("retry_delay_ms")).toInteger(), 150);
    QCOMPARE(retry.value(QStringLiteral("attempt")).toInt(), 1);

    const QList<TapeEvent> responses = ofKind(tape, QStringLiteral("provider.response"));
    const QJsonObject first = responses.at(0).payload;
    QCOMPARE(first.value(QStringLiteral("attempts")).toInt(), 2);
    QCOMPARE(first.value(QStringLiteral("finish_reason")).toString(), QStringLiteral("tool_calls"));
    const QJsonObject call = first.value(QStringLiteral("tool_calls")).toArray().first().toObject();
    QCOMPARE(call.value(QStringLiteral("name")).toString(), QStringLiteral("clock"));
    QCOMPARE(call.value(QStringLiteral("arguments")).toObject().value(QStringLiteral("timezone")).toString(),
             QStringLiteral("UTC"));
    QVERIFY(first.value(QStringLiteral("usage")).toObject().value(QStringLiteral("prompt")).toInt() > 0);
    const QJsonObject second = responses.at(1).payload;
    QCOMPARE(second.value(QStringLiteral("text")).toString(), QStringLiteral("It is noon UTC."));
    QVERIFY(second.value(QStringLiteral("first_token_ms")).isDouble());
    QCOMPARE(ofKind(tape, QStringLiteral("tool.output")).first().payload.value(QStringLiteral("ok")).toBool(), true);

    // The tool's output went back to the model in the API's own shape.
    QCOMPARE(s.server.requestCount(), 3);
    const QJsonObject lastBody = s.server.requests().last().json();
    const QJsonArray messages = lastBody.value(QStringLiteral("messages")).toArray();
    if (api == QLatin1String("openai")) {
        const QJsonObject toolMessage = messages.last().toObject();
        QCOMPARE(toolMessage.value(QStringLiteral("role")).toString(), QStringLiteral("tool"));
        QCOMPARE(toolMessage.value(QStringLiteral("tool_call_id")).toString(), QStringLiteral("call_clock1"));
        QVERIFY(toolMessage.value(QStringLiteral("content")).toString().contains(QLatin1Char('T')));
        QCOMPARE(messages.first().toObject().value(QStringLiteral("role")).toString(), QStringLiteral("system"));
    } else {
        const QJsonObject result = messages.last().toObject().value(QStringLiteral("content")).toArray().first().toObject();
        QCOMPARE(result.value(QStringLiteral("type")).toString(), QStringLiteral("tool_result"));
        QCOMPARE(result.value(QStringLiteral("tool_use_id")).toString(), QStringLiteral("toolu_clock1"));
        QCOMPARE(lastBody.value(QStringLiteral("system")).toString(), QStringLiteral("You tell the time."));
    }
    QCOMPARE(run.promptTokens, qint64(100));
    QVERIFY2(s.server.rejections().isEmpty(), qPrintable(s.server.rejections().join(QLatin1Char('\n'))));
}

void tst_ProviderGateway::brokenStreamKeepsPartialText_data()
{
    toolLoopWithRetry_data();
}

void tst_ProviderGateway::brokenStreamKeepsPartialText()
{
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api, QStringLiteral("sk-e2e-key-1234567890")));
    QVERIFY(s.server.loadScenario(api + QStringLiteral("/disconnect.json")));
    const RunInfo run = s.run(QStringLiteral("Tell me a story."));
    QCOMPARE(runStateName(run.state), QStringLiteral("failed"));
    QCOMPARE(run.reason, QStringLiteral("provider_error"));
    QCOMPARE(s.server.requestCount(), 1); // streaming had begun: no retry

    const QList<TapeEvent> errors = ofKind(s.tape(run.id), QStringLiteral("provider.error"));
    QCOMPARE(errors.size(), 1);
    const QJsonObject e = errors.first().payload;
    QCOMPARE(e.value(QStringLiteral("error_class")).toString(), QStringLiteral("network"));
    QCOMPARE(e.value(QStringLiteral("partial_text")).toString(), QStringLiteral("Partial answer before"));
    QVERIFY(e.value(QStringLiteral("retry_delay_ms")).isNull());
}

void tst_ProviderGateway::keyNeverLeaks_data()
{
    toolLoopWithRetry_data();
}

void tst_ProviderGateway::keyNeverLeaks()
{
    QFETCH(QString, api);
    const QString key = QStringLiteral("sk-LEAKCHECK-") + api + QStringLiteral("-9f8e7d6c5b4a");
    Setup s;
    QVERIFY(s.open(api, key));
    g_log.clear();

    // A good run with a retry and a tool call, then a run whose 401 echoes the key back.
    QVERIFY(s.server.loadScenario(api + QStringLiteral("/gateway_tool_loop.json")));
    const RunInfo good = s.run(QStringLiteral("What time is it?"));
    QCOMPARE(runStateName(good.state), QStringLiteral("succeeded"));
    const QJsonObject echoed = api == QLatin1String("openai")
            ? QJsonObject{{QStringLiteral("error"),
                           QJsonObject{{QStringLiteral("message"), QString(QStringLiteral("Incorrect API key provided: ") + key)},
                                       {QStringLiteral("type"), QStringLiteral("invalid_request_error")},
                                       {QStringLiteral("code"), QStringLiteral("invalid_api_key")}}}}
            : QJsonObject{{QStringLiteral("type"), QStringLiteral("error")},
                          {QStringLiteral("error"),
                           QJsonObject{{QStringLiteral("type"), QStringLiteral("authentication_error")},
                                       {QStringLiteral("message"), QString(QStringLiteral("invalid x-api-key ") + key)}}}};
    s.server.setResponses({QJsonObject{{QStringLiteral("status"), 401}, {QStringLiteral("body"), echoed}}});
    const RunInfo bad = s.run(QStringLiteral("Again?"));
    QCOMPARE(runStateName(bad.state), QStringLiteral("failed"));
    QCOMPARE(s.server.requestCount(), 1); // 401 is not retried

    // The key was used...
    const Test::RecordedRequest sent = s.server.requests().first();
    QVERIFY(sent.header("authorization").contains(key.toUtf8()) || sent.header("x-api-key") == key.toUtf8());
    // ...and is nowhere else: not on the tape, in any form a front end reads it.
    const QByteArray needle = key.toUtf8();
    for (const QString &runId : {good.id, bad.id}) {
        QByteArray tapeJson;
        for (const TapeEvent &e : s.tape(runId))
            tapeJson += QJsonDocument(e.toJson()).toJson();
        QVERIFY2(!tapeJson.contains(needle), "the key reached the tape");
        QVERIFY(tapeJson.contains("[redacted]") || runId == good.id); // the echo was scrubbed
    }
    QVERIFY(!QJsonDocument(s.gateway->status().toJson()).toJson().contains(needle));
    // Not in the journal's files (database, WAL), whatever page the bytes landed on.
    QVERIFY2(!filesUnder(s.env.config.dataDir).contains(needle), "the key reached the journal");
    // Not in the log, with every engine category at debug level.
    QVERIFY(!g_log.isEmpty());
    QVERIFY2(!g_log.join(QLatin1Char('\n')).toUtf8().contains(needle), "the key reached the log");
    // Not in the configuration (only the reference is there); the key file is 0600 by design.
    {
        QFile conf(s.env.config.settingsPath());
        QVERIFY(conf.open(QIODevice::ReadOnly));
        QVERIFY2(!conf.readAll().contains(needle), "the key reached spool.conf");
    }

    // And not in the CLI's --json output for these runs.
    s.gateway->shutdown();
    const QString spool = QStringLiteral(SPOOL_BINARY);
    if (!QFile::exists(spool))
        QSKIP("the spool executable is not built; the journal checks above still ran");
    for (const QStringList &args : {QStringList{QStringLiteral("tape"), bad.id},
                                    QStringList{QStringLiteral("tape"), good.id},
                                    QStringList{QStringLiteral("runs"), QStringLiteral("show"), bad.id},
                                    QStringList{QStringLiteral("status")}}) {
        QProcess p;
        p.start(spool, QStringList{QStringLiteral("--data-dir"), s.env.config.dataDir,
                                   QStringLiteral("--config-dir"), s.env.config.configDir,
                                   QStringLiteral("--json")} + args);
        QVERIFY(p.waitForFinished(10000));
        const QByteArray out = p.readAllStandardOutput() + p.readAllStandardError();
        QVERIFY2(p.exitCode() == 0, out.constData());
        QVERIFY(!out.isEmpty());
        QVERIFY2(!out.contains(needle), qPrintable(args.join(QLatin1Char(' '))));
    }
}

void tst_ProviderGateway::toolNamesRoundTrip_data()
{
    QTest::addColumn<QString>("api");
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("streamed");
    const QList<QPair<const char *, QString>> names{
            {"dots", QStringLiteral("spool.test.lookup")},
            {"slashes", QStringLiteral("mcp/files/read file")},
            {"100 characters", longName()}};
    for (const QString &api : apis()) {
        for (const auto &[label, name] : names) {
            QTest::newRow(qPrintable(api + QLatin1Char('/') + QLatin1String(label))) << api << name << true;
            QTest::newRow(qPrintable(api + QLatin1Char('/') + QLatin1String(label) + QStringLiteral(", whole reply")))
                    << api << name << false;
        }
    }
}

void tst_ProviderGateway::toolNamesRoundTrip()
{
    // The model is offered the tool under a wire name, calls it by that name, Spool runs the
    // right tool, and the result goes back to the model under the same name and call id.
    QFETCH(QString, api);
    QFETCH(QString, name);
    QFETCH(bool, streamed);
    Setup s;
    QVERIFY(s.open(api, QStringLiteral("sk-names-0123456789")));
    const QStringList all{QStringLiteral("spool.test.lookup"), QStringLiteral("mcp/files/read file"), longName()};
    for (int i = 0; i < all.size(); ++i)
        QVERIFY(s.gateway->tools().add(std::make_unique<LookupTool>(all.at(i), QStringLiteral("[marker %1]").arg(i))));
    const QString marker = QStringLiteral("[marker %1]").arg(all.indexOf(name));

    QString offeredAs;
    QString resultSeen;
    s.server.setResponder([&](const Test::RecordedRequest &request, int index) {
        const QJsonObject body = request.json();
        if (index == 0) {
            offeredAs = ScriptedReply::offeredToolDescribed(api, body, marker);
            const QList<ScriptedCall> calls{{QStringLiteral("call_rt1"), offeredAs,
                                             QJsonObject{{QStringLiteral("key"), QStringLiteral("k1")}}}};
            return streamed ? ScriptedReply::streamed(api, QString(), calls)
                            : ScriptedReply::whole(api, QString(), calls);
        }
        const QJsonArray calls = ScriptedReply::historyCalls(api, body);
        const QJsonArray results = ScriptedReply::historyResults(api, body);
        if (!calls.isEmpty() && !results.isEmpty()
            && calls.last().toObject().value(QStringLiteral("name")).toString() == offeredAs
            && results.last().toObject().value(QStringLiteral("id")) == calls.last().toObject().value(QStringLiteral("id")))
            resultSeen = results.last().toObject().value(QStringLiteral("content")).toString();
        return streamed ? ScriptedReply::streamed(api, QStringLiteral("Found it."))
                        : ScriptedReply::whole(api, QStringLiteral("Found it."));
    });
    const RunInfo run = s.run(QStringLiteral("Look k1 up."));
    QVERIFY2(s.server.rejections().isEmpty(), qPrintable(s.server.rejections().join(QLatin1Char('\n'))));
    QCOMPARE(runStateName(run.state), QStringLiteral("succeeded"));

    static const QRegularExpression wire(QStringLiteral("^[a-zA-Z0-9_-]{1,64}$"));
    QVERIFY2(wire.match(offeredAs).hasMatch(), qPrintable(offeredAs));
    QVERIFY(offeredAs != name);
    const QList<TapeEvent> tape = s.tape(run.id);
    const QJsonObject call = ofKind(tape, QStringLiteral("tool.call")).first().payload;
    QCOMPARE(call.value(QStringLiteral("tool")).toString(), name); // the tape keeps Spool's name
    const QJsonObject output = ofKind(tape, QStringLiteral("tool.output")).first().payload;
    QCOMPARE(output.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(output.value(QStringLiteral("output")).toString(), QStringLiteral("value of k1 from ") + name);
    QCOMPARE(resultSeen, QStringLiteral("value of k1 from ") + name);
    // provider.request shows the name as sent, and what it stands for.
    const QJsonObject snapshot = ofKind(tape, QStringLiteral("provider.request")).first().payload;
    QCOMPARE(snapshot.value(QStringLiteral("tool_names")).toObject().value(offeredAs).toString(), name);
    bool listed = false;
    for (const QJsonValue &t : snapshot.value(QStringLiteral("tools")).toArray())
        listed = listed || t.toObject().value(QStringLiteral("name")).toString() == offeredAs;
    QVERIFY(listed);
}

void tst_ProviderGateway::unknownToolNameIsToldToTheModel_data()
{
    toolLoopWithRetry_data();
}

void tst_ProviderGateway::unknownToolNameIsToldToTheModel()
{
    // The model answers with a name it was not offered (here Spool's own spelling): the call
    // fails with a clear message naming the tools it can call, and the run goes on.
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api, QStringLiteral("sk-unknown-0123456789")));
    QString told;
    s.server.setResponder([&](const Test::RecordedRequest &request, int index) {
        if (index == 0)
            return ScriptedReply::streamed(api, QString(),
                                           {{QStringLiteral("call_u1"), QStringLiteral("fs.read"),
                                             QJsonObject{{QStringLiteral("path"), QStringLiteral("a.txt")}}}});
        const QJsonArray results = ScriptedReply::historyResults(api, request.json());
        if (!results.isEmpty())
            told = results.last().toObject().value(QStringLiteral("content")).toString();
        return ScriptedReply::streamed(api, QStringLiteral("Sorry, my mistake."));
    });
    const RunInfo run = s.run(QStringLiteral("Read a.txt."));
    QVERIFY2(s.server.rejections().isEmpty(), qPrintable(s.server.rejections().join(QLatin1Char('\n'))));
    QCOMPARE(runStateName(run.state), QStringLiteral("succeeded"));
    QCOMPARE(s.server.requestCount(), 2);
    QVERIFY2(told.contains(QStringLiteral("no tool named \"fs.read\"")), qPrintable(told));
    QVERIFY2(told.contains(QStringLiteral("fs_read")), qPrintable(told));
    const QList<TapeEvent> tape = s.tape(run.id);
    const QJsonObject call = ofKind(tape, QStringLiteral("tool.call")).first().payload;
    QCOMPARE(call.value(QStringLiteral("tool")).toString(), QStringLiteral("fs.read"));
    QVERIFY(!call.value(QStringLiteral("name_error")).toString().isEmpty());
    QVERIFY(ofKind(tape, QStringLiteral("policy.decision")).isEmpty()); // it never reached policy
    QCOMPARE(ofKind(tape, QStringLiteral("tool.output")).first().payload.value(QStringLiteral("ok")).toBool(), false);
}

void tst_ProviderGateway::rejectedRequestSaysWhichFieldAndWhy_data()
{
    toolLoopWithRetry_data();
}

void tst_ProviderGateway::rejectedRequestSaysWhichFieldAndWhy()
{
    // A request the API refuses (here as issue 10's user saw it): the run fails, and the
    // transcript's error names the field and the reason, as the API gave them.
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api, QStringLiteral("sk-refused-0123456789")));
    const bool openAi = api == QLatin1String("openai");
    const Test::RequestRejection why = openAi
            ? Test::RequestRejection{QStringLiteral("Invalid 'tools[2].function.name': string does not match pattern. "
                                                    "Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'."),
                                     QStringLiteral("tools[2].function.name"), QStringLiteral("invalid_value")}
            : Test::RequestRejection{QStringLiteral("tools.2.custom.name: String should match pattern "
                                                    "'^[a-zA-Z0-9_-]{1,128}$'"),
                                     QString(), QString()};
    const QJsonObject body = openAi ? Test::OpenAiRequestValidator::errorBody(why)
                                    : Test::AnthropicRequestValidator::errorBody(why);
    s.server.setResponses({QJsonObject{{QStringLiteral("status"), 400}, {QStringLiteral("body"), body}}});
    const RunInfo run = s.run(QStringLiteral("Hello?"));
    QCOMPARE(runStateName(run.state), QStringLiteral("failed"));
    QCOMPARE(run.reason, QStringLiteral("provider_error"));
    const QString field = openAi ? QStringLiteral("tools[2].function.name") : QStringLiteral("tools.2.custom.name");
    const QString reason = openAi ? QStringLiteral("string does not match pattern") : QStringLiteral("String should match pattern");
    QVERIFY2(run.detail.contains(field) && run.detail.contains(reason), qPrintable(run.detail));
    QVERIFY2(run.detail.contains(QStringLiteral("rejected the request as invalid")), qPrintable(run.detail));
    const QJsonObject error = ofKind(s.tape(run.id), QStringLiteral("provider.error")).first().payload;
    QCOMPARE(error.value(QStringLiteral("error_class")).toString(), QStringLiteral("invalid_request"));
    QVERIFY(error.value(QStringLiteral("message")).toString().contains(field));
    QCOMPARE(s.server.requestCount(), 1); // not retried
}

QTEST_GUILESS_MAIN(tst_ProviderGateway)
#include "tst_providergateway.moc"
