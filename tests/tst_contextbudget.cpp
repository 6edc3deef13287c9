// The context budget (issue 11): the system prompt, tool schemas, memory and input count
// against the model's context window; an oversized run is trimmed inside, never splitting a
// tool call from its output, instead of costing the whole history.
#include "testsupport.h"

#include "providers/chatmessage.h"
#include "runs/contextbuilder.h"
#include "runs/runorchestrator.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QTest>

using namespace Spool;

namespace {

ToolCallRequest call(const QString &id)
{
    return ToolCallRequest::make(id, QStringLiteral("fs.read"), QStringLiteral("{\"path\":\"x\"}"));
}

// input, N tool turns (each: an assistant call and its output of `outputChars`), final reply.
QList<ChatMessage> runWithTools(int turns, int outputChars)
{
    QList<ChatMessage> m{ChatMessage::user(QStringLiteral("please read the files"))};
    for (int i = 0; i < turns; ++i) {
        const QString id = QStringLiteral("call_%1").arg(i);
        m.append(ChatMessage::assistant(QString(), {call(id)}));
        m.append(ChatMessage::toolResult(id, QStringLiteral("fs.read"), QString(outputChars, QLatin1Char('a' + i % 26)), true));
    }
    m.append(ChatMessage::assistant(QStringLiteral("Here is what the files say.")));
    return m;
}

// Every tool message answers the call of the assistant message before it; every call has its
// output: what both hosted APIs require of a history.
bool wellFormed(const QList<ChatMessage> &messages)
{
    QSet<QString> open;
    for (const ChatMessage &m : messages) {
        if (m.role == ChatMessage::Role::Tool) {
            if (!open.remove(m.toolCallId))
                return false;
            continue;
        }
        if (!open.isEmpty())
            return false;
        for (const ToolCallRequest &c : m.toolCalls)
            open.insert(c.id);
    }
    return open.isEmpty();
}

} // namespace

class tst_ContextBudget : public QObject
{
    Q_OBJECT

private slots:
    void trimRun_data();
    void trimRun();
    void historyBudget_data();
    void historyBudget();
    void oversizedRunIsTrimmed();
};

void tst_ContextBudget::trimRun_data()
{
    QTest::addColumn<int>("turns");
    QTest::addColumn<int>("outputChars");
    QTest::addColumn<int>("budget");
    QTest::addColumn<bool>("cutText");
    QTest::addColumn<int>("keptTurns"); // -1: nothing fits
    QTest::addColumn<bool>("textCut");

    // Each tool turn of 4,000 characters costs about 1,000 tokens.
    QTest::newRow("everything fits") << 3 << 4000 << 100000 << false << 3 << false;
    QTest::newRow("the newest turns fit") << 5 << 4000 << 2100 << false << 2 << false;
    QTest::newRow("only input and reply") << 5 << 4000 << 60 << false << 0 << false;
    QTest::newRow("not even those") << 1 << 4000 << 10 << false << -1 << false;
    QTest::newRow("texts cut to fit") << 1 << 4000 << 100 << true << 0 << false;
}

void tst_ContextBudget::trimRun()
{
    QFETCH(int, turns);
    QFETCH(int, outputChars);
    QFETCH(int, budget);
    QFETCH(bool, cutText);
    QFETCH(int, keptTurns);
    QFETCH(bool, textCut);
    const QList<ChatMessage> run = runWithTools(turns, outputChars);
    ConversationContext::TrimmedRun report;
    const QList<ChatMessage> out = ContextBuilder::trimRun(run, budget, cutText, &report);
    if (keptTurns < 0) {
        QVERIFY(out.isEmpty());
        return;
    }
    QVERIFY(ContextBuilder::tokensOf(out) <= budget);
    QVERIFY(wellFormed(out));
    QCOMPARE(out.first().role, ChatMessage::Role::User);
    QCOMPARE(out.last().text, QStringLiteral("Here is what the files say."));
    QCOMPARE(int(out.size()), 2 + 2 * keptTurns);
    QCOMPARE(report.messagesDropped, 2 * (turns - keptTurns));
    QCOMPARE(report.textCut, textCut);
    // The kept turns are the newest ones.
    // (the last tool output comes just before the final reply).
    if (keptTurns > 0)
        QCOMPARE(out.at(out.size() - 2).toolCallId, QStringLiteral("call_%1").arg(turns - 1));
}

void tst_ContextBudget::historyBudget_data()
{
    QTest::addColumn<int>("window");
    QTest::addColumn<int>("system");
    QTest::addColumn<int>("tools");
    QTest::addColumn<int>("input");
    QTest::addColumn<int>("cap");
    QTest::addColumn<int>("expected");
    QTest::newRow("large window: the cap") << 128000 << 500 << 2000 << 100 << 12000 << 12000;
    QTest::newRow("small window: what is left") << 8192 << 500 << 2000 << 100 << 12000 << 8192 - 2048 - 2600;
    QTest::newRow("nothing left") << 4096 << 3000 << 2000 << 100 << 12000 << 0;
}

void tst_ContextBudget::historyBudget()
{
    QFETCH(int, window);
    QFETCH(int, system);
    QFETCH(int, tools);
    QFETCH(int, input);
    QFETCH(int, cap);
    QFETCH(int, expected);
    QJsonObject budget;
    QCOMPARE(RunOrchestrator::historyBudget(window, system, tools, input, cap, &budget), expected);
    QCOMPARE(budget.value(QStringLiteral("history_budget")).toInt(), expected);
    QCOMPARE(budget.value(QStringLiteral("reply_reserve")).toInt(), qMin(4096, window / 4));
}

void tst_ContextBudget::oversizedRunIsTrimmed()
{
    Test::TempEnvironment env;
    env.config.toolOutputModelCap = 200000; // the model sees the whole 80 KB file
    auto g = Test::openGateway(env.config);
    QVERIFY(g);
    RunRequest r;
    r.session.key = QStringLiteral("big");
    r.source = QStringLiteral("test");
    r.text = QStringLiteral("first, small");
    auto first = g->startRun(r);
    QCOMPARE(Test::waitForRun(*g, first->id).state, RunState::Succeeded);
    const SessionInfo session = *g->sessions().find(QStringLiteral("big"));
    const QString workspace = g->sessions().effectiveWorkspace(session);
    QVERIFY(QDir().mkpath(workspace));
    QFile big(QDir(workspace).filePath(QStringLiteral("big.txt")));
    QVERIFY(big.open(QIODevice::WriteOnly));
    for (int i = 0; i < 2000; ++i)
        big.write("0123456789 the quick brown fox jumps over the lazy dog.\n");
    big.close();
    r.text = QStringLiteral("read it [[tool fs.read {\"path\": \"big.txt\"}]]");
    auto second = g->startRun(r);
    QCOMPARE(Test::waitForRun(*g, second->id).state, RunState::Succeeded);

    // The second run alone is about 28,000 tokens: more than the 12,000 of earlier turns a run
    // may be given. It is trimmed, not dropped, and the first run no longer fits.
    r.text = QStringLiteral("and now?");
    auto third = g->startRun(r);
    QCOMPARE(Test::waitForRun(*g, third->id).state, RunState::Succeeded);
    QJsonObject context;
    QJsonArray messages;
    const auto thirdTape = g->inspection().tape(third->id); // held: a range-for over *g->inspection().tape() would dangle
    for (const TapeEvent &t : *thirdTape) {
        if (t.kind == TapeKind::Context)
            context = t.payload;
        if (t.kind == TapeKind::ProviderRequest && messages.isEmpty())
            messages = t.payload.value(QStringLiteral("messages")).toArray();
    }
    QCOMPARE(context.value(QStringLiteral("turns_used")).toArray(), QJsonArray{second->id});
    QCOMPARE(context.value(QStringLiteral("turns_dropped")).toInt(), 1);
    const QJsonArray trimmed = context.value(QStringLiteral("turns_trimmed")).toArray();
    QCOMPARE(trimmed.size(), 1);
    QCOMPARE(trimmed.first().toObject().value(QStringLiteral("run_id")).toString(), second->id);
    QCOMPARE(trimmed.first().toObject().value(QStringLiteral("messages_dropped")).toInt(), 2);
    QVERIFY(trimmed.first().toObject().value(QStringLiteral("tokens_dropped")).toInt() > 20000);
    QVERIFY(context.value(QStringLiteral("token_estimate")).toInt() <= 12000);
    const QJsonObject budget = context.value(QStringLiteral("budget")).toObject();
    QCOMPARE(budget.value(QStringLiteral("window")).toInt(), 128000);
    QVERIFY(budget.value(QStringLiteral("tools")).toInt() > 100);
    QCOMPARE(budget.value(QStringLiteral("total")).toInt(),
             budget.value(QStringLiteral("system")).toInt() + budget.value(QStringLiteral("tools")).toInt()
                     + budget.value(QStringLiteral("input")).toInt() + context.value(QStringLiteral("token_estimate")).toInt());
    // What was sent: the system prompt, the second run's input and reply (its tool call and
    // output left out together), the new input.
    QStringList roles;
    for (const QJsonValue &m : messages)
        roles.append(m.toObject().value(QStringLiteral("role")).toString());
    QCOMPARE(roles, (QStringList{"system", "user", "assistant", "user"}));
    QVERIFY(messages.at(1).toObject().value(QStringLiteral("text")).toString().startsWith(QLatin1String("read it")));

    // A small window: what the model can take bounds the history, not only the cap.
    env.config.contextWindowTokens = 6000;
    g.reset();
    g = Test::openGateway(env.config);
    r.text = QStringLiteral("once more");
    auto fourth = g->startRun(r);
    QCOMPARE(Test::waitForRun(*g, fourth->id).state, RunState::Succeeded);
    const auto fourthTape = g->inspection().tape(fourth->id);
    for (const TapeEvent &t : *fourthTape) {
        if (t.kind != TapeKind::Context)
            continue;
        const QJsonObject b = t.payload.value(QStringLiteral("budget")).toObject();
        QCOMPARE(b.value(QStringLiteral("window")).toInt(), 6000);
        QVERIFY(b.value(QStringLiteral("history_budget")).toInt() < 6000 - 1500);
        QVERIFY(t.payload.value(QStringLiteral("token_estimate")).toInt() <= b.value(QStringLiteral("history_budget")).toInt());
    }
}

QTEST_GUILESS_MAIN(tst_ContextBudget)
#include "tst_contextbudget.moc"
