// Settings → MCP servers (issue 13) on a real engine thread with the reference server
// @modelcontextprotocol/server-everything from npm (scripts/install-test-tools): a Claude
// Desktop file imported from the page, the server tested, its tools listed with a toggle each,
// its log shown, and a server switched off.
#include "client/engineclient.h"
#include "gateway/gateway.h"
#include "mcpserverspage.h"
#include "testsupport.h"

#include <QCheckBox>
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
    m_engine->call(this, [](Engine &e) { return e.mcpServers(); },
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

QTEST_MAIN(tst_McpGui)
#include "tst_mcpgui.moc"
