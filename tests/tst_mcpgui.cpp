// Settings → MCP servers (issue 13) on a real engine thread with the reference server
// @modelcontextprotocol/server-everything from npm (scripts/install-test-tools): a Claude
// Desktop file imported from the page, the server tested, its tools listed with a toggle each,
// its log shown, and a server switched off. And a server's question during a run's tool call
// (elicitation) in the window's dialog, answered, declined or cancelled, and on the tape.
#include "client/engineclient.h"
#include "engineanswer.h"
#include "gateway/gateway.h"
#include "mcpcontroller.h"
#include "mcpquestiondialog.h"
#include "mcpserverspage.h"
#include "testsupport.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTreeWidget>
#include <QtTest>

#include <memory>
#include <optional>

using namespace Spool;

class tst_McpGui : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void importTestToggle();
    void questionInTheWindow_data();
    void questionInTheWindow();

private:
    std::optional<McpServerStatus> serverStatus(const QString &name);

    QString m_tools;
    std::unique_ptr<Test::TempEnvironment> m_env;
    std::unique_ptr<EngineClient> m_engine;
};

void tst_McpGui::initTestCase()
{
    qputenv("SPOOL_KEYSTORE", "file"); // never the user's keychain
    m_tools = QStringLiteral(SPOOL_TEST_TOOLS_DIR "/node_modules/.bin");
    if (!QFile::exists(m_tools + QStringLiteral("/mcp-server-everything")))
        QSKIP("the reference servers are not installed; run scripts/install-test-tools");
}

void tst_McpGui::init()
{
    m_env = std::make_unique<Test::TempEnvironment>();
    m_env->config.frontEnd = QStringLiteral("gui");
    m_env->config.mcpPath = {m_tools};
    m_engine = std::make_unique<EngineClient>(m_env->config, &Gateway::create);
    QSignalSpy ready(m_engine.get(), &EngineClient::ready);
    m_engine->start();
    QVERIFY(ready.wait(10000));
}

void tst_McpGui::cleanup()
{
    m_engine.reset();
    m_env.reset();
}

std::optional<McpServerStatus> tst_McpGui::serverStatus(const QString &name)
{
    std::optional<QList<McpServerStatus>> all;
    m_engine->call(this, [](Engine &e) { return e.mcp().servers(); },
                   [&all](const QList<McpServerStatus> &s) { all = s; });
    if (!QTest::qWaitFor([&all] { return all.has_value(); }, 10000))
        return std::nullopt;
    for (const McpServerStatus &s : *all) {
        if (s.config.name == name)
            return s;
    }
    return std::nullopt;
}

void tst_McpGui::importTestToggle()
{
    const QString path = m_env->dir.filePath(QStringLiteral("claude_desktop_config.json"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QJsonDocument(QJsonObject{{QStringLiteral("mcpServers"),
                                       QJsonObject{{QStringLiteral("everything"),
                                                    QJsonObject{{QStringLiteral("command"), QStringLiteral("mcp-server-everything")},
                                                                {QStringLiteral("args"), QJsonArray{QStringLiteral("stdio")}}}}}}})
                    .toJson());
    f.close();

    McpServersPage page(m_engine.get());
    page.show();
    page.importFile(path);
    QTRY_COMPARE_WITH_TIMEOUT(page.serverList()->count(), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(page.selectedServer(), QStringLiteral("everything"), 10000);

    QPushButton *test = nullptr;
    for (QPushButton *b : page.findChildren<QPushButton *>()) {
        if (b->text() == QLatin1String("&Test"))
            test = b;
    }
    QVERIFY(test);
    test->click();
    QTRY_VERIFY_WITH_TIMEOUT(page.statusLabel()->text().contains(QStringLiteral("ready")), 60000);
    QVERIFY2(page.statusLabel()->text().contains(QStringLiteral("protocol")), qPrintable(page.statusLabel()->text()));
    QTRY_VERIFY_WITH_TIMEOUT(page.toolTree()->topLevelItemCount() > 3, 10000);
    // The server's stderr is kept and shown.
    QTRY_VERIFY_WITH_TIMEOUT(!page.logView()->toPlainText().trimmed().isEmpty(), 10000);

    QTreeWidgetItem *echo = nullptr;
    for (int i = 0; i < page.toolTree()->topLevelItemCount(); ++i) {
        if (page.toolTree()->topLevelItem(i)->text(0) == QLatin1String("echo"))
            echo = page.toolTree()->topLevelItem(i);
    }
    QVERIFY(echo);
    QCOMPARE(echo->checkState(0), Qt::Checked);
    echo->setCheckState(0, Qt::Unchecked);
    QTRY_VERIFY_WITH_TIMEOUT(serverStatus(QStringLiteral("everything"))
                                     && serverStatus(QStringLiteral("everything"))->config.disabledTools.contains(QStringLiteral("echo")),
                             10000);
    const auto status = serverStatus(QStringLiteral("everything"));
    QVERIFY(status);
    bool offered = true;
    for (const McpToolState &t : status->tools) {
        if (t.name == QLatin1String("echo"))
            offered = t.offered;
    }
    QVERIFY(!offered);
}

void tst_McpGui::questionInTheWindow_data()
{
    QTest::addColumn<QString>("how"); // what the user does with the dialog
    QTest::addColumn<QString>("action");
    QTest::addColumn<QString>("expected"); // in the tool's output
    QTest::newRow("filled in and sent") << QStringLiteral("send") << QStringLiteral("accept")
                                        << QStringLiteral("User provided the requested information");
    QTest::newRow("declined") << QStringLiteral("decline") << QStringLiteral("decline")
                              << QStringLiteral("User declined");
    QTest::newRow("Esc cancels") << QStringLiteral("escape") << QStringLiteral("cancel")
                                 << QStringLiteral("User cancelled");
}

void tst_McpGui::questionInTheWindow()
{
    QFETCH(QString, how);
    QFETCH(QString, action);
    QFETCH(QString, expected);
    McpServerConfig config;
    config.name = QStringLiteral("everything");
    config.command = QStringLiteral("mcp-server-everything");
    config.args = {QStringLiteral("stdio")};
    std::optional<Status> saved;
    m_engine->callAsync<Status>(
            this,
            [config](Engine &e, std::function<void(Status)> reply) { e.mcp().save(config, {}, reply); },
            [&saved](Status s) { saved = s; });
    QTRY_VERIFY_WITH_TIMEOUT(saved.has_value(), 10000);
    QVERIFY2(*saved, qPrintable(saved->errorMessage()));

    // The window: someone is here to answer, and the servers start.
    QWidget window;
    window.show();
    McpController controller(m_engine.get(), &window);
    QSignalSpy shown(&controller, &McpController::questionShown);
    // The user allows the server's tool call when it asks.
    connect(m_engine.get(), &EngineClient::approvalRequested, &window, [this](const PendingToolApproval &a) {
        m_engine->post([id = a.id](Engine &e) { (void)e.decideApproval(id, true, ApprovalScope::Once, QStringLiteral("gui")); });
    });
    RunRequest request;
    request.session.key = QStringLiteral("questions");
    request.text = QStringLiteral("[[tool mcp.everything.trigger-elicitation-request {}]]");
    request.source = QStringLiteral("gui");
    const auto run = Test::engineAnswer(*m_engine, [request](Engine &e) { return e.startRun(request); });
    QVERIFY(run);
    QVERIFY2(*run, qPrintable(run->errorMessage()));
    const QString runId = (*run)->id;

    QTRY_COMPARE_WITH_TIMEOUT(shown.count(), 1, 60000);
    const QString questionId = shown.at(0).at(0).toString();
    QPointer<McpQuestionDialog> dialog = controller.questionDialog(questionId);
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    // The form holds the schema's defaults.
    auto *name = qobject_cast<QLineEdit *>(dialog->field(QStringLiteral("name")));
    auto *firstLine = qobject_cast<QLineEdit *>(dialog->field(QStringLiteral("firstLine")));
    auto *integer = qobject_cast<QSpinBox *>(dialog->field(QStringLiteral("integer")));
    auto *check = qobject_cast<QCheckBox *>(dialog->field(QStringLiteral("check")));
    auto *hero = qobject_cast<QComboBox *>(dialog->field(QStringLiteral("titledSingleSelectEnum")));
    auto *friends = qobject_cast<QComboBox *>(dialog->field(QStringLiteral("untitledSingleSelectEnum")));
    QVERIFY(name && firstLine && integer && check && hero && friends);
    QCOMPARE(name->text(), QString());
    QCOMPARE(firstLine->text(), QStringLiteral("It was a dark and stormy night."));
    QCOMPARE(integer->value(), 42);
    QVERIFY(!check->isChecked());
    QCOMPARE(hero->currentData().toString(), QStringLiteral("hero-1"));
    QCOMPARE(friends->currentData().toString(), QStringLiteral("Monica"));

    if (how == QLatin1String("send")) {
        // The name is required: Send without it keeps the dialog open and sends nothing.
        dialog->sendButton()->click();
        QVERIFY(dialog->isVisible());
        QCOMPARE(controller.openQuestions().size(), 1);
        QTest::keyClicks(name, QStringLiteral("Ada Lovelace"));
        check->click();
        hero->setCurrentIndex(hero->findData(QStringLiteral("hero-2")));
        dialog->sendButton()->click();
    } else if (how == QLatin1String("decline")) {
        dialog->declineButton()->click();
    } else {
        QTest::keyClick(dialog.data(), Qt::Key_Escape);
    }
    QTRY_VERIFY_WITH_TIMEOUT(dialog.isNull(), 10000); // closed and gone

    RunInfo ended;
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto r = Test::engineAnswer(*m_engine, [runId](Engine &e) { return e.run(runId); });
                if (r && *r)
                    ended = **r;
                return ended.isTerminal();
            }(),
            60000);
    QCOMPARE(ended.state, RunState::Succeeded);
    const auto tape = Test::engineAnswer(*m_engine, [runId](Engine &e) { return e.inspection().tape(runId); });
    QVERIFY(tape && *tape);
    QJsonObject question;
    QJsonObject output;
    for (const TapeEvent &event : **tape) {
        if (event.kind == TapeKind::McpElicitation)
            question = event.payload;
        if (event.kind == TapeKind::ToolOutput)
            output = event.payload;
    }
    QCOMPARE(question.value(QStringLiteral("question_id")).toString(), questionId);
    QCOMPARE(question.value(QStringLiteral("server")).toString(), QStringLiteral("everything"));
    QCOMPARE(question.value(QStringLiteral("tool")).toString(), QStringLiteral("mcp.everything.trigger-elicitation-request"));
    QVERIFY(question.value(QStringLiteral("schema")).toObject().value(QStringLiteral("properties")).toObject().contains(QStringLiteral("name")));
    QCOMPARE(question.value(QStringLiteral("action")).toString(), action);
    QCOMPARE(question.value(QStringLiteral("answered_by")).toString(), QStringLiteral("gui"));
    const QString text = output.value(QStringLiteral("output")).toString();
    QVERIFY2(text.contains(expected), qPrintable(text));
    if (action != QLatin1String("accept")) {
        QVERIFY(!question.contains(QStringLiteral("content")));
        return;
    }
    // What the user typed and chose, and the defaults left as they were, reached the server.
    const QJsonObject content = question.value(QStringLiteral("content")).toObject();
    QCOMPARE(content.value(QStringLiteral("name")).toString(), QStringLiteral("Ada Lovelace"));
    QCOMPARE(content.value(QStringLiteral("check")).toBool(false), true);
    QCOMPARE(content.value(QStringLiteral("titledSingleSelectEnum")).toString(), QStringLiteral("hero-2"));
    QCOMPARE(content.value(QStringLiteral("integer")).toInt(), 42);
    QCOMPARE(content.value(QStringLiteral("firstLine")).toString(), QStringLiteral("It was a dark and stormy night."));
    QVERIFY(!content.contains(QStringLiteral("email"))); // left empty: left out
    QVERIFY2(text.contains(QStringLiteral("Name: Ada Lovelace")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Agreed to terms: true")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("Favorite Integer: 42")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("hero-2")), qPrintable(text));
}

QTEST_MAIN(tst_McpGui)
#include "tst_mcpgui.moc"
