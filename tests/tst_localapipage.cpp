#include "httptestclient.h"
#include "testsupport.h"

#include "api/apiserver.h"
#include "api/apisettings.h"
#include "client/engineclient.h"
#include "localapiindicator.h"
#include "localapipage.h"
#include "approvaldialog.h"
#include "approvallistmodel.h"
#include "mainwindow.h"
#include "sessionlistmodel.h"
#include "settingsdialog.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTest>

using namespace Spool;
using namespace Spool::Test;

// Settings → Local API and the status bar indicator, offscreen, with the server and the engine
// of the window: turning it on and off, the token (copied, regenerated: the old one stops
// working at once), the allowed origins, and an API run showing up live in the window.
class tst_LocalApiPage : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void turnOnCopyRegenerateTurnOff();
    void allowedOrigins();
    void apiToolCallApprovedInTheWindow();

private:
    LocalApiPage *openPage();
    int status(const QByteArray &token);

    std::unique_ptr<TempEnvironment> m_env;
    std::unique_ptr<EngineClient> m_engine;
    std::unique_ptr<MainWindow> m_window;
    std::unique_ptr<ApiServer> m_api;
};

void tst_LocalApiPage::init()
{
    m_env = std::make_unique<TempEnvironment>();
    m_env->config = RuntimeConfig::load(m_env->config.dataDir, m_env->config.configDir);
    m_env->config.frontEnd = QStringLiteral("gui");
    m_engine = std::make_unique<EngineClient>(m_env->config, &Gateway::create);
    QSignalSpy ready(m_engine.get(), &EngineClient::ready);
    m_engine->start();
    QVERIFY(ready.wait(20000));
    m_window = std::make_unique<MainWindow>(*m_engine);
    m_api = std::make_unique<ApiServer>(*m_engine);
    m_window->setLocalApi(m_api.get());
    m_window->show();
}

void tst_LocalApiPage::cleanup()
{
    m_api.reset();
    m_window.reset();
    m_engine.reset();
    m_env.reset();
}

LocalApiPage *tst_LocalApiPage::openPage()
{
    m_window->showSettings(QStringLiteral("Local API"));
    auto *dialog = m_window->findChild<SettingsDialog *>();
    return dialog ? dialog->findChild<LocalApiPage *>() : nullptr;
}

int tst_LocalApiPage::status(const QByteArray &token)
{
    HttpTestClient client(m_api->port());
    client.setToken(token);
    return client.exchange(client.request("GET", "/v1/models")).status;
}

void tst_LocalApiPage::turnOnCopyRegenerateTurnOff()
{
    auto *indicator = m_window->statusBar()->findChild<LocalApiIndicator *>();
    QVERIFY(indicator);
    QVERIFY(indicator->isHidden());
    LocalApiPage *page = openPage();
    QVERIFY(page);
    QVERIFY(page->isVisible());
    auto *port = page->findChild<QSpinBox *>();
    port->setValue(0); // any free port: tests run side by side
    page->enabledBox()->setChecked(true);
    QVERIFY(m_api->isListening());
    QVERIFY(!indicator->isHidden());
    QCOMPARE(indicator->text(), QStringLiteral("API :%1").arg(m_api->port()));
    QVERIFY(page->statusLabel()->text().contains(QStringLiteral("/v1")));
    QVERIFY(ApiSettings::load(m_env->config).enabled);

    // Copy: the clipboard holds the token the server wants.
    QTest::mouseClick(page->copyButton(), Qt::LeftButton);
    const QByteArray token = QApplication::clipboard()->text().toLatin1();
    QVERIFY(token.startsWith("spool-"));
    QCOMPARE(status(token), 200);

    // A run through the API shows up in the window as it happens.
    HttpTestClient client(m_api->port());
    client.setToken(token);
    const HttpReply reply = client.exchange(client.request(
            "POST", "/v1/chat/completions",
            R"({"model":"default","messages":[{"role":"user","content":"hello from an editor"}]})"));
    QCOMPARE(reply.status, 200);
    QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                SessionListModel *sessions = m_window->sessions();
                for (int row = 0; row < sessions->rowCount(); ++row) {
                    if (sessions->index(row, 0).data(SessionListModel::TitleRole).toString()
                        == QLatin1String("hello from an editor"))
                        return true;
                }
                return false;
            }(),
            20000);

    // Regenerate, confirmed: the old token is refused from the next request on.
    QTest::mouseClick(page->regenerateButton(), Qt::LeftButton);
    QMessageBox *ask = nullptr;
    QTRY_VERIFY((ask = page->findChild<QMessageBox *>(QStringLiteral("regenerateTokenQuestion"))) != nullptr);
    QPushButton *yes = nullptr;
    for (QAbstractButton *b : ask->buttons()) {
        if (ask->buttonRole(b) == QMessageBox::DestructiveRole)
            yes = qobject_cast<QPushButton *>(b);
    }
    QVERIFY(yes);
    yes->click();
    QTest::mouseClick(page->copyButton(), Qt::LeftButton);
    const QByteArray fresh = QApplication::clipboard()->text().toLatin1();
    QVERIFY(fresh != token);
    QFile file(m_api->tokenPath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll().trimmed(), fresh);
    QCOMPARE(status(token), 401);
    QCOMPARE(status(fresh), 200);

    page->enabledBox()->setChecked(false);
    QVERIFY(!m_api->isListening());
    QVERIFY(indicator->isHidden());
    QVERIFY(!ApiSettings::load(m_env->config).enabled);
}

void tst_LocalApiPage::allowedOrigins()
{
    LocalApiPage *page = openPage();
    QVERIFY(page);
    auto *origins = page->findChild<QPlainTextEdit *>();
    QPushButton *save = nullptr;
    for (QPushButton *b : page->findChildren<QPushButton *>()) {
        if (b->text().contains(QStringLiteral("origins")))
            save = b;
    }
    QVERIFY(save);
    auto *problem = [&]() -> QLabel * {
        for (QLabel *l : page->findChildren<QLabel *>()) {
            if (l->accessibleName() == QLatin1String("Local API problem"))
                return l;
        }
        return nullptr;
    }();
    QVERIFY(problem);

    origins->setPlainText(QStringLiteral("http://localhost:3000/\n*"));
    QTest::mouseClick(save, Qt::LeftButton);
    QVERIFY(!problem->isHidden()); // "*" is not an origin, and nothing is saved
    QVERIFY(ApiSettings::load(m_env->config).allowedOrigins.isEmpty());

    origins->setPlainText(QStringLiteral("http://localhost:3000/\nHTTPS://App.Example.com"));
    QTest::mouseClick(save, Qt::LeftButton);
    QVERIFY(problem->isHidden());
    const QStringList expected{QStringLiteral("http://localhost:3000"), QStringLiteral("https://app.example.com")};
    QCOMPARE(ApiSettings::load(m_env->config).allowedOrigins, expected);
    QCOMPARE(m_api->allowedOrigins(), expected);
}

void tst_LocalApiPage::apiToolCallApprovedInTheWindow()
{
    // Issue 12's "done when": an OpenAI client chats with an agent whose tool call the user
    // approves in the window; the client's stream waits meanwhile and then goes on.
    LocalApiPage *page = openPage();
    QVERIFY(page);
    page->findChild<QSpinBox *>()->setValue(0);
    page->enabledBox()->setChecked(true);
    QVERIFY(m_api->isListening());
    QFile tokenFile(m_api->tokenPath());
    QVERIFY(tokenFile.open(QIODevice::ReadOnly));
    HttpTestClient client(m_api->port());
    client.setToken(tokenFile.readAll().trimmed());
    QVERIFY(client.connectToServer());
    client.send(client.request(
            "POST", "/v1/chat/completions",
            R"({"model":"default","stream":true,"messages":[{"role":"user","content":"[[tool echo {\"text\": \"approved in the window\"}]]"}]})"));
    QVERIFY(client.waitForHead(20000));
    QCOMPARE(client.reply().status, 200);

    QTRY_COMPARE_WITH_TIMEOUT(m_window->approvals()->rowCount(), 1, 20000);
    const QString id = m_window->approvals()->rowAt(0).id;
    QTRY_VERIFY(m_window->approvalDialog(id));
    QVERIFY(!client.reply().complete); // the stream waits for the answer
    m_window->approvalDialog(id)->allowOnceButton()->click();

    QVERIFY(client.waitForReply(30000));
    const HttpReply reply = client.takeReply();
    // The streamed text is the deltas of every chunk put together.
    QString text;
    for (const QByteArray &line : reply.body.split('\n')) {
        if (!line.startsWith("data: {"))
            continue;
        const QJsonObject chunk = QJsonDocument::fromJson(line.mid(6)).object();
        text += chunk.value(QStringLiteral("choices")).toArray().at(0).toObject()
                        .value(QStringLiteral("delta")).toObject().value(QStringLiteral("content")).toString();
    }
    QVERIFY2(text.contains(QStringLiteral("approved in the window")), qPrintable(text));
    QVERIFY2(reply.body.contains("[DONE]"), reply.body.right(600).constData());
    QTRY_COMPARE(m_window->approvals()->rowCount(), 0);
}

QTEST_MAIN(tst_LocalApiPage)
#include "tst_localapipage.moc"
