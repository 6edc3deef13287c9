#include "fakeproviderserver.h"
#include "testsupport.h"

#include "agents/agent.h"
#include "gateway/gateway.h"
#include "providers/keystore.h"
#include "providers/providerfactory.h"
#include "providers/providerregistry.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QProcess>
#include <QTest>

using namespace Spool;
using Spool::Test::FakeProviderServer;

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
        factory->addProvider(c, key, &gateway->providers(), nullptr,
                             [&added](const Status &s) { added = s; });
        if (!QTest::qWaitFor([&added] { return added.has_value(); }, 30000) || !*added)
            return false;
        Agent agent;
        agent.name = QStringLiteral("remote-agent");
        agent.systemPrompt = QStringLiteral("You tell the time.");
        agent.provider = QStringLiteral("remote");
        agent.model = QStringLiteral("test-model");
        return bool(gateway->saveAgent(agent));
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

    QList<TapeEvent> tape(const QString &runId) const { return *gateway->tape(runId); }
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

QTEST_GUILESS_MAIN(tst_ProviderGateway)
#include "tst_providergateway.moc"
