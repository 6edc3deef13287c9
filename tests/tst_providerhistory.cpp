#include "fakeproviderserver.h"
#include "scriptedreply.h"
#include "spoolprocess.h"
#include "testsupport.h"

#include "agents/agent.h"
#include "gateway/gateway.h"
#include "providers/keystore.h"
#include "providers/providerfactory.h"
#include "providers/providerregistry.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace Spool;
using Spool::Test::FakeProviderServer;
using Spool::Test::ScriptedCall;
using Spool::Test::ScriptedReply;

// After every way a run can end, the next run of the session rebuilds its history from the
// tape and sends it to the model. That history must pass the hosted APIs' validation (the fake
// servers refuse what OpenAI and Anthropic refuse): no tool call without its result, no result
// without its call, no empty content, tool names and call ids the APIs take. One test per way
// a run ends, for both APIs, through a real Gateway.
class tst_ProviderHistory : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cancelledWhileStreaming_data();
    void cancelledWhileStreaming();
    void cancelledAtApproval_data();
    void cancelledAtApproval();
    void deniedApproval_data();
    void deniedApproval();
    void failedTool_data();
    void failedTool();
    void failedProviderTurn_data();
    void failedProviderTurn();
    void interruptedByCrash_data();
    void interruptedByCrash();
    void budgetStopInTheMiddleOfParallelCalls_data();
    void budgetStopInTheMiddleOfParallelCalls();
    void budgetStopAfterToolResults_data();
    void budgetStopAfterToolResults();
    void historyFromAnotherProvider_data();
    void historyFromAnotherProvider();
    void earlierToolCallsAreResentAsTheyWereSent_data();
    void earlierToolCallsAreResentAsTheyWereSent();
    void messageWithOnlyAnAttachment_data();
    void messageWithOnlyAnAttachment();
};

namespace {

const QString kSession = QStringLiteral("history");
const QString kNext = QStringLiteral("And now?");

// A model behind the fake server: after tool results it sums them up; when the latest user
// message is the trigger it makes the calls `calls` returns (given the tools it was offered);
// otherwise it answers in words.
FakeProviderServer::Responder model(
        const QString &api, const QString &trigger,
        std::function<QList<ScriptedCall>(const QStringList &offered)> calls)
{
    return [api, trigger, calls](const Test::RecordedRequest &request, int) {
        const QJsonObject body = request.json();
        if (ScriptedReply::endsWithToolResults(api, body))
            return ScriptedReply::streamed(api, QStringLiteral("I have the results."));
        const QStringList texts = ScriptedReply::userTexts(api, body);
        if (!texts.isEmpty() && texts.last() == trigger)
            return ScriptedReply::streamed(api, QString(), calls(ScriptedReply::offeredTools(api, body)));
        return ScriptedReply::streamed(api, QStringLiteral("Understood."));
    };
}

struct Setup
{
    Test::TempEnvironment env;
    FakeProviderServer server;
    std::unique_ptr<ProviderFactory> factory;
    std::unique_ptr<Gateway> gateway;
    QString api;

    // The provider "remote" of `api` on the fake server, its key in the key file; the agent
    // "remote-agent" on it.
    bool open(const QString &kind)
    {
        api = kind;
        if (!server.listen())
            return false;
        gateway = Test::openGateway(env.config);
        if (!gateway)
            return false;
        factory = std::make_unique<ProviderFactory>(env.config.configDir, KeyStore::Backend::File);
        return addProvider(QStringLiteral("remote"), api);
    }

    // Another provider on the same fake server, and its agent "<name>-agent".
    bool addProvider(const QString &name, const QString &kind)
    {
        ProviderConfig c;
        c.name = name;
        c.kind = *ProviderConfig::parseKind(kind);
        c.baseUrl = server.baseUrl(kind == QLatin1String("openai") ? QStringLiteral("/v1") : QString());
        c.defaultModel = QStringLiteral("test-model");
        c.stallTimeoutMs = 2000;
        c.retryBaseDelayMs = 20;
        c.maxRetries = 0;
        std::optional<Status> added;
        factory->addProvider(c, QStringLiteral("sk-history-0123456789"), &gateway->providerRegistry(), nullptr,
                             [&added](const Status &s) { added = s; });
        if (!QTest::qWaitFor([&added] { return added.has_value(); }, 5000) || !*added)
            return false;
        Agent agent;
        agent.name = name + QStringLiteral("-agent");
        agent.systemPrompt = QStringLiteral("You help.");
        agent.provider = name;
        agent.model = QStringLiteral("test-model");
        return bool(gateway->agents().save(agent));
    }

    // Reopens the Gateway with the changed configuration (budgets).
    bool reopen()
    {
        gateway->shutdown();
        gateway.reset();
        gateway = Test::openGateway(env.config);
        return gateway != nullptr;
    }

    RunInfo start(const QString &text, const QString &agent = QStringLiteral("remote-agent"))
    {
        RunRequest r;
        r.session.key = kSession;
        r.agent = agent;
        r.text = text;
        r.source = QStringLiteral("test");
        auto started = gateway->startRun(r);
        if (!started) {
            qWarning("startRun: %s", qPrintable(started.errorMessage()));
            return {};
        }
        return *started;
    }

    RunInfo finish(const RunInfo &run, int timeoutMs = 15000)
    {
        return Test::waitForRun(*gateway, run.id, timeoutMs);
    }

    RunInfo run(const QString &text, const QString &agent = QStringLiteral("remote-agent"))
    {
        const RunInfo started = start(text, agent);
        return started.id.isEmpty() ? started : finish(started);
    }

    QList<TapeEvent> tape(const QString &runId) const { return *gateway->inspection().tape(runId); }

    QJsonObject lastBody() const { return server.requests().last().json(); }
};

QStringList apis()
{
    return {QStringLiteral("openai"), QStringLiteral("anthropic")};
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

#define VERIFY_NOTHING_REFUSED(setup) \
    QVERIFY2((setup).server.rejections().isEmpty(), qPrintable((setup).server.rejections().join(QLatin1Char('\n'))))

// The follow-up run: it succeeds, nothing was refused, and its history still has the earlier
// input; returns the body the model got.
#define RUN_NEXT_AND_CHECK(setup, firstInput)                                                     \
    do {                                                                                          \
        const RunInfo next = (setup).run(kNext);                                                  \
        VERIFY_NOTHING_REFUSED(setup);                                                            \
        QCOMPARE(runStateName(next.state), QStringLiteral("succeeded"));                          \
        const QStringList texts = ScriptedReply::userTexts((setup).api, (setup).lastBody());      \
        QVERIFY2(texts.contains(firstInput), qPrintable(texts.join(QLatin1Char('|'))));           \
        QCOMPARE(texts.last(), kNext);                                                            \
    } while (false)

} // namespace

void tst_ProviderHistory::initTestCase()
{
    qunsetenv("DBUS_SESSION_BUS_ADDRESS"); // never the user's real keychain
}

void tst_ProviderHistory::cancelledWhileStreaming_data()
{
    QTest::addColumn<QString>("api");
    for (const QString &api : apis())
        QTest::newRow(qPrintable(api)) << api;
}

void tst_ProviderHistory::cancelledWhileStreaming()
{
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api));
    const QString first = QStringLiteral("Tell me a long story.");
    s.server.setResponder([api, first](const Test::RecordedRequest &request, int) {
        const QStringList texts = ScriptedReply::userTexts(api, request.json());
        return texts.last() == first ? ScriptedReply::slow(api, 300, 20)
                                     : ScriptedReply::streamed(api, QStringLiteral("Short one."));
    });
    QSignalSpy deltas(s.gateway.get(), &Gateway::textDelta);
    const RunInfo run = s.start(first);
    QTRY_VERIFY(deltas.size() >= 2);
    QVERIFY(s.gateway->cancelRun(run.id, QStringLiteral("test")));
    QCOMPARE(runStateName(s.finish(run).state), QStringLiteral("cancelled"));
    RUN_NEXT_AND_CHECK(s, first);
}

void tst_ProviderHistory::cancelledAtApproval_data()
{
    cancelledWhileStreaming_data();
}

void tst_ProviderHistory::cancelledAtApproval()
{
    // The tape holds a tool call that never got a result.
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api));
    const QString first = QStringLiteral("Echo hi, please.");
    s.server.setResponder(model(api, first, [](const QStringList &) {
        return QList<ScriptedCall>{{QStringLiteral("call_echo1"), QStringLiteral("echo"),
                                    QJsonObject{{QStringLiteral("text"), QStringLiteral("hi")}}}};
    }));
    QSignalSpy asked(s.gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = s.start(first);
    QTRY_COMPARE(asked.size(), 1);
    QVERIFY(s.gateway->cancelRun(run.id, QStringLiteral("test")));
    QCOMPARE(runStateName(s.finish(run).state), QStringLiteral("cancelled"));
    RUN_NEXT_AND_CHECK(s, first);
    QCOMPARE(ScriptedReply::historyCalls(api, s.lastBody()).size(), 0); // the unanswered call is not re-sent
}

void tst_ProviderHistory::deniedApproval_data()
{
    cancelledWhileStreaming_data();
}

void tst_ProviderHistory::deniedApproval()
{
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api));
    const QString first = QStringLiteral("Echo secret, please.");
    s.server.setResponder(model(api, first, [](const QStringList &) {
        return QList<ScriptedCall>{{QStringLiteral("call_echo2"), QStringLiteral("echo"),
                                    QJsonObject{{QStringLiteral("text"), QStringLiteral("secret")}}}};
    }));
    QSignalSpy asked(s.gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = s.start(first);
    QTRY_COMPARE(asked.size(), 1);
    QVERIFY(s.gateway->decideApproval(asked.first().first().value<PendingToolApproval>().id, false,
                                      ApprovalScope::Once, QStringLiteral("test")));
    QCOMPARE(runStateName(s.finish(run).state), QStringLiteral("succeeded"));
    VERIFY_NOTHING_REFUSED(s);
    RUN_NEXT_AND_CHECK(s, first);
    const QJsonArray results = ScriptedReply::historyResults(api, s.lastBody());
    QCOMPARE(results.size(), 1);
    QVERIFY(results.first().toObject().value(QStringLiteral("content")).toString().contains(QStringLiteral("denied")));
}

void tst_ProviderHistory::failedTool_data()
{
    cancelledWhileStreaming_data();
}

void tst_ProviderHistory::failedTool()
{
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api));
    const QString first = QStringLiteral("Read missing.txt.");
    s.server.setResponder(model(api, first, [](const QStringList &offered) {
        // Spool's fs.read, under the name the request offered it by.
        return QList<ScriptedCall>{{QStringLiteral("call_read1"),
                                    offered.contains(QStringLiteral("fs_read")) ? QStringLiteral("fs_read")
                                                                                : QStringLiteral("fs_read_not_offered"),
                                    QJsonObject{{QStringLiteral("path"), QStringLiteral("missing.txt")}}}};
    }));
    const RunInfo run = s.run(first);
    QCOMPARE(runStateName(run.state), QStringLiteral("succeeded"));
    const QList<TapeEvent> outputs = ofKind(s.tape(run.id), TapeKind::ToolOutput);
    QCOMPARE(outputs.size(), 1);
    QCOMPARE(outputs.first().payload.value(QStringLiteral("tool")).toString(), QStringLiteral("fs.read"));
    QCOMPARE(outputs.first().payload.value(QStringLiteral("ok")).toBool(), false);
    RUN_NEXT_AND_CHECK(s, first);
    const QJsonArray calls = ScriptedReply::historyCalls(api, s.lastBody());
    QCOMPARE(calls.size(), 1);
    QCOMPARE(calls.first().toObject().value(QStringLiteral("name")).toString(), QStringLiteral("fs_read"));
    if (api == QLatin1String("anthropic"))
        QCOMPARE(ScriptedReply::historyResults(api, s.lastBody()).first().toObject().value(QStringLiteral("error")).toBool(), true);
}

void tst_ProviderHistory::failedProviderTurn_data()
{
    cancelledWhileStreaming_data();
}

void tst_ProviderHistory::failedProviderTurn()
{
    // The stream breaks off after some text: the run fails, the partial text is on the tape
    // as an error, not as a reply.
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api));
    const QString first = QStringLiteral("Start talking.");
    s.server.setResponder([api, first](const Test::RecordedRequest &request, int) {
        if (ScriptedReply::userTexts(api, request.json()).last() != first)
            return ScriptedReply::streamed(api, QStringLiteral("Fine."));
        QJsonObject broken = ScriptedReply::streamed(api, QStringLiteral("Partial answer"));
        QJsonArray sse = broken.value(QStringLiteral("sse")).toArray();
        while (sse.size() > 3)
            sse.removeLast();
        broken.insert(QStringLiteral("sse"), sse);
        broken.insert(QStringLiteral("then"), QStringLiteral("disconnect"));
        return broken;
    });
    const RunInfo run = s.run(first);
    QCOMPARE(runStateName(run.state), QStringLiteral("failed"));
    QCOMPARE(run.reason, QStringLiteral("provider_error"));
    RUN_NEXT_AND_CHECK(s, first);
}

void tst_ProviderHistory::interruptedByCrash_data()
{
    cancelledWhileStreaming_data();
}

void tst_ProviderHistory::interruptedByCrash()
{
    // A `spool chat` process is killed while its run waits for an approval; the next process
    // finds the run still waiting (for a process to adopt it) and cancels it: the history
    // then holds a tool call that never got its output.
    QFETCH(QString, api);
    if (!QFile::exists(QStringLiteral(SPOOL_BINARY)))
        QFAIL("the spool executable is not built");
    Setup s;
    QVERIFY(s.open(api));
    s.gateway->shutdown();
    s.gateway.reset();
    const QString first = QStringLiteral("Echo crash, please.");
    s.server.setResponder(model(api, first, [](const QStringList &) {
        return QList<ScriptedCall>{{QStringLiteral("call_echo3"), QStringLiteral("echo"),
                                    QJsonObject{{QStringLiteral("text"), QStringLiteral("crash")}}}};
    }));

    QProcessEnvironment env = Test::spoolEnvironment(s.env.dir.path());
    env.insert(QStringLiteral("SPOOL_KEYSTORE"), QStringLiteral("file"));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    QList<QProcess *> processes;
    QProcess *chat = Test::startSpool(env, {QStringLiteral("chat"), QStringLiteral("--session"), kSession,
                                            QStringLiteral("--agent"), QStringLiteral("remote-agent"), first});
    processes.append(chat);
    QString err;
    const bool waiting = QTest::qWaitFor(
            [&] {
                err += QString::fromUtf8(chat->readAllStandardError());
                return err.contains(QStringLiteral("waiting for a decision"));
            },
            20000);
    QVERIFY2(waiting, qPrintable(err));
    chat->kill(); // SIGKILL: nothing gets to write the end of the run
    QVERIFY(Test::waitForExit(chat, 5000));
    Test::stopAll(processes);

    // The next process: the CLI's own configuration (principal, device), so the session key
    // finds the same session.
    RuntimeConfig config = RuntimeConfig::load(s.env.config.dataDir, s.env.config.configDir);
    config.frontEnd = QStringLiteral("test");
    config.deterministicChunkDelayMs = 0;
    config.pollMs = 50;
    s.gateway = Test::openGateway(config);
    QVERIFY(s.gateway);
    auto runs = s.gateway->runs(RunFilter{});
    QVERIFY(runs);
    QCOMPARE(runs->size(), 1);
    QCOMPARE(runStateName(runs->first().state), QStringLiteral("running"));
    auto cancelled = s.gateway->cancelRun(runs->first().id, QStringLiteral("test"));
    QVERIFY2(cancelled, qPrintable(cancelled.errorMessage()));
    QCOMPARE(runStateName(cancelled->state), QStringLiteral("cancelled"));
    QCOMPARE(ofKind(s.tape(runs->first().id), TapeKind::ToolCall).size(), 1);
    QCOMPARE(ofKind(s.tape(runs->first().id), TapeKind::ToolOutput).size(), 0);
    RUN_NEXT_AND_CHECK(s, first);
}

void tst_ProviderHistory::budgetStopInTheMiddleOfParallelCalls_data()
{
    cancelledWhileStreaming_data();
}

void tst_ProviderHistory::budgetStopInTheMiddleOfParallelCalls()
{
    // Two calls at once and a budget of one: the first has its result, the second never runs.
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api));
    s.env.config.maxToolCalls = 1;
    QVERIFY(s.reopen());
    const QString first = QStringLiteral("Time twice.");
    s.server.setResponder(model(api, first, [](const QStringList &) {
        return QList<ScriptedCall>{{QStringLiteral("call_t1"), QStringLiteral("clock"), {}},
                                   {QStringLiteral("call_t2"), QStringLiteral("clock"), {}}};
    }));
    const RunInfo run = s.run(first);
    QCOMPARE(runStateName(run.state), QStringLiteral("failed"));
    QCOMPARE(run.reason, QStringLiteral("budget_exhausted"));
    QCOMPARE(ofKind(s.tape(run.id), TapeKind::ToolOutput).size(), 1);
    RUN_NEXT_AND_CHECK(s, first);
}

void tst_ProviderHistory::budgetStopAfterToolResults_data()
{
    cancelledWhileStreaming_data();
}

void tst_ProviderHistory::budgetStopAfterToolResults()
{
    // The turn budget ends the run with the results in, before the model read them: the next
    // run's history ends a turn with tool results and goes on with the user.
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api));
    s.env.config.maxTurns = 1;
    QVERIFY(s.reopen());
    const QString first = QStringLiteral("What time is it?");
    s.server.setResponder(model(api, first, [](const QStringList &offered) {
        QList<ScriptedCall> calls{{QStringLiteral("call_t3"), QStringLiteral("clock"), {}}};
        if (offered.contains(QStringLiteral("fs_list")))
            calls.append({QStringLiteral("call_l3"), QStringLiteral("fs_list"), {}});
        return calls;
    }));
    const RunInfo run = s.run(first);
    QCOMPARE(run.reason, QStringLiteral("budget_exhausted"));
    QCOMPARE(ofKind(s.tape(run.id), TapeKind::ToolOutput).size(), 2);
    RUN_NEXT_AND_CHECK(s, first);
    QCOMPARE(ScriptedReply::historyCalls(api, s.lastBody()).size(), 2);
    QCOMPARE(ScriptedReply::historyResults(api, s.lastBody()).size(), 2);
}

void tst_ProviderHistory::historyFromAnotherProvider_data()
{
    cancelledWhileStreaming_data();
}

void tst_ProviderHistory::historyFromAnotherProvider()
{
    // The session starts on the embedded provider (which calls tools by Spool's names), goes
    // on with a local OpenAI-compatible server that sends calls without ids (Spool numbers
    // them call_0, call_1, ... per reply, so two replies repeat ids), then switches to the
    // hosted API under test.
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api));
    QVERIFY(s.addProvider(QStringLiteral("local"), QStringLiteral("openai")));
    const QString trigger = QStringLiteral("Time, please.");
    s.server.setResponder([api, trigger](const Test::RecordedRequest &request, int) {
        const QString kind = request.path.endsWith(QLatin1String("/chat/completions")) ? QStringLiteral("openai")
                                                                                         : QStringLiteral("anthropic");
        const QJsonObject body = request.json();
        if (!ScriptedReply::endsWithToolResults(kind, body) && ScriptedReply::userTexts(kind, body).last() == trigger)
            return ScriptedReply::streamed(kind, QString(), {{QString(), QStringLiteral("clock"), {}}});
        return ScriptedReply::streamed(kind, QStringLiteral("Understood."));
    });
    const RunInfo local = s.run(QStringLiteral("[[tool fs.read {\"path\": \"x.txt\"}]]"), QStringLiteral("default"));
    QCOMPARE(runStateName(local.state), QStringLiteral("succeeded"));
    for (int i = 0; i < 2; ++i) {
        const RunInfo noIds = s.run(trigger, QStringLiteral("local-agent"));
        QCOMPARE(runStateName(noIds.state), QStringLiteral("succeeded"));
        const QJsonArray calls = ofKind(s.tape(noIds.id), TapeKind::ProviderResponse)
                                         .first().payload.value(QStringLiteral("tool_calls")).toArray();
        QCOMPARE(calls.first().toObject().value(QStringLiteral("id")).toString(), QStringLiteral("call_0"));
    }
    const RunInfo remote = s.run(kNext);
    VERIFY_NOTHING_REFUSED(s);
    QCOMPARE(runStateName(remote.state), QStringLiteral("succeeded"));
    const QJsonArray calls = ScriptedReply::historyCalls(api, s.lastBody());
    QCOMPARE(calls.size(), 3);
    QSet<QString> ids;
    for (const QJsonValue &c : calls)
        ids.insert(c.toObject().value(QStringLiteral("id")).toString());
    QCOMPARE(ids.size(), 3);
    QCOMPARE(calls.at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("fs_read"));
    QCOMPARE(calls.at(1).toObject().value(QStringLiteral("id")).toString(), QStringLiteral("call_0"));
}

void tst_ProviderHistory::earlierToolCallsAreResentAsTheyWereSent_data()
{
    cancelledWhileStreaming_data();
}

void tst_ProviderHistory::earlierToolCallsAreResentAsTheyWereSent()
{
    // Parallel calls of a dotted and a plain tool; the next run re-sends them from the tape
    // under the same wire names and ids the model used, next to the same tool list.
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api));
    const QString first = QStringLiteral("List and time.");
    s.server.setResponder(model(api, first, [](const QStringList &) {
        return QList<ScriptedCall>{{QStringLiteral("call_p1"), QStringLiteral("fs_list"), {}},
                                   {QStringLiteral("call_p2"), QStringLiteral("clock"), {}}};
    }));
    const RunInfo run = s.run(first);
    QCOMPARE(runStateName(run.state), QStringLiteral("succeeded"));
    VERIFY_NOTHING_REFUSED(s);
    const QStringList offeredFirst = ScriptedReply::offeredTools(api, s.server.requests().first().json());
    QVERIFY2(offeredFirst.contains(QStringLiteral("fs_list")), qPrintable(offeredFirst.join(QLatin1Char(' '))));

    // The tape keeps Spool's names; the request snapshot shows what was sent.
    const QList<TapeEvent> tape = s.tape(run.id);
    QCOMPARE(ofKind(tape, TapeKind::ToolCall).first().payload.value(QStringLiteral("tool")).toString(),
             QStringLiteral("fs.list"));
    const QJsonObject snapshot = ofKind(tape, TapeKind::ProviderRequest).first().payload;
    QStringList snapshotTools;
    for (const QJsonValue &t : snapshot.value(QStringLiteral("tools")).toArray())
        snapshotTools.append(t.toObject().value(QStringLiteral("name")).toString());
    QCOMPARE(snapshotTools, offeredFirst);
    QCOMPARE(snapshot.value(QStringLiteral("tool_names")).toObject().value(QStringLiteral("fs_list")).toString(),
             QStringLiteral("fs.list"));
    const QJsonObject response = ofKind(tape, TapeKind::ProviderResponse).first().payload;
    QCOMPARE(response.value(QStringLiteral("tool_calls")).toArray().first().toObject().value(QStringLiteral("name")).toString(),
             QStringLiteral("fs.list"));

    RUN_NEXT_AND_CHECK(s, first);
    const QJsonObject body = s.lastBody();
    QCOMPARE(ScriptedReply::offeredTools(api, body), offeredFirst);
    const QJsonArray calls = ScriptedReply::historyCalls(api, body);
    QCOMPARE(calls.size(), 2);
    QCOMPARE(calls.at(0).toObject(), (QJsonObject{{"id", "call_p1"}, {"name", "fs_list"}}));
    QCOMPARE(calls.at(1).toObject(), (QJsonObject{{"id", "call_p2"}, {"name", "clock"}}));
    const QJsonArray results = ScriptedReply::historyResults(api, body);
    QCOMPARE(results.size(), 2);
    QCOMPARE(results.at(0).toObject().value(QStringLiteral("id")).toString(), QStringLiteral("call_p1"));
    QCOMPARE(results.at(1).toObject().value(QStringLiteral("id")).toString(), QStringLiteral("call_p2"));
}

void tst_ProviderHistory::messageWithOnlyAnAttachment_data()
{
    cancelledWhileStreaming_data();
}

void tst_ProviderHistory::messageWithOnlyAnAttachment()
{
    // A message of an attachment and no text: the file goes as a text part (OpenAI) or a
    // plain-text document (Anthropic) beside a line naming it, so no empty message goes out, in
    // its own run or in the history of the next.
    QFETCH(QString, api);
    Setup s;
    QVERIFY(s.open(api));
    s.server.setResponder(model(api, QString(), [](const QStringList &) { return QList<ScriptedCall>{}; }));
    RunRequest r;
    r.session.key = kSession;
    r.agent = QStringLiteral("remote-agent");
    r.attachments = {Attachment{QStringLiteral("notes.txt"), QStringLiteral("text/plain"), 0, {}, QByteArray("buy milk")}};
    r.source = QStringLiteral("test");
    auto started = s.gateway->startRun(r);
    QVERIFY2(started, qPrintable(started.errorMessage()));
    QCOMPARE(runStateName(s.finish(*started).state), QStringLiteral("succeeded"));
    VERIFY_NOTHING_REFUSED(s);
    RUN_NEXT_AND_CHECK(s, QStringLiteral("(attached: notes.txt)"));
}

QTEST_GUILESS_MAIN(tst_ProviderHistory)
#include "tst_providerhistory.moc"
