#include "fakeproviderserver.h"
#include "scriptedreply.h"

#include "providers/anthropicprovider.h"
#include "providers/keystore.h"
#include "providers/openaiprovider.h"
#include "providers/wiretoolnames.h"

#include <QDir>
#include <QFile>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTest>

using namespace Spool;
using Spool::Test::FakeProviderServer;
using Spool::Test::ScriptedCall;
using Spool::Test::ScriptedReply;

// Every request of the matrix goes to a server that validates it as the real API does.
#define NOTHING_REFUSED(server) \
    QVERIFY2((server).rejections().isEmpty(), qPrintable((server).rejections().join(QLatin1Char('\n'))))

// The scenario matrix of issue 4, for both APIs, against a real HTTP server on loopback that
// plays recorded-style replies: what the user sees (text, tool calls, error class and message),
// what is kept when a stream breaks, and how many requests the retry layer made.
class tst_ProviderMatrix : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void scenario_data();
    void scenario();
    void cancelMidStream_data();
    void cancelMidStream();
    void requestShape_data();
    void requestShape();
    void retriesOnErrorEventBeforeOutput();
    void connectionRefused();
    void silentServerTimesOut();
    void redirectIsExplained();
    void providerReplacedMidCall();
    void streamWithoutEventStreamType();
    void toolNamesOnTheWire_data();
    void toolNamesOnTheWire();
};

namespace {

const QString kKey = QStringLiteral("sk-test-matrix-0123456789abcdef");

std::unique_ptr<RemoteProvider> makeProvider(const QString &api, const FakeProviderServer &server,
                                             std::shared_ptr<KeyStore> keys)
{
    ProviderConfig c;
    c.name = api + QStringLiteral("-fake");
    c.kind = *ProviderConfig::parseKind(api);
    c.baseUrl = server.baseUrl(api == QLatin1String("openai") ? QStringLiteral("/v1") : QString());
    c.defaultModel = QStringLiteral("test-model");
    c.keyRef = QStringLiteral("env:SPOOL_TEST_MATRIX_KEY");
    if (!keys) // environment references never touch the key file
        keys = std::make_shared<KeyStore>(QDir::tempPath(), KeyStore::Backend::File);
    // Short timeouts and backoff keep the whole matrix to a few seconds.
    c.connectTimeoutMs = 2000;
    c.stallTimeoutMs = 400;
    c.maxRetries = 2;
    c.retryBaseDelayMs = 20;
    c.maxRetryDelayMs = 5000;
    if (c.kind == ProviderConfig::Kind::OpenAi)
        return std::make_unique<OpenAiProvider>(c, keys);
    return std::make_unique<AnthropicProvider>(c, keys);
}

ProviderRequest simpleRequest()
{
    ProviderRequest r;
    r.model = QStringLiteral("test-model");
    r.system = QStringLiteral("You are terse.");
    r.messages = {ChatMessage::user(QStringLiteral("Say hello."))};
    return r;
}

struct Outcome
{
    QString text;
    QList<ProviderError> retries;
    std::optional<ProviderResponse> response;
    std::optional<ProviderError> error;
    int finalSignals = 0;
};

Outcome run(RemoteProvider &provider, const ProviderRequest &request, QObject *parent)
{
    Outcome out;
    ProviderCall *call = provider.send(request, parent);
    QObject::connect(call, &ProviderCall::textDelta, parent, [&out](const QString &t) { out.text += t; });
    QObject::connect(call, &ProviderCall::retrying, parent,
                     [&out](const ProviderError &e) { out.retries.append(e); });
    QObject::connect(call, &ProviderCall::finished, parent, [&out](const ProviderResponse &r) {
        out.response = r;
        ++out.finalSignals;
    });
    QObject::connect(call, &ProviderCall::failed, parent, [&out](const ProviderError &e) {
        out.error = e;
        ++out.finalSignals;
    });
    (void)QTest::qWaitFor([&out] { return out.finalSignals > 0; }, 30000);
    QTest::qWait(50); // a second final signal would show up here
    delete call;
    return out;
}

QString callsText(const QList<ToolCallRequest> &calls)
{
    QStringList parts;
    for (const ToolCallRequest &c : calls)
        parts.append(c.id + QLatin1Char(' ') + c.name + QLatin1Char(' ')
                     + QString::fromUtf8(QJsonDocument(c.arguments).toJson(QJsonDocument::Compact))
                     + (c.argumentsError.isEmpty() ? QString() : QStringLiteral(" !") + c.argumentsError));
    return parts.join(QStringLiteral(" | "));
}

} // namespace

void tst_ProviderMatrix::initTestCase()
{
    qputenv("SPOOL_TEST_MATRIX_KEY", kKey.toUtf8());
}

void tst_ProviderMatrix::scenario_data()
{
    QTest::addColumn<QString>("api");
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QString>("error");      // expected error class; empty: success
    QTest::addColumn<QString>("text");       // streamed text, and partial text on failure
    QTest::addColumn<QString>("calls");      // tool calls as "id name {args}"
    QTest::addColumn<QString>("finish");
    QTest::addColumn<int>("requests");       // requests the server saw
    QTest::addColumn<qint64>("retryDelay");  // first retry's delay; -1: not checked
    QTest::addColumn<QString>("message");    // a part of the error message the user sees

    const QString hello = QStringLiteral("Hello, wörld — ça va? 🎉");
    const QString writeCall = QStringLiteral(
            "call_w1 write_file {\"content\":\"buy milk\\nwrite tests\",\"path\":\"notes/todo.md\"}");
    const QString parallel = QStringLiteral("%1 clock {\"zone\":\"UTC\"} | %2 echo {\"text\":\"hi\"}");
    for (const QString &api : {QStringLiteral("openai"), QStringLiteral("anthropic")}) {
        const bool oa = api == QLatin1String("openai");
        auto row = [&](const char *scenario) -> QTestData & {
            return QTest::newRow(qPrintable(api + QLatin1Char('/') + QLatin1String(scenario)))
                    << api << QString::fromLatin1(scenario);
        };
        row("plain") << QString() << hello << QString() << "stop" << 1 << qint64(-1) << QString();
        row("tool_split") << QString() << QString()
                           << QString(writeCall).replace(QStringLiteral("call_w1"),
                                                         oa ? QStringLiteral("call_w1") : QStringLiteral("toolu_w1"))
                           << "tool_calls" << 1 << qint64(-1) << QString();
        row("parallel_tools") << QString() << "Checking both."
                               << (oa ? parallel.arg(QStringLiteral("call_a"), QStringLiteral("call_b"))
                                      : parallel.arg(QStringLiteral("toolu_a"), QStringLiteral("toolu_b")))
                               << "tool_calls" << 1 << qint64(-1) << QString();
        row("rate_limited") << QString() << hello << QString() << "stop" << 2 << qint64(1000) << QString();
        row("server_errors") << "server" << QString() << QString() << QString() << 3 << qint64(-1)
                              << "(HTTP 500)";
        row("stall") << "timeout" << "Thinking about it" << QString() << QString() << 1
                      << qint64(-1) << "sent nothing for 0.4 s";
        row("disconnect") << "network" << "Partial answer before" << QString() << QString() << 1
                           << qint64(-1) << "closed";
        row("malformed") << "malformed_response" << "Fine so far" << QString() << QString() << 1
                          << qint64(-1) << "not valid JSON";
        row("error_event") << "server" << "Working on it" << QString() << QString() << 1
                            << qint64(-1) << (oa ? "The server had an error" : "Overloaded");
        row("unauthorized") << "auth" << QString() << QString() << QString() << 1 << qint64(-1)
                             << (oa ? "Incorrect API key provided" : "invalid x-api-key");
        row("context_too_long") << "context_too_long" << QString() << QString() << QString() << 1
                                 << qint64(-1) << (oa ? "maximum context length" : "prompt is too long");
    }
    QTest::newRow("openai/quota") << "openai" << "quota" << "quota" << QString() << QString()
                                  << QString() << 1 << qint64(-1) << "exceeded your current quota";
}

void tst_ProviderMatrix::scenario()
{
    QFETCH(QString, api);
    QFETCH(QString, scenario);
    QFETCH(QString, error);
    QFETCH(QString, text);
    QFETCH(QString, calls);
    QFETCH(QString, finish);
    QFETCH(int, requests);
    QFETCH(qint64, retryDelay);
    QFETCH(QString, message);

    FakeProviderServer server;
    QVERIFY(server.listen());
    QVERIFY(server.loadScenario(api + QLatin1Char('/') + scenario + QStringLiteral(".json")));
    auto provider = makeProvider(api, server, nullptr);

    QElapsedTimer clock;
    clock.start();
    const Outcome out = run(*provider, simpleRequest(), this);
    QCOMPARE(out.finalSignals, 1);
    QCOMPARE(server.requestCount(), requests);
    QCOMPARE(out.retries.size(), requests - 1);
    if (retryDelay >= 0) {
        QCOMPARE(out.retries.first().retryDelayMs, retryDelay);
        QVERIFY2(clock.elapsed() >= retryDelay, "the retry came before the server's Retry-After");
    }
    for (const ProviderError &r : out.retries)
        QVERIFY(r.retryDelayMs >= 0);

    if (error.isEmpty()) {
        QVERIFY2(out.response, out.error ? qPrintable(out.error->message) : "no response");
        QCOMPARE(out.text, text);
        QCOMPARE(out.response->text, text);
        QCOMPARE(callsText(out.response->toolCalls), calls);
        QCOMPARE(out.response->finishReason, finish);
        QCOMPARE(out.response->attempts, requests);
        QVERIFY(out.response->usage.prompt > 0);
        QVERIFY(out.response->usage.completion > 0);
        QVERIFY(!out.response->model.isEmpty());
        if (!text.isEmpty())
            QVERIFY(out.response->firstTokenMs >= 0);
    } else {
        QVERIFY2(out.error, "the call should have failed");
        QCOMPARE(providerErrorClassName(out.error->errorClass), error);
        QCOMPARE(out.error->partialText, text); // what streamed before the failure is kept
        QCOMPARE(out.text, text);
        QVERIFY2(out.error->message.contains(message), qPrintable(out.error->message));
        QCOMPARE(out.error->attempt, requests);
        QVERIFY(!out.error->message.contains(kKey));
    }
    NOTHING_REFUSED(server);
}

void tst_ProviderMatrix::cancelMidStream_data()
{
    QTest::addColumn<QString>("api");
    QTest::newRow("openai") << QStringLiteral("openai");
    QTest::newRow("anthropic") << QStringLiteral("anthropic");
}

void tst_ProviderMatrix::cancelMidStream()
{
    QFETCH(QString, api);
    FakeProviderServer server;
    QVERIFY(server.listen());
    QVERIFY(server.loadScenario(api + QStringLiteral("/slow.json")));
    auto provider = makeProvider(api, server, nullptr);

    ProviderCall *call = provider->send(simpleRequest(), this);
    QSignalSpy deltas(call, &ProviderCall::textDelta);
    QSignalSpy finished(call, &ProviderCall::finished);
    QSignalSpy failed(call, &ProviderCall::failed);
    QSignalSpy retrying(call, &ProviderCall::retrying);
    QTRY_VERIFY(deltas.size() >= 2);
    QTRY_COMPARE(server.openConnections(), 1);
    const qsizetype sentBefore = server.sentBytes().count("data:");
    call->abort();
    const qsizetype seen = deltas.size();
    // The connection closes at once, so the server stops generating (and billing) tokens.
    // Counted in the server's own events (one every 60 ms), not wall-clock time, so a busy
    // machine slows both sides alike: a connection left to drain would get some forty more.
    QTRY_COMPARE_WITH_TIMEOUT(server.openConnections(), 0, 10000);
    const qsizetype sentAfter = server.sentBytes().count("data:") - sentBefore;
    QVERIFY2(sentAfter < 10, qPrintable(QStringLiteral("%1 events sent after the abort").arg(sentAfter)));
    QTest::qWait(300); // several more chunks would have arrived by now
    QCOMPARE(deltas.size(), seen);
    QCOMPARE(finished.size(), 0);
    QCOMPARE(failed.size(), 0);
    QCOMPARE(retrying.size(), 0);
    QCOMPARE(server.requestCount(), 1);
    delete call;
    NOTHING_REFUSED(server);
}

void tst_ProviderMatrix::requestShape_data()
{
    cancelMidStream_data();
}

void tst_ProviderMatrix::requestShape()
{
    QFETCH(QString, api);
    FakeProviderServer server;
    QVERIFY(server.listen());
    QVERIFY(server.loadScenario(api + QStringLiteral("/plain.json")));
    auto provider = makeProvider(api, server, nullptr);

    ProviderRequest r;
    r.model = QStringLiteral("model-x");
    r.system = QStringLiteral("Be brief.");
    r.messages = {
            ChatMessage::user(QStringLiteral("What time is it, and echo hi.")),
            ChatMessage::assistant(QString(),
                                   {ToolCallRequest::make(QStringLiteral("c1"), QStringLiteral("clock"), QStringLiteral("{}")),
                                    ToolCallRequest::make(QStringLiteral("c2"), QStringLiteral("echo"),
                                                          QStringLiteral("{\"text\": \"hi\"}"))}),
            ChatMessage::toolResult(QStringLiteral("c1"), QStringLiteral("clock"), QStringLiteral("12:00"), true),
            ChatMessage::toolResult(QStringLiteral("c2"), QStringLiteral("echo"), QStringLiteral("denied"), false),
            ChatMessage::user(QStringLiteral("Thanks.")),
    };
    r.tools = {ToolDefinition{QStringLiteral("clock"), QStringLiteral("Current time"), {}},
               ToolDefinition{QStringLiteral("echo"), QStringLiteral("Echo text"),
                              QJsonObject{{QStringLiteral("type"), QStringLiteral("object")}}}};
    // The stream settings and the model stay Spool's whatever the parameters say.
    r.parameters = QJsonObject{{QStringLiteral("temperature"), 0.2},
                               {QStringLiteral("stream"), false},
                               {QStringLiteral("model"), QStringLiteral("model-y")}};
    const Outcome out = run(*provider, r, this);
    QVERIFY(out.response);
    QCOMPARE(server.requestCount(), 1);
    const Test::RecordedRequest sent = server.requests().first();
    const QJsonObject body = sent.json();
    QCOMPARE(sent.method, QByteArray("POST"));
    QCOMPARE(body.value(QStringLiteral("model")).toString(), QStringLiteral("model-x"));
    QCOMPARE(body.value(QStringLiteral("stream")).toBool(), true);
    QCOMPARE(body.value(QStringLiteral("temperature")).toDouble(), 0.2);
    const QJsonArray messages = body.value(QStringLiteral("messages")).toArray();
    QStringList roles;
    for (const QJsonValue &m : messages)
        roles.append(m.toObject().value(QStringLiteral("role")).toString());

    if (api == QLatin1String("openai")) {
        QCOMPARE(sent.path, QStringLiteral("/v1/chat/completions"));
        QCOMPARE(sent.header("authorization"), QByteArray("Bearer " + kKey.toUtf8()));
        QCOMPARE(body.value(QStringLiteral("stream_options")).toObject().value(QStringLiteral("include_usage")).toBool(), true);
        QCOMPARE(roles, (QStringList{"system", "user", "assistant", "tool", "tool", "user"}));
        const QJsonArray calls = messages.at(2).toObject().value(QStringLiteral("tool_calls")).toArray();
        QCOMPARE(calls.size(), 2);
        QCOMPARE(calls.at(1).toObject().value(QStringLiteral("function")).toObject().value(QStringLiteral("arguments")).toString(),
                 QStringLiteral("{\"text\": \"hi\"}"));
        QCOMPARE(messages.at(4).toObject().value(QStringLiteral("tool_call_id")).toString(), QStringLiteral("c2"));
        QCOMPARE(body.value(QStringLiteral("tools")).toArray().at(0).toObject().value(QStringLiteral("type")).toString(),
                 QStringLiteral("function"));
        QCOMPARE(body.value(QStringLiteral("tool_choice")).toString(), QStringLiteral("auto"));
    } else {
        QCOMPARE(sent.path, QStringLiteral("/v1/messages"));
        QCOMPARE(sent.header("x-api-key"), kKey.toUtf8());
        QCOMPARE(sent.header("anthropic-version"), AnthropicProvider::apiVersion());
        QVERIFY(sent.header("authorization").isEmpty());
        QCOMPARE(body.value(QStringLiteral("system")).toString(), QStringLiteral("Be brief."));
        QVERIFY(body.value(QStringLiteral("max_tokens")).toInt() > 0);
        // Tool results and the next user text merge into one user turn: roles alternate.
        QCOMPARE(roles, (QStringList{"user", "assistant", "user"}));
        const QJsonArray assistant = messages.at(1).toObject().value(QStringLiteral("content")).toArray();
        QCOMPARE(assistant.size(), 2); // no empty text block, two tool_use blocks
        QCOMPARE(assistant.at(1).toObject().value(QStringLiteral("input")).toObject().value(QStringLiteral("text")).toString(),
                 QStringLiteral("hi"));
        const QJsonArray last = messages.at(2).toObject().value(QStringLiteral("content")).toArray();
        QCOMPARE(last.size(), 3);
        QCOMPARE(last.at(0).toObject().value(QStringLiteral("type")).toString(), QStringLiteral("tool_result"));
        QCOMPARE(last.at(1).toObject().value(QStringLiteral("tool_use_id")).toString(), QStringLiteral("c2"));
        QCOMPARE(last.at(1).toObject().value(QStringLiteral("is_error")).toBool(), true);
        QCOMPARE(last.at(2).toObject().value(QStringLiteral("type")).toString(), QStringLiteral("text"));
        QCOMPARE(body.value(QStringLiteral("tools")).toArray().at(0).toObject().value(QStringLiteral("input_schema"))
                         .toObject().value(QStringLiteral("type")).toString(),
                 QStringLiteral("object"));
    }
    NOTHING_REFUSED(server);
}

void tst_ProviderMatrix::retriesOnErrorEventBeforeOutput()
{
    // An overloaded_error before any content reached the user is as safe to retry as a 529.
    FakeProviderServer server;
    QVERIFY(server.listen());
    QVERIFY(server.loadScenario(QStringLiteral("anthropic/overloaded_first.json")));
    auto provider = makeProvider(QStringLiteral("anthropic"), server, nullptr);
    const Outcome out = run(*provider, simpleRequest(), this);
    QVERIFY(out.response);
    QCOMPARE(out.retries.size(), 1);
    QCOMPARE(providerErrorClassName(out.retries.first().errorClass), QStringLiteral("server"));
    QCOMPARE(out.response->attempts, 2);
    QCOMPARE(server.requestCount(), 2);
    NOTHING_REFUSED(server);
}

void tst_ProviderMatrix::connectionRefused()
{
    ProviderConfig c;
    c.name = QStringLiteral("gone");
    c.kind = ProviderConfig::Kind::OpenAi;
    c.baseUrl = QStringLiteral("http://127.0.0.1:1/v1"); // nothing listens on port 1
    c.retryBaseDelayMs = 10;
    c.maxRetries = 1;
    OpenAiProvider provider(c, nullptr);
    const Outcome out = run(provider, simpleRequest(), this);
    QVERIFY(out.error);
    QCOMPARE(out.error->errorClass, ProviderErrorClass::Network);
    QVERIFY2(out.error->message.contains(QStringLiteral("refused")), qPrintable(out.error->message));
    QCOMPARE(out.retries.size(), 1); // transport failures are retried
}

void tst_ProviderMatrix::silentServerTimesOut()
{
    // The server takes the request and never answers: a stall before anything streamed is
    // safe to retry, and after the retries the user is told it timed out.
    FakeProviderServer server;
    QVERIFY(server.listen());
    server.setResponses({QJsonObject{{QStringLiteral("status"), 200},
                                     {QStringLiteral("delay_ms"), 5000},
                                     {QStringLiteral("body"), QStringLiteral("too late")}}});
    auto provider = makeProvider(QStringLiteral("openai"), server, nullptr);
    const Outcome out = run(*provider, simpleRequest(), this);
    QVERIFY(out.error);
    QCOMPARE(out.error->errorClass, ProviderErrorClass::Timeout);
    QCOMPARE(server.requestCount(), 3);
    QCOMPARE(out.retries.size(), 2);
    // The configured 0.4 s stall ended each attempt, not the server's answer after 5 s (that
    // would have been a reply, not three timeouts), and the user is told which limit it was.
    QVERIFY2(out.error->message.contains(QStringLiteral("nothing for 0.4 s")), qPrintable(out.error->message));
    NOTHING_REFUSED(server);
}

void tst_ProviderMatrix::redirectIsExplained()
{
    FakeProviderServer server;
    QVERIFY(server.listen());
    server.setResponses({QJsonObject{
            {QStringLiteral("status"), 301},
            {QStringLiteral("headers"), QJsonObject{{QStringLiteral("location"), QStringLiteral("https://api.example/v1/chat/completions")}}},
            {QStringLiteral("body"), QString()}}});
    auto provider = makeProvider(QStringLiteral("openai"), server, nullptr);
    const Outcome out = run(*provider, simpleRequest(), this);
    QVERIFY(out.error);
    QCOMPARE(server.requestCount(), 1); // not followed: the key stays with the configured host
    QVERIFY2(out.error->message.contains(QStringLiteral("https://api.example/v1/chat/completions")),
             qPrintable(out.error->message));
    QVERIFY(out.error->message.contains(QStringLiteral("base URL")));
    NOTHING_REFUSED(server);
}

void tst_ProviderMatrix::providerReplacedMidCall()
{
    // The user edits a provider while a reply streams: the old provider object goes away, the
    // call in flight still ends normally.
    FakeProviderServer server;
    QVERIFY(server.listen());
    QVERIFY(server.loadScenario(QStringLiteral("anthropic/slow.json")));
    auto provider = makeProvider(QStringLiteral("anthropic"), server, nullptr);
    ProviderCall *call = provider->send(simpleRequest(), this);
    QSignalSpy deltas(call, &ProviderCall::textDelta);
    QSignalSpy finished(call, &ProviderCall::finished);
    QSignalSpy failed(call, &ProviderCall::failed);
    QTRY_VERIFY(deltas.size() >= 1);
    provider.reset();
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 30000);
    QCOMPARE(failed.size(), 0);
    QCOMPARE(finished.first().first().value<ProviderResponse>().text.count(QStringLiteral("word")), 40);
    delete call;
    NOTHING_REFUSED(server);
}

void tst_ProviderMatrix::streamWithoutEventStreamType()
{
    // Some servers stream SSE as text/plain; the reply must still be read.
    FakeProviderServer server;
    QVERIFY(server.listen());
    QVERIFY(server.loadScenario(QStringLiteral("openai/plain.json")));
    QFile f(FakeProviderServer::fixturePath(QStringLiteral("openai/plain.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject response = QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("responses")).toArray().first().toObject();
    response.insert(QStringLiteral("headers"), QJsonObject{{QStringLiteral("content-type"), QStringLiteral("text/plain")}});
    server.setResponses({response});
    auto provider = makeProvider(QStringLiteral("openai"), server, nullptr);
    const Outcome out = run(*provider, simpleRequest(), this);
    QVERIFY2(out.response, out.error ? qPrintable(out.error->message) : "");
    QCOMPARE(out.response->text, QStringLiteral("Hello, wörld — ça va? 🎉"));
    NOTHING_REFUSED(server);
}

void tst_ProviderMatrix::toolNamesOnTheWire_data()
{
    QTest::addColumn<QString>("api");
    QTest::addColumn<bool>("streamed");
    for (const QString &api : {QStringLiteral("openai"), QStringLiteral("anthropic")}) {
        QTest::newRow(qPrintable(api + QStringLiteral("/streamed"))) << api << true;
        QTest::newRow(qPrintable(api + QStringLiteral("/whole"))) << api << false;
    }
}

void tst_ProviderMatrix::toolNamesOnTheWire()
{
    // Spool's names (dots), a server's (slashes, spaces) and a 100-character one, offered and
    // in the history with parallel calls and the ids another provider gave them: the request
    // passes the API's validation, and the model's call comes back under Spool's name.
    QFETCH(QString, api);
    QFETCH(bool, streamed);
    FakeProviderServer server;
    QVERIFY(server.listen());
    const QString longName = QString(100, QLatin1Char('x'));
    const QStringList names{QStringLiteral("fs.read"), QStringLiteral("github/create issue"), longName};
    QStringList offered;
    server.setResponder([&](const Test::RecordedRequest &request, int) {
        offered = ScriptedReply::offeredTools(api, request.json());
        const QList<ScriptedCall> calls{{QStringLiteral("call_n1"), offered.value(2), {}},
                                        {QStringLiteral("call_n2"), offered.value(0), {}}};
        return streamed ? ScriptedReply::streamed(api, QStringLiteral("Both."), calls)
                        : ScriptedReply::whole(api, QStringLiteral("Both."), calls);
    });
    auto provider = makeProvider(api, server, nullptr);

    ProviderRequest r = simpleRequest();
    for (const QString &n : names)
        r.tools.append(ToolDefinition{n, QStringLiteral("a tool"), {}});
    r.messages = {
            ChatMessage::user(QStringLiteral("Do both.")),
            ChatMessage::assistant(QString(), {ToolCallRequest::make(QStringLiteral("call_1_1"), names.at(0), QStringLiteral("{}")),
                                               ToolCallRequest::make(QStringLiteral("call_1_2"), names.at(1), QStringLiteral("{}"))}),
            ChatMessage::toolResult(QStringLiteral("call_1_2"), names.at(1), QStringLiteral("made"), true),
            ChatMessage::toolResult(QStringLiteral("call_1_1"), names.at(0), QString(), false),
            ChatMessage::user(QStringLiteral("Again.")),
            ChatMessage::assistant(QStringLiteral("Once more."),
                                   {ToolCallRequest::make(QStringLiteral("call_1_1"), longName, QStringLiteral("{}"))}),
            ChatMessage::toolResult(QStringLiteral("call_1_1"), longName, QStringLiteral("ok"), true),
    };
    const Outcome out = run(*provider, r, this);
    NOTHING_REFUSED(server);
    QVERIFY2(out.response, out.error ? qPrintable(out.error->message) : "no response");
    QCOMPARE(offered, (QStringList{QStringLiteral("fs_read"), WireToolNames::wireName(names.at(1)),
                                   WireToolNames::wireName(longName)}));
    QCOMPARE(out.response->toolCalls.size(), 2);
    QCOMPARE(out.response->toolCalls.at(0).name, longName);
    QCOMPARE(out.response->toolCalls.at(1).name, QStringLiteral("fs.read"));
    QVERIFY(out.response->toolCalls.at(0).nameError.isEmpty());
    QCOMPARE(out.response->text, QStringLiteral("Both."));
    // The history went out under the same wire names.
    const QJsonArray calls = ScriptedReply::historyCalls(api, server.requests().first().json());
    QCOMPARE(calls.size(), 3);
    QCOMPARE(calls.at(0).toObject().value(QStringLiteral("name")).toString(), offered.at(0));
    QCOMPARE(calls.at(1).toObject().value(QStringLiteral("name")).toString(), offered.at(1));
    QCOMPARE(calls.at(2).toObject().value(QStringLiteral("name")).toString(), offered.at(2));
}

QTEST_GUILESS_MAIN(tst_ProviderMatrix)
#include "tst_providermatrix.moc"
