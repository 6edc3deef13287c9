#include "providers/keystore.h"
#include "providers/openaiprovider.h"
#include "providers/providerfactory.h"

#include <QDir>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace Spool;

// Spool against an OpenAI-compatible server it did not write: the public mock server
// @dwmkerr/mock-llm from npm (installed by scripts/install-test-tools into the build folder),
// started on a free loopback port. Streaming, the model list, an error inside the stream and
// "test connection" must all work against its idea of the protocol.
class tst_ProviderMockLlm : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void streamsAnEcho();
    void listsModels();
    void errorInsideTheStream();
    void testConnection();

private:
    ProviderConfig config() const;
    QProcess m_server;
    quint16 m_port = 0;
    QTemporaryDir m_dir;
};

namespace {

QString mockLlmMain()
{
    return QStringLiteral(SPOOL_TEST_TOOLS_DIR "/node_modules/@dwmkerr/mock-llm/dist/main.js");
}

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort(); // closed again when probe goes; the mock binds it next
}

struct Outcome
{
    QStringList deltas;
    std::optional<ProviderResponse> response;
    std::optional<ProviderError> error;
};

Outcome chat(RemoteProvider &provider, const QString &text, QObject *context)
{
    Outcome out;
    ProviderRequest r;
    r.model = QStringLiteral("mock-small");
    r.messages = {ChatMessage::user(text)};
    ProviderCall *call = provider.send(r, context);
    QObject::connect(call, &ProviderCall::textDelta, context, [&out](const QString &t) { out.deltas.append(t); });
    QObject::connect(call, &ProviderCall::finished, context, [&out](const ProviderResponse &resp) { out.response = resp; });
    QObject::connect(call, &ProviderCall::failed, context, [&out](const ProviderError &e) { out.error = e; });
    (void)QTest::qWaitFor([&out] { return out.response || out.error; }, 30000);
    delete call;
    return out;
}

} // namespace

void tst_ProviderMockLlm::initTestCase()
{
    qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
    const QString npm = QStandardPaths::findExecutable(QStringLiteral("npm"));
    if (node.isEmpty() || npm.isEmpty())
        QSKIP("node and npm are not installed: the public mock server cannot run here "
              "(scripts/install-test-tools installs it where they are)");
    if (!QFile::exists(mockLlmMain())) {
        // Run on its own (ctest -R) before scripts/test installed it: install it now.
        QProcess install;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("SPOOL_BUILD_DIR"), QStringLiteral(SPOOL_TEST_TOOLS_DIR "/.."));
        install.setProcessEnvironment(env);
        install.start(QStringLiteral(SPOOL_SOURCE_DIR "/scripts/install-test-tools"), {});
        QVERIFY(install.waitForFinished(180000));
        QVERIFY2(QFile::exists(mockLlmMain()),
                 "node and npm are here but @dwmkerr/mock-llm could not be installed; run "
                 "scripts/install-test-tools and read its output");
    }
    m_port = freePort();
    QVERIFY(m_port != 0);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOST"), QStringLiteral("127.0.0.1"));
    env.insert(QStringLiteral("PORT"), QString::number(m_port));
    m_server.setProcessEnvironment(env);
    m_server.setProcessChannelMode(QProcess::MergedChannels);
    m_server.start(node, {mockLlmMain(), QStringLiteral("--config"),
                          QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/providers/mock-llm.yaml")});
    QVERIFY2(m_server.waitForStarted(5000), qPrintable(m_server.errorString()));

    // Ready when /health answers.
    QNetworkAccessManager network;
    const bool ready = QTest::qWaitFor(
            [&] {
                if (m_server.state() != QProcess::Running)
                    return true;
                QNetworkReply *reply = network.get(QNetworkRequest(
                        QUrl(QStringLiteral("http://127.0.0.1:%1/health").arg(m_port))));
                const bool ok = QTest::qWaitFor([reply] { return reply->isFinished(); }, 1000)
                        && reply->error() == QNetworkReply::NoError;
                delete reply;
                if (!ok)
                    QTest::qWait(100);
                return ok;
            },
            60000); // node starting on a busy machine
    QVERIFY2(ready && m_server.state() == QProcess::Running, m_server.readAll().constData());
}

void tst_ProviderMockLlm::cleanupTestCase()
{
    if (m_server.state() == QProcess::Running) {
        m_server.terminate();
        if (!m_server.waitForFinished(3000))
            m_server.kill();
        m_server.waitForFinished(1000);
    }
}

ProviderConfig tst_ProviderMockLlm::config() const
{
    ProviderConfig c;
    c.name = QStringLiteral("mock-llm");
    c.kind = ProviderConfig::Kind::OpenAi;
    c.baseUrl = QStringLiteral("http://127.0.0.1:%1/v1").arg(m_port);
    c.defaultModel = QStringLiteral("mock-small");
    c.connectTimeoutMs = 3000;
    c.stallTimeoutMs = 3000;
    c.retryBaseDelayMs = 50;
    return c;
}

void tst_ProviderMockLlm::streamsAnEcho()
{
    OpenAiProvider provider(config(), std::make_shared<KeyStore>(m_dir.path(), KeyStore::Backend::File));
    const QString text = QStringLiteral("Hello from Spool, streamed through a server we did not write ✓");
    const Outcome out = chat(provider, text, this);
    QVERIFY2(out.response, out.error ? qPrintable(out.error->message) : "no answer");
    QCOMPARE(out.response->text, text);
    QCOMPARE(out.deltas.join(QString()), text);
    QVERIFY2(out.deltas.size() > 5, "the reply should arrive in many small chunks");
    QCOMPARE(out.response->finishReason, QStringLiteral("stop"));
    QCOMPARE(out.response->model, QStringLiteral("mock-small"));
    QCOMPARE(out.response->attempts, 1);
}

void tst_ProviderMockLlm::listsModels()
{
    OpenAiProvider provider(config(), std::make_shared<KeyStore>(m_dir.path(), KeyStore::Backend::File));
    std::optional<QStringList> models;
    std::optional<ProviderError> error;
    provider.listModels(this, [&](const QStringList &m, const std::optional<ProviderError> &e) {
        error = e;
        models = m;
    });
    QVERIFY(QTest::qWaitFor([&models] { return models.has_value(); }, 5000));
    QVERIFY(!error);
    QCOMPARE(*models, (QStringList{QStringLiteral("mock-large"), QStringLiteral("mock-small")}));
}

void tst_ProviderMockLlm::errorInsideTheStream()
{
    // mock-llm answers a streamed request that fails with a 200 and the error as the first
    // event, as OpenAI's streaming documentation describes.
    OpenAiProvider provider(config(), std::make_shared<KeyStore>(m_dir.path(), KeyStore::Backend::File));
    const Outcome out = chat(provider, QStringLiteral("please error-401 now"), this);
    QVERIFY(out.error);
    QCOMPARE(out.error->errorClass, ProviderErrorClass::Auth);
    QVERIFY2(out.error->message.contains(QStringLiteral("Incorrect API key provided")),
             qPrintable(out.error->message));
    QVERIFY(out.deltas.isEmpty());
}

void tst_ProviderMockLlm::testConnection()
{
    QTemporaryDir dir;
    ProviderFactory factory(dir.path(), KeyStore::Backend::File);
    std::optional<ConnectionTest> result;
    factory.testConnection(config(), this, [&result](const ConnectionTest &t) { result = t; });
    QVERIFY(QTest::qWaitFor([&result] { return result.has_value(); }, 5000));
    QVERIFY2(result->ok, qPrintable(result->summary()));
    QCOMPARE(result->models.size(), 2);
}

QTEST_GUILESS_MAIN(tst_ProviderMockLlm)
#include "tst_providermockllm.moc"
