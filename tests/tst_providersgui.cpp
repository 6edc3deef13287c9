#include "fakeproviderserver.h"
#include "testsupport.h"

#include "client/engineclient.h"
#include "mainwindow.h"
#include "providerspage.h"
#include "sessionbar.h"
#include "settingsdialog.h"
#include "transcriptview.h"

#include <QComboBox>
#include <QFile>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using namespace Spool;
using Spool::Test::FakeProviderServer;

// The providers in the window, offscreen, against the fake provider server: the settings
// page adds a provider and tests it, the agents page and the session header pick models, and
// the transcript shows each reply's tokens and a real provider's errors.
class tst_ProvidersGui : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void providersPageAddsAndTests();
    void agentsPagePicksFromTheProvidersModels();
    void sessionModelAndTokenUsage();
    void providerErrorReadsWell();
    void refusedRequestNamesTheField();

private:
    bool addProvider(const QString &name, const QString &key);
    bool saveAgent(const QString &provider);
    template<typename R, typename Work>
    std::optional<R> ask(Work work);

    std::unique_ptr<Test::TempEnvironment> m_env;
    std::unique_ptr<FakeProviderServer> m_server;
    std::unique_ptr<EngineClient> m_engine;
};

namespace {

template<typename T>
T *byName(QWidget *root, const QString &accessibleName)
{
    const auto all = root->findChildren<T *>();
    for (T *w : all) {
        if (w->accessibleName() == accessibleName)
            return w;
    }
    return nullptr;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

template<typename R, typename Work>
std::optional<R> tst_ProvidersGui::ask(Work work)
{
    std::optional<R> result;
    m_engine->call(this, std::move(work), [&result](R r) { result.emplace(std::move(r)); });
    if (!QTest::qWaitFor([&result] { return result.has_value(); }, 10000))
        return std::nullopt;
    return result;
}

void tst_ProvidersGui::initTestCase()
{
    qputenv("SPOOL_KEYSTORE", "file"); // never the user's keychain
    qunsetenv("DBUS_SESSION_BUS_ADDRESS");
}

void tst_ProvidersGui::init()
{
    m_env = std::make_unique<Test::TempEnvironment>();
    m_env->config.frontEnd = QStringLiteral("gui");
    m_server = std::make_unique<FakeProviderServer>();
    QVERIFY(m_server->listen());
    m_engine = std::make_unique<EngineClient>(m_env->config, &Gateway::create);
    QSignalSpy ready(m_engine.get(), &EngineClient::ready);
    m_engine->start();
    QVERIFY(ready.wait(10000));
}

void tst_ProvidersGui::cleanup()
{
    m_engine.reset();
    m_server.reset();
    m_env.reset();
}

bool tst_ProvidersGui::addProvider(const QString &name, const QString &key)
{
    ProviderConfig c;
    c.name = name;
    c.kind = ProviderConfig::Kind::OpenAi;
    c.baseUrl = m_server->baseUrl(QStringLiteral("/v1"));
    c.defaultModel = QStringLiteral("test-model");
    c.maxRetries = 0;
    std::optional<Status> added;
    m_engine->callAsync<Status>(
            this,
            [c, key](Engine &g, std::function<void(Status)> reply) {
                g.providers().add(c, key, [reply](const Status &s) { reply(s); });
            },
            [&added](Status s) { added = s; });
    return QTest::qWaitFor([&added] { return added.has_value(); }, 10000) && *added;
}

bool tst_ProvidersGui::saveAgent(const QString &provider)
{
    Agent a;
    a.name = QStringLiteral("remote-agent");
    a.provider = provider;
    a.model = QStringLiteral("test-model");
    a.systemPrompt = QStringLiteral("Be brief.");
    const auto saved = ask<Status>([a](Engine &g) { return g.agents().save(a); });
    return saved && *saved;
}

void tst_ProvidersGui::providersPageAddsAndTests()
{
    auto *dialog = new SettingsDialog(m_engine.get());
    QScopedPointer<SettingsDialog> owner(dialog);
    dialog->showPage(QStringLiteral("Providers"));
    dialog->show();
    ProvidersPage *page = dialog->providersPage();
    QVERIFY(page);
    // Keys go to the file here (SPOOL_KEYSTORE=file): the page says so, visibly.
    QTRY_VERIFY(page->isKeyWarningShown());
    auto *warning = byName<QLabel>(page, QStringLiteral("Key storage warning"));
    QVERIFY(warning->text().contains(QStringLiteral("unencrypted")));

    auto *name = byName<QLineEdit>(page, QStringLiteral("Provider name"));
    auto *url = byName<QLineEdit>(page, QStringLiteral("Base URL"));
    auto *key = byName<QLineEdit>(page, QStringLiteral("API key"));
    auto *model = byName<QComboBox>(page, QStringLiteral("Default model"));
    auto *test = byName<QPushButton>(page, QStringLiteral("Test connection"));
    auto *save = byName<QPushButton>(page, QStringLiteral("Save provider"));
    auto *list = byName<QListWidget>(page, QStringLiteral("Configured providers"));
    QVERIFY(name && url && key && model && test && save && list);
    QCOMPARE(key->echoMode(), QLineEdit::Password);

    QTest::keyClicks(name, QStringLiteral("fake"));
    QTest::keyClicks(url, m_server->baseUrl(QStringLiteral("/v1")));
    QTest::keyClicks(key, QStringLiteral("sk-gui-secret-123"));

    // Test connection on the unsaved form, with the typed key.
    QVERIFY(m_server->loadScenario(QStringLiteral("openai/models.json")));
    QTest::mouseClick(test, Qt::LeftButton);
    QTRY_VERIFY2(page->testResultText().contains(QStringLiteral("It works: 3 models available")),
                 qPrintable(page->testResultText()));
    QVERIFY(page->testResultText().contains(QStringLiteral(" ms")));
    QCOMPARE(m_server->requests().constLast().header("authorization"), QByteArray("Bearer sk-gui-secret-123"));
    QCOMPARE(model->count(), 3); // the picker has the server's models
    QVERIFY(!QFile::exists(m_env->config.configDir + QStringLiteral("/provider-keys.json"))); // not saved yet

    // Save: the key goes to the key store, the form never shows it again.
    QTest::mouseClick(save, Qt::LeftButton);
    QTRY_COMPARE(list->count(), 1);
    QCOMPARE(list->item(0)->text(), QStringLiteral("fake"));
    QTRY_VERIFY(readFile(m_env->config.configDir + QStringLiteral("/provider-keys.json")).contains("sk-gui-secret-123"));
    QVERIFY(!readFile(m_env->config.settingsPath()).contains("sk-gui-secret-123"));
    QTRY_VERIFY(key->text().isEmpty());
    QVERIFY(name->isReadOnly());
    const ProviderConfig saved = page->formConfig();
    QCOMPARE(saved.keyRef, QStringLiteral("provider/fake"));
    QCOMPARE(saved.defaultModel, QStringLiteral("gpt-4o"));
    const auto listing = ask<ProviderListing>([](Engine &g) { return g.providers().listing(); });
    QVERIFY(listing && listing->find(QStringLiteral("fake")));
    QCOMPARE(listing->find(QStringLiteral("fake"))->keyStorage, QStringLiteral("file"));

    // The saved provider, with a key the server refuses: it says why, in plain words.
    QVERIFY(m_server->loadScenario(QStringLiteral("openai/unauthorized.json")));
    QTest::mouseClick(test, Qt::LeftButton);
    QTRY_VERIFY2(page->testResultText().contains(QStringLiteral("does not work")), qPrintable(page->testResultText()));
    QVERIFY(page->testResultText().contains(QStringLiteral("rejected the API key")));
    QVERIFY(page->testResultText().contains(QStringLiteral("Check the API key")));
    QCOMPARE(m_server->requests().constLast().header("authorization"), QByteArray("Bearer sk-gui-secret-123"));
}

void tst_ProvidersGui::agentsPagePicksFromTheProvidersModels()
{
    QVERIFY(addProvider(QStringLiteral("fake"), QStringLiteral("sk-agents")));
    QVERIFY(saveAgent(QStringLiteral("fake")));
    QVERIFY(m_server->loadScenario(QStringLiteral("openai/models.json")));
    auto *dialog = new SettingsDialog(m_engine.get());
    QScopedPointer<SettingsDialog> owner(dialog);
    dialog->show();
    auto *agents = byName<QListWidget>(dialog, QStringLiteral("Agents"));
    auto *model = byName<QComboBox>(dialog, QStringLiteral("Model"));
    auto *state = byName<QLabel>(dialog, QStringLiteral("Model list state"));
    QVERIFY(agents && model && state);
    QTRY_COMPARE(agents->count(), 2);
    agents->setCurrentRow(1);
    QCOMPARE(agents->currentItem()->text(), QStringLiteral("remote-agent"));
    QTRY_COMPARE(model->count(), 3);
    QCOMPARE(model->currentText(), QStringLiteral("test-model")); // the agent's, kept
    QVERIFY2(state->text().contains(QStringLiteral("3 models")), qPrintable(state->text()));
    // The deterministic agent's list comes from the built-in provider, without the network.
    const int requests = m_server->requestCount();
    agents->setCurrentRow(0);
    QTRY_COMPARE(model->count(), 1);
    QCOMPARE(model->itemText(0), QStringLiteral("echo-1"));
    QCOMPARE(m_server->requestCount(), requests);
}

void tst_ProvidersGui::sessionModelAndTokenUsage()
{
    QVERIFY(addProvider(QStringLiteral("fake"), QStringLiteral("sk-session")));
    QVERIFY(saveAgent(QStringLiteral("fake")));
    const auto resolved = ask<Result<SessionResolution>>([](Engine &g) {
        SessionSelector s;
        s.key = QStringLiteral("gui-remote");
        return g.sessions().resolve(s, true, QStringLiteral("remote-agent"));
    });
    QVERIFY(resolved && *resolved);
    const QString sessionId = (*resolved)->session.id;

    MainWindow window(*m_engine);
    window.show();
    QVERIFY(m_server->loadScenario(QStringLiteral("openai/models.json")));
    window.selectSession(sessionId);
    SessionBar *bar = window.sessionBar();
    QVERIFY(bar->isVisible());
    QTRY_COMPARE(bar->modelPicker()->count(), 3);
    QCOMPARE(bar->modelPicker()->currentText(), QString()); // the agent's model
    QVERIFY(bar->modelPicker()->lineEdit()->placeholderText().contains(QStringLiteral("test-model")));

    // A reply shows its tokens; the header adds up the session's.
    QVERIFY(m_server->loadScenario(QStringLiteral("openai/plain.json")));
    window.send(QStringLiteral("hello"));
    QTRY_VERIFY2(window.transcript()->plainTranscript().contains(QStringLiteral("31 + 9 tokens")),
                 qPrintable(window.transcript()->plainTranscript()));
    QVERIFY(window.transcript()->plainTranscript().contains(QStringLiteral("Hello, wörld")));
    QVERIFY(window.transcript()->plainTranscript().contains(QStringLiteral("gpt-4o-mini-2024-07-18")));
    QTRY_COMPARE(bar->usageLabel()->text(), QStringLiteral("40 tokens"));
    QCOMPARE(m_server->requests().constLast().json().value(QStringLiteral("model")).toString(),
             QStringLiteral("test-model"));

    // Pick another model for this session: the next run uses it.
    QLineEdit *edit = bar->modelPicker()->lineEdit();
    edit->setFocus();
    QTest::keyClicks(edit, QStringLiteral("gpt-4o"));
    QTest::keyClick(edit, Qt::Key_Return);
    QTRY_COMPARE(bar->sessionModel(), QStringLiteral("gpt-4o"));
    const auto session = ask<Result<SessionInfo>>([sessionId](Engine &g) { return g.sessions().find(sessionId); });
    QVERIFY(session && *session);
    QCOMPARE((*session)->model, QStringLiteral("gpt-4o"));
    QTRY_VERIFY(!window.stopAction()->isEnabled());
    window.send(QStringLiteral("again"));
    QTRY_COMPARE(bar->usageLabel()->text(), QStringLiteral("80 tokens"));
    QCOMPARE(m_server->requests().constLast().json().value(QStringLiteral("model")).toString(),
             QStringLiteral("gpt-4o"));
    QCOMPARE(window.transcript()->plainTranscript().count(QStringLiteral("31 + 9 tokens")), 2);

    // Emptying the picker goes back to the agent's model.
    edit->selectAll();
    QTest::keyClick(edit, Qt::Key_Delete);
    QTest::keyClick(edit, Qt::Key_Return);
    QTRY_COMPARE(bar->sessionModel(), QString());
}

void tst_ProvidersGui::providerErrorReadsWell()
{
    QVERIFY(addProvider(QStringLiteral("fake"), QStringLiteral("sk-refused")));
    QVERIFY(saveAgent(QStringLiteral("fake")));
    const auto resolved = ask<Result<SessionResolution>>([](Engine &g) {
        SessionSelector s;
        s.key = QStringLiteral("gui-error");
        return g.sessions().resolve(s, true, QStringLiteral("remote-agent"));
    });
    QVERIFY(resolved && *resolved);
    MainWindow window(*m_engine);
    window.show();
    window.selectSession((*resolved)->session.id);
    QVERIFY(m_server->loadScenario(QStringLiteral("openai/unauthorized.json")));
    window.send(QStringLiteral("hello"));
    // The provider's error comes first; the run's end then folds its own explanation into the
    // same notice. Wait for that, the last step, rather than reading between the two.
    QTRY_VERIFY2(window.transcript()->plainTranscript().contains(QStringLiteral("The provider rejected the API key.")),
                 qPrintable(window.transcript()->plainTranscript()));
    const QString text = window.transcript()->plainTranscript();
    QVERIFY2(text.contains(QStringLiteral("Authentication failed")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("Retry")));
    QVERIFY(text.contains(QStringLiteral("Provider settings")));
    QVERIFY(!text.contains(QStringLiteral("sk-refused")));
    // The link opens the Providers page.
    QSignalSpy settings(window.transcript(), &TranscriptView::providerSettingsRequested);
    emit window.transcript()->anchorClicked(QUrl(QStringLiteral("spool-settings:providers")));
    QCOMPARE(settings.count(), 1);
    auto *dialog = window.findChild<SettingsDialog *>();
    QVERIFY(dialog);
    QVERIFY(dialog->providersPage()->isVisible());
}

void tst_ProvidersGui::refusedRequestNamesTheField()
{
    // A request the API refuses: the transcript says which field and why, in the API's words.
    QVERIFY(addProvider(QStringLiteral("fake"), QStringLiteral("sk-refused")));
    QVERIFY(saveAgent(QStringLiteral("fake")));
    const auto resolved = ask<Result<SessionResolution>>([](Engine &g) {
        SessionSelector s;
        s.key = QStringLiteral("gui-refused");
        return g.sessions().resolve(s, true, QStringLiteral("remote-agent"));
    });
    QVERIFY(resolved && *resolved);
    MainWindow window(*m_engine);
    window.show();
    window.selectSession((*resolved)->session.id);
    m_server->setResponses({QJsonObject{
            {QStringLiteral("status"), 400},
            {QStringLiteral("body"),
             QJsonDocument::fromJson(R"({"error":{"message":"Invalid 'tools[2].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.","type":"invalid_request_error","param":"tools[2].function.name","code":"invalid_value"}})")
                     .object()}}});
    window.send(QStringLiteral("hello"));
    // The API's words arrive first, the run's own explanation at its end: wait for the last.
    QTRY_VERIFY2(window.transcript()->plainTranscript().contains(QStringLiteral("rejected the request as invalid")),
                 qPrintable(window.transcript()->plainTranscript()));
    const QString text = window.transcript()->plainTranscript();
    QVERIFY2(text.contains(QStringLiteral("tools[2].function.name")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("string does not match pattern")), qPrintable(text));
}

QTEST_MAIN(tst_ProvidersGui)
#include "tst_providersgui.moc"
