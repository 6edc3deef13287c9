#include "fakeproviderserver.h"
#include "spoolprocess.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using Spool::Test::FakeProviderServer;

// `spool providers ...`, `spool agents set` and `spool sessions model` end to end: real spool
// processes against the fake provider server on loopback, for both APIs. The server lives on
// this thread, so the processes are waited for with the event loop running.
class tst_CliProviders : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void addTestModelsAndChat_data();
    void addTestModelsAndChat();
    void unauthorizedTestFailsClearly_data();
    void unauthorizedTestFailsClearly();
    void keyFromEnvironment();
    void removeForgetsTheKey();
    void usageErrors_data();
    void usageErrors();
    void chatSaysWhichFieldWasRefused_data();
    void chatSaysWhichFieldWasRefused();

private:
    struct Output : Spool::Test::SpoolOutput
    {
        QString all() const { return out + err; }
    };
    Output spool(const QStringList &args, const QByteArray &stdinData = {},
                 const QHash<QString, QString> &extraEnv = {});
    bool addRemote(const QString &api, const QString &key);
    QString keyFile() const { return m_dir->filePath(QStringLiteral("config/provider-keys.json")); }

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<FakeProviderServer> m_server;
};

namespace {

QStringList apis()
{
    return {QStringLiteral("openai"), QStringLiteral("anthropic")};
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

void tst_CliProviders::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_server = std::make_unique<FakeProviderServer>();
    QVERIFY(m_server->listen());
}

void tst_CliProviders::cleanup()
{
    m_server.reset();
    m_dir.reset();
}

tst_CliProviders::Output tst_CliProviders::spool(const QStringList &args, const QByteArray &stdinData,
                                                 const QHash<QString, QString> &extraEnv)
{
    QProcessEnvironment env = Spool::Test::spoolEnvironment(m_dir->path());
    env.insert(QStringLiteral("SPOOL_KEYSTORE"), QStringLiteral("file")); // never the user's keychain
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    for (auto it = extraEnv.cbegin(); it != extraEnv.cend(); ++it)
        env.insert(it.key(), it.value());
    // The fake server answers on this thread's event loop, which runSpool keeps running.
    return Output{Spool::Test::runSpool(env, args, stdinData, 30000)};
}

bool tst_CliProviders::addRemote(const QString &api, const QString &key)
{
    const QString base = m_server->baseUrl(api == QLatin1String("openai") ? QStringLiteral("/v1") : QString());
    const Output o = spool({QStringLiteral("providers"), QStringLiteral("add"), QStringLiteral("remote"),
                            QStringLiteral("--kind"), api, QStringLiteral("--base-url"), base,
                            QStringLiteral("--model"), QStringLiteral("test-model"),
                            QStringLiteral("--key-stdin"), QStringLiteral("--max-retries"), QStringLiteral("0")},
                           key.toUtf8() + '\n');
    if (o.code != 0)
        qWarning("providers add: %d %s", o.code, qPrintable(o.all()));
    return o.code == 0;
}

void tst_CliProviders::addTestModelsAndChat_data()
{
    QTest::addColumn<QString>("api");
    QTest::addColumn<QStringList>("models");
    QTest::addColumn<QString>("usage");
    QTest::newRow("openai") << QStringLiteral("openai")
                            << QStringList{QStringLiteral("gpt-4o-mini"), QStringLiteral("gpt-4o"),
                                           QStringLiteral("text-embedding-3-small")}
                            << QStringLiteral("31+9");
    QTest::newRow("anthropic") << QStringLiteral("anthropic")
                               << QStringList{QStringLiteral("claude-sonnet-4-20250514"),
                                              QStringLiteral("claude-3-5-haiku-20241022")}
                               << QStringLiteral("25+9");
}

void tst_CliProviders::addTestModelsAndChat()
{
    QFETCH(QString, api);
    QFETCH(QStringList, models);
    QFETCH(QString, usage);
    const QString key = QStringLiteral("sk-CLI-") + api + QStringLiteral("-0a1b2c3d4e5f");
    const QByteArray needle = key.toUtf8();

    // add: the key from stdin goes to the key store (the file here), never to spool.conf.
    QVERIFY(addRemote(api, key));
    QVERIFY(readFile(keyFile()).contains(needle));
    QVERIFY(!readFile(m_dir->filePath(QStringLiteral("config/spool.conf"))).contains(needle));
    QCOMPARE(QFileInfo(keyFile()).permissions() & (QFileDevice::ReadOther | QFileDevice::ReadGroup),
             QFileDevice::Permissions());

    // list --json: the provider, where its key is, and never the key.
    const Output list = spool({QStringLiteral("providers"), QStringLiteral("list"), QStringLiteral("--json")});
    QCOMPARE(list.code, 0);
    QVERIFY2(!list.all().toUtf8().contains(needle), "the key reached providers list");
    const QJsonArray entries = QJsonDocument::fromJson(list.out.toUtf8()).array();
    QCOMPARE(entries.size(), 2);
    QCOMPARE(entries.at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("deterministic"));
    const QJsonObject remote = entries.at(1).toObject();
    QCOMPARE(remote.value(QStringLiteral("name")).toString(), QStringLiteral("remote"));
    QCOMPARE(remote.value(QStringLiteral("kind")).toString(), api);
    QCOMPARE(remote.value(QStringLiteral("default_model")).toString(), QStringLiteral("test-model"));
    QCOMPARE(remote.value(QStringLiteral("key_storage")).toString(), QStringLiteral("file"));
    // Human output warns that the key is kept unencrypted.
    const Output human = spool({QStringLiteral("providers"), QStringLiteral("list")});
    QCOMPARE(human.code, 0);
    QVERIFY2(human.err.contains(QStringLiteral("unencrypted")), qPrintable(human.err));
    QVERIFY(!human.all().toUtf8().contains(needle));

    // test: it works, with the model count, and the key was sent.
    QVERIFY(m_server->loadScenario(api + QStringLiteral("/models.json")));
    const Output test = spool({QStringLiteral("providers"), QStringLiteral("test"), QStringLiteral("remote")});
    QCOMPARE(test.code, 0);
    QVERIFY2(test.out.startsWith(QStringLiteral("remote works: %1 models available").arg(models.size())),
             qPrintable(test.all()));
    const Spool::Test::RecordedRequest probe = m_server->requests().constLast();
    QVERIFY2(probe.path.contains(QLatin1String("/models")), qPrintable(probe.path));
    QVERIFY(probe.header("authorization") == "Bearer " + needle || probe.header("x-api-key") == needle);

    // models: one per line, sorted.
    models.sort();
    const Output listed = spool({QStringLiteral("providers"), QStringLiteral("models"), QStringLiteral("remote")});
    QCOMPARE(listed.code, 0);
    QCOMPARE(listed.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts), models);

    // An agent bound to the provider, and a chat through it.
    const Output agent = spool({QStringLiteral("agents"), QStringLiteral("set"), QStringLiteral("helper"),
                                QStringLiteral("--provider"), QStringLiteral("remote"),
                                QStringLiteral("--system-prompt"), QStringLiteral("Be brief.")});
    QCOMPARE(agent.code, 0);
    QVERIFY2(agent.out.contains(QStringLiteral("model test-model")), qPrintable(agent.all()));
    QVERIFY(m_server->loadScenario(api + QStringLiteral("/plain.json")));
    const int before = m_server->requestCount();
    const Output chat = spool({QStringLiteral("chat"), QStringLiteral("--agent"), QStringLiteral("helper"),
                               QStringLiteral("--session"), QStringLiteral("cli-remote"), QStringLiteral("hello")});
    QCOMPARE(chat.code, 0);
    QCOMPARE(chat.out, QStringLiteral("Hello, wörld — ça va? 🎉\n"));
    QCOMPARE(m_server->requestCount(), before + 1);
    const QJsonObject body = m_server->requests().constLast().json();
    QCOMPARE(body.value(QStringLiteral("model")).toString(), QStringLiteral("test-model"));
    QCOMPARE(body.value(QStringLiteral("stream")).toBool(), true);
    // The default agent's tools (fs.read, shell.exec, ...) went out under names the API takes.
    QVERIFY2(m_server->rejections().isEmpty(), qPrintable(m_server->rejections().join(QLatin1Char('\n'))));

    // A per-session model: the next run of the session asks for it.
    const Output model = spool({QStringLiteral("sessions"), QStringLiteral("model"),
                                QStringLiteral("cli-remote"), QStringLiteral("other-model")});
    QCOMPARE(model.code, 0);
    QVERIFY2(model.out.contains(QStringLiteral("uses other-model on remote")), qPrintable(model.all()));
    const Output again = spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("cli-remote"),
                                QStringLiteral("--json"), QStringLiteral("again")});
    QCOMPARE(again.code, 0);
    QCOMPARE(m_server->requests().constLast().json().value(QStringLiteral("model")).toString(),
             QStringLiteral("other-model"));
    const QJsonObject result = QJsonDocument::fromJson(
            again.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts).constLast().toUtf8()).object();
    const QJsonObject run = result.value(QStringLiteral("run")).toObject();
    QCOMPARE(run.value(QStringLiteral("model")).toString(), QStringLiteral("other-model"));
    const QJsonObject runUsage = run.value(QStringLiteral("usage")).toObject();
    QCOMPARE(QStringLiteral("%1+%2").arg(runUsage.value(QStringLiteral("prompt")).toInt())
                     .arg(runUsage.value(QStringLiteral("completion")).toInt()),
             usage);
    QVERIFY2(!again.all().toUtf8().contains(needle), "the key reached chat --json");
    // `sessions model SESSION ""` goes back to the agent's model.
    const Output reset = spool({QStringLiteral("sessions"), QStringLiteral("model"),
                                QStringLiteral("cli-remote"), QString()});
    QCOMPARE(reset.code, 0);
    QVERIFY2(reset.out.contains(QStringLiteral("uses test-model on remote (the agent's model)")),
             qPrintable(reset.all()));
}

void tst_CliProviders::unauthorizedTestFailsClearly_data()
{
    QTest::addColumn<QString>("api");
    for (const QString &api : apis())
        QTest::newRow(qPrintable(api)) << api;
}

void tst_CliProviders::unauthorizedTestFailsClearly()
{
    QFETCH(QString, api);
    QVERIFY(addRemote(api, QStringLiteral("sk-wrong-1234")));
    QVERIFY(m_server->loadScenario(api + QStringLiteral("/unauthorized.json")));

    const Output test = spool({QStringLiteral("providers"), QStringLiteral("test"), QStringLiteral("remote")});
    QCOMPARE(test.code, 1);
    QVERIFY(test.out.isEmpty());
    QVERIFY2(test.err.contains(QStringLiteral("remote does not work: The provider rejected the API key.")),
             qPrintable(test.err));
    QVERIFY2(test.err.contains(QStringLiteral("spool providers add remote --key-stdin")), qPrintable(test.err));
    QCOMPARE(m_server->requestCount(), 1); // a 401 is not retried

    const Output json = spool({QStringLiteral("providers"), QStringLiteral("test"), QStringLiteral("remote"),
                               QStringLiteral("--json")});
    QCOMPARE(json.code, 1);
    const QJsonObject o = QJsonDocument::fromJson(json.out.toUtf8()).object();
    QCOMPARE(o.value(QStringLiteral("ok")).toBool(true), false);
    QCOMPARE(o.value(QStringLiteral("error")).toObject().value(QStringLiteral("error_class")).toString(),
             QStringLiteral("auth"));
    QCOMPARE(o.value(QStringLiteral("error")).toObject().value(QStringLiteral("http_status")).toInt(), 401);

    // The models of a provider that refuses the key: the same reason, exit 1.
    const Output models = spool({QStringLiteral("providers"), QStringLiteral("models"), QStringLiteral("remote")});
    QCOMPARE(models.code, 1);
    QVERIFY2(models.err.contains(QStringLiteral("rejected the API key")), qPrintable(models.err));
}

void tst_CliProviders::keyFromEnvironment()
{
    const QString base = m_server->baseUrl(QStringLiteral("/v1"));
    const Output add = spool({QStringLiteral("providers"), QStringLiteral("add"), QStringLiteral("envkey"),
                              QStringLiteral("--kind"), QStringLiteral("openai"), QStringLiteral("--base-url"), base,
                              QStringLiteral("--key-env"), QStringLiteral("SPOOL_TEST_PROVIDER_KEY")},
                             {}, {{QStringLiteral("SPOOL_TEST_PROVIDER_KEY"), QStringLiteral("sk-from-env-42")}});
    QCOMPARE(add.code, 0);
    QVERIFY(!readFile(keyFile()).contains("sk-from-env-42"));
    const QJsonArray entries = QJsonDocument::fromJson(
            spool({QStringLiteral("providers"), QStringLiteral("list"), QStringLiteral("--json")}).out.toUtf8()).array();
    QCOMPARE(entries.at(1).toObject().value(QStringLiteral("key_storage")).toString(), QStringLiteral("environment"));
    QCOMPARE(entries.at(1).toObject().value(QStringLiteral("key_ref")).toString(),
             QStringLiteral("env:SPOOL_TEST_PROVIDER_KEY"));

    QVERIFY(m_server->loadScenario(QStringLiteral("openai/models.json")));
    const Output test = spool({QStringLiteral("providers"), QStringLiteral("test"), QStringLiteral("envkey")},
                              {}, {{QStringLiteral("SPOOL_TEST_PROVIDER_KEY"), QStringLiteral("sk-from-env-42")}});
    QCOMPARE(test.code, 0);
    QCOMPARE(m_server->requests().constLast().header("authorization"), QByteArray("Bearer sk-from-env-42"));
    // Without the variable, the test says so instead of sending no key.
    const Output missing = spool({QStringLiteral("providers"), QStringLiteral("test"), QStringLiteral("envkey")});
    QCOMPARE(missing.code, 1);
    QVERIFY2(missing.err.contains(QStringLiteral("SPOOL_TEST_PROVIDER_KEY")), qPrintable(missing.err));
}

void tst_CliProviders::removeForgetsTheKey()
{
    QVERIFY(addRemote(QStringLiteral("openai"), QStringLiteral("sk-to-forget-77")));
    QVERIFY(readFile(keyFile()).contains("sk-to-forget-77"));
    QCOMPARE(spool({QStringLiteral("agents"), QStringLiteral("set"), QStringLiteral("user"),
                    QStringLiteral("--provider"), QStringLiteral("remote")}).code, 0);
    const Output removed = spool({QStringLiteral("providers"), QStringLiteral("remove"), QStringLiteral("remote")});
    QCOMPARE(removed.code, 0);
    QVERIFY2(removed.err.contains(QStringLiteral("agent user still uses remote")), qPrintable(removed.err));
    QVERIFY(!readFile(keyFile()).contains("sk-to-forget-77"));
    const QJsonArray entries = QJsonDocument::fromJson(
            spool({QStringLiteral("providers"), QStringLiteral("list"), QStringLiteral("--json")}).out.toUtf8()).array();
    QCOMPARE(entries.size(), 1);
    QCOMPARE(spool({QStringLiteral("providers"), QStringLiteral("remove"), QStringLiteral("remote")}).code, 4);
}

void tst_CliProviders::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("stdinData");
    QTest::addColumn<int>("code");
    const QString p = QStringLiteral("providers");
    QTest::newRow("unknown action") << QStringList{p, QStringLiteral("frobnicate")} << QByteArray() << 2;
    QTest::newRow("add without kind") << QStringList{p, QStringLiteral("add"), QStringLiteral("x")} << QByteArray() << 2;
    QTest::newRow("bad kind") << QStringList{p, QStringLiteral("add"), QStringLiteral("x"), QStringLiteral("--kind"), QStringLiteral("gemini")} << QByteArray() << 2;
    // A key given as an argument would land in the shell history: there is no such argument.
    QTest::newRow("key as argument") << QStringList{p, QStringLiteral("add"), QStringLiteral("x"), QStringLiteral("sk-in-history"), QStringLiteral("--kind"), QStringLiteral("openai")} << QByteArray() << 2;
    QTest::newRow("secret header") << QStringList{p, QStringLiteral("add"), QStringLiteral("x"), QStringLiteral("--kind"), QStringLiteral("openai"), QStringLiteral("--header"), QStringLiteral("Authorization=Bearer sk-x")} << QByteArray() << 2;
    QTest::newRow("empty stdin key") << QStringList{p, QStringLiteral("add"), QStringLiteral("x"), QStringLiteral("--kind"), QStringLiteral("openai"), QStringLiteral("--key-stdin")} << QByteArray("\n") << 2;
    QTest::newRow("two key sources") << QStringList{p, QStringLiteral("add"), QStringLiteral("x"), QStringLiteral("--kind"), QStringLiteral("openai"), QStringLiteral("--key-stdin"), QStringLiteral("--key-env"), QStringLiteral("K")} << QByteArray("k\n") << 2;
    QTest::newRow("bad url") << QStringList{p, QStringLiteral("add"), QStringLiteral("x"), QStringLiteral("--kind"), QStringLiteral("openai"), QStringLiteral("--base-url"), QStringLiteral("ftp://host")} << QByteArray() << 2;
    QTest::newRow("built-in name") << QStringList{p, QStringLiteral("add"), QStringLiteral("deterministic"), QStringLiteral("--kind"), QStringLiteral("openai")} << QByteArray() << 5;
    QTest::newRow("test unknown") << QStringList{p, QStringLiteral("test"), QStringLiteral("nosuch")} << QByteArray() << 4;
    QTest::newRow("models unknown") << QStringList{p, QStringLiteral("models"), QStringLiteral("nosuch")} << QByteArray() << 4;
    QTest::newRow("test option") << QStringList{p, QStringLiteral("test"), QStringLiteral("x"), QStringLiteral("--kind"), QStringLiteral("openai")} << QByteArray() << 2;
    QTest::newRow("agent unknown provider") << QStringList{QStringLiteral("agents"), QStringLiteral("set"), QStringLiteral("a"), QStringLiteral("--provider"), QStringLiteral("nosuch")} << QByteArray() << 4;
    QTest::newRow("new agent without provider") << QStringList{QStringLiteral("agents"), QStringLiteral("set"), QStringLiteral("a")} << QByteArray() << 2;
    QTest::newRow("session model unknown") << QStringList{QStringLiteral("sessions"), QStringLiteral("model"), QStringLiteral("nosuch"), QStringLiteral("m")} << QByteArray() << 4;
}

void tst_CliProviders::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, stdinData);
    QFETCH(int, code);
    const Output o = spool(args, stdinData);
    QCOMPARE(o.code, code);
    QVERIFY(o.out.isEmpty());
    QVERIFY2(o.err.startsWith(QStringLiteral("spool: ")), qPrintable(o.err));
    QVERIFY(!QFile::exists(keyFile()));
}

void tst_CliProviders::chatSaysWhichFieldWasRefused_data()
{
    QTest::addColumn<QString>("api");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("field");
    QTest::addColumn<QString>("reason");
    // The API's own words for a refused request (issue 10's report).
    QTest::newRow("openai")
            << QStringLiteral("openai")
            << QByteArray(R"({"error":{"message":"Invalid 'tools[2].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.","type":"invalid_request_error","param":"tools[2].function.name","code":"invalid_value"}})")
            << "tools[2].function.name" << "string does not match pattern";
    QTest::newRow("anthropic")
            << QStringLiteral("anthropic")
            << QByteArray(R"({"type":"error","error":{"type":"invalid_request_error","message":"tools.2.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'"}})")
            << "tools.2.custom.name" << "String should match pattern";
}

void tst_CliProviders::chatSaysWhichFieldWasRefused()
{
    QFETCH(QString, api);
    QFETCH(QByteArray, body);
    QFETCH(QString, field);
    QFETCH(QString, reason);
    QVERIFY(addRemote(api, QStringLiteral("sk-refused-0123456789")));
    QCOMPARE(spool({QStringLiteral("agents"), QStringLiteral("set"), QStringLiteral("helper"),
                    QStringLiteral("--provider"), QStringLiteral("remote")}).code, 0);
    m_server->setResponses({QJsonObject{{QStringLiteral("status"), 400},
                                        {QStringLiteral("body"), QJsonDocument::fromJson(body).object()}}});
    const Output chat = spool({QStringLiteral("chat"), QStringLiteral("--agent"), QStringLiteral("helper"),
                               QStringLiteral("hello")});
    QVERIFY(chat.code != 0);
    QVERIFY2(chat.err.contains(field) && chat.err.contains(reason), qPrintable(chat.err));
    QVERIFY2(chat.err.contains(QStringLiteral("rejected the request as invalid")), qPrintable(chat.err));
}

QTEST_GUILESS_MAIN(tst_CliProviders)
#include "tst_cliproviders.moc"
