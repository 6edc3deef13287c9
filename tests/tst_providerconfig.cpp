#include "fakeproviderserver.h"

#include "providers/keystore.h"
#include "providers/openaiprovider.h"
#include "providers/providerfactory.h"
#include "providers/providerregistry.h"
#include "providers/providersettings.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Spool;
using Spool::Test::FakeProviderServer;

// Provider configuration as a user meets it: providers stored in spool.conf, keys in the
// keychain or (where none runs) a private file with a warning, "test connection" saying what
// is wrong, the model list, embeddings.
class tst_ProviderConfig : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void validation_data();
    void validation();
    void endpoint_data();
    void endpoint();
    void settingsRoundTrip();
    void brokenEntriesAreReported();
    void jsonHasNoSecrets();
    void fileKeyStore();
    void keychainFallback();
    void environmentKeys();
    void factoryAddTestRemove();
    void testConnectionFailures_data();
    void testConnectionFailures();
    void testConnectionWithoutModelsEndpoint();
    void listModels_data();
    void listModels();
    void embeddings();
};

namespace {

template<typename T>
struct Waiter
{
    std::optional<T> value;
    bool wait(int ms = 30000)
    {
        return QTest::qWaitFor([this] { return value.has_value(); }, ms);
    }
};

Status writeKey(KeyStore &keys, const QString &ref, const QString &secret, QObject *context)
{
    Waiter<Status> w;
    keys.write(ref, secret, context, [&w](const Status &s) { w.value = s; });
    if (!w.wait())
        return makeError(ErrorCode::Internal, QStringLiteral("timeout"));
    return *w.value;
}

Result<QString> readKey(KeyStore &keys, const QString &ref, QObject *context)
{
    Waiter<Result<QString>> w;
    keys.read(ref, context, [&w](const Result<QString> &r) { w.value = r; });
    if (!w.wait())
        return makeError(ErrorCode::Internal, QStringLiteral("timeout"));
    return *w.value;
}

int fileMode(const QString &path)
{
    struct stat st{};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
}

ProviderConfig config(const QString &name, ProviderConfig::Kind kind, const QString &baseUrl)
{
    ProviderConfig c;
    c.name = name;
    c.kind = kind;
    c.baseUrl = baseUrl;
    c.defaultModel = QStringLiteral("model-a");
    c.connectTimeoutMs = 2000;
    c.stallTimeoutMs = 1000;
    c.retryBaseDelayMs = 10;
    return c;
}

} // namespace

void tst_ProviderConfig::initTestCase()
{
    // No test may reach the user's real keychain: without a session bus QtKeychain has none.
    qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    qunsetenv("DISPLAY");
    qunsetenv("WAYLAND_DISPLAY");
    qunsetenv("SPOOL_KEYSTORE");
}

void tst_ProviderConfig::validation_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("baseUrl");
    QTest::addColumn<bool>("valid");
    QTest::newRow("ok") << "openai" << "https://api.openai.com/v1" << true;
    QTest::newRow("local http") << "ollama.local_1" << "http://127.0.0.1:11434/v1" << true;
    QTest::newRow("default URL") << "x" << "" << true;
    QTest::newRow("space in name") << "my provider" << "http://h" << false;
    QTest::newRow("slash in name") << "a/b" << "http://h" << false;
    QTest::newRow("empty name") << "" << "http://h" << false;
    QTest::newRow("reserved") << "deterministic" << "http://h" << false;
    QTest::newRow("ftp") << "x" << "ftp://h/v1" << false;
    QTest::newRow("no host") << "x" << "http:///v1" << false;
}

void tst_ProviderConfig::validation()
{
    QFETCH(QString, name);
    QFETCH(QString, baseUrl);
    QFETCH(bool, valid);
    ProviderConfig c = config(name, ProviderConfig::Kind::OpenAi, baseUrl);
    const Status s = c.validate();
    QCOMPARE(bool(s), valid);
    if (!valid)
        QVERIFY(!s.errorMessage().isEmpty());
}

void tst_ProviderConfig::endpoint_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("baseUrl");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("url");
    QTest::newRow("openai default") << 0 << "" << "/chat/completions"
                                    << "https://api.openai.com/v1/chat/completions";
    QTest::newRow("trailing slash") << 0 << "http://127.0.0.1:8080/v1/" << "/models"
                                    << "http://127.0.0.1:8080/v1/models";
    QTest::newRow("anthropic default") << 1 << "" << "/v1/messages"
                                       << "https://api.anthropic.com/v1/messages";
    QTest::newRow("anthropic base with /v1") << 1 << "https://proxy.example/v1" << "/v1/messages"
                                             << "https://proxy.example/v1/messages";
}

void tst_ProviderConfig::endpoint()
{
    QFETCH(int, kind);
    QFETCH(QString, baseUrl);
    QFETCH(QString, path);
    QFETCH(QString, url);
    const ProviderConfig c = config(QStringLiteral("p"), ProviderConfig::Kind(kind), baseUrl);
    QCOMPARE(c.endpoint(path).toString(), url);
}

void tst_ProviderConfig::settingsRoundTrip()
{
    QTemporaryDir dir;
    ProviderSettings settings(dir.filePath(QStringLiteral("config/spool.conf")));
    ProviderConfig a = config(QStringLiteral("openrouter"), ProviderConfig::Kind::OpenAi,
                              QStringLiteral("https://openrouter.ai/api/v1"));
    a.keyRef = ProviderConfig::defaultKeyRef(a.name);
    a.extraHeaders = {{QStringLiteral("HTTP-Referer"), QStringLiteral("https://spool.example")},
                      {QStringLiteral("X-Title"), QStringLiteral("Spool")}};
    a.maxRetries = 4;
    a.stallTimeoutMs = 12345;
    ProviderConfig b = config(QStringLiteral("claude"), ProviderConfig::Kind::Anthropic, QString());
    b.maxTokens = 8192;
    QVERIFY(settings.save(a));
    QVERIFY(settings.save(b));

    // The settings file lives next to the rest of spool.conf and keeps the other sections.
    QSettings raw(settings.path(), QSettings::IniFormat);
    raw.setValue(QStringLiteral("runs/max_turns"), 7);
    raw.sync();

    QStringList warnings;
    const QList<ProviderConfig> loaded = ProviderSettings(settings.path()).load(&warnings);
    QVERIFY(warnings.isEmpty());
    QCOMPARE(loaded.size(), 2);
    auto found = settings.find(QStringLiteral("openrouter"));
    QVERIFY(found);
    QCOMPARE(found->baseUrl, a.baseUrl);
    QCOMPARE(found->keyRef, a.keyRef);
    QCOMPARE(found->extraHeaders, a.extraHeaders);
    QCOMPARE(found->maxRetries, 4);
    QCOMPARE(found->stallTimeoutMs, 12345);
    QCOMPARE(settings.find(QStringLiteral("claude"))->maxTokens, 8192);
    QCOMPARE(settings.find(QStringLiteral("claude"))->kind, ProviderConfig::Kind::Anthropic);

    // Replacing an entry drops headers it no longer has.
    a.extraHeaders.clear();
    QVERIFY(settings.save(a));
    QVERIFY(settings.find(QStringLiteral("openrouter"))->extraHeaders.isEmpty());

    QVERIFY(settings.remove(QStringLiteral("claude")));
    QCOMPARE(settings.remove(QStringLiteral("claude")).error().code, ErrorCode::NotFound);
    QCOMPARE(settings.load().size(), 1);
    QCOMPARE(QSettings(settings.path(), QSettings::IniFormat).value(QStringLiteral("runs/max_turns")).toInt(), 7);
}

void tst_ProviderConfig::brokenEntriesAreReported()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("spool.conf"));
    {
        QSettings raw(path, QSettings::IniFormat);
        raw.setValue(QStringLiteral("model_providers/good/kind"), QStringLiteral("openai"));
        raw.setValue(QStringLiteral("model_providers/weird/kind"), QStringLiteral("gemini"));
        raw.setValue(QStringLiteral("model_providers/badurl/kind"), QStringLiteral("anthropic"));
        raw.setValue(QStringLiteral("model_providers/badurl/base_url"), QStringLiteral("file:///etc"));
    }
    QStringList warnings;
    const auto loaded = ProviderSettings(path).load(&warnings);
    QCOMPARE(loaded.size(), 1);
    QCOMPARE(loaded.first().name, QStringLiteral("good"));
    QCOMPARE(warnings.size(), 2);
    QVERIFY(warnings.join(QLatin1Char('\n')).contains(QStringLiteral("weird")));
    QVERIFY(warnings.join(QLatin1Char('\n')).contains(QStringLiteral("badurl")));
}

void tst_ProviderConfig::jsonHasNoSecrets()
{
    ProviderConfig c = config(QStringLiteral("p"), ProviderConfig::Kind::OpenAi, QString());
    c.keyRef = QStringLiteral("provider/p");
    c.extraHeaders = {{QStringLiteral("Authorization"), QStringLiteral("Bearer sk-secret-header")},
                      {QStringLiteral("OpenAI-Organization"), QStringLiteral("org-123")}};
    const QByteArray json = QJsonDocument(c.toJson()).toJson();
    QVERIFY(!json.contains("sk-secret-header"));
    QVERIFY(json.contains("org-123"));
    QVERIFY(json.contains("provider/p")); // the reference, which is no secret
}

void tst_ProviderConfig::fileKeyStore()
{
    QTemporaryDir dir;
    const QString configDir = dir.filePath(QStringLiteral("config"));
    KeyStore keys(configDir, KeyStore::Backend::File);
    QVERIFY(keys.usingFallbackFile());
    QCOMPARE(readKey(keys, QStringLiteral("provider/a"), this).error().code, ErrorCode::NotFound);
    QVERIFY(writeKey(keys, QStringLiteral("provider/a"), QStringLiteral("sk-aaa"), this));
    QVERIFY(writeKey(keys, QStringLiteral("provider/b"), QStringLiteral("sk-bbb"), this));
    QCOMPARE(*readKey(keys, QStringLiteral("provider/a"), this), QStringLiteral("sk-aaa"));

    QFile file(keys.fallbackFilePath());
    QVERIFY(file.exists());
    QCOMPARE(fileMode(keys.fallbackFilePath()), 0600);
    QCOMPARE(fileMode(configDir), 0700);

    // A file someone made readable is tightened before it is trusted.
    QVERIFY(file.setPermissions(file.permissions() | QFile::ReadGroup | QFile::ReadOther));
    QCOMPARE(*readKey(keys, QStringLiteral("provider/b"), this), QStringLiteral("sk-bbb"));
    QCOMPARE(fileMode(keys.fallbackFilePath()), 0600);

    Waiter<Status> removed;
    keys.remove(QStringLiteral("provider/a"), this, [&removed](const Status &s) { removed.value = s; });
    QVERIFY(removed.wait());
    QVERIFY(*removed.value);
    QCOMPARE(readKey(keys, QStringLiteral("provider/a"), this).error().code, ErrorCode::NotFound);
    QCOMPARE(*readKey(keys, QStringLiteral("provider/b"), this), QStringLiteral("sk-bbb"));
    QCOMPARE(*readKey(keys, QString(), this), QString()); // no reference: no key needed
}

void tst_ProviderConfig::keychainFallback()
{
    // Here no keychain service runs (no session bus): the key must still be kept, in the
    // private file, and the store must say so for the UI's warning.
    QTemporaryDir dir;
    KeyStore keys(dir.path(), KeyStore::Backend::Auto);
    keys.setKeychainTimeout(2000);
    QSignalSpy fallback(&keys, &KeyStore::fallbackActivated);
    QVERIFY(!keys.usingFallbackFile());
    const Status written = writeKey(keys, QStringLiteral("provider/x"), QStringLiteral("sk-xyz"), this);
    QVERIFY2(written, qPrintable(written.errorMessage()));
    QVERIFY(keys.usingFallbackFile());
    QCOMPARE(fallback.size(), 1);
    QVERIFY(!keys.fallbackReason().isEmpty());
    QCOMPARE(*readKey(keys, QStringLiteral("provider/x"), this), QStringLiteral("sk-xyz"));
    QVERIFY(QFile::exists(keys.fallbackFilePath()));

    // With the keychain required, its absence is an error, never a silent file.
    QTemporaryDir strictDir;
    KeyStore strict(strictDir.path(), KeyStore::Backend::Keychain);
    strict.setKeychainTimeout(2000);
    const Status refused = writeKey(strict, QStringLiteral("provider/x"), QStringLiteral("sk-xyz"), this);
    QVERIFY(!refused);
    QVERIFY(!QFile::exists(strict.fallbackFilePath()));
}

void tst_ProviderConfig::environmentKeys()
{
    QTemporaryDir dir;
    KeyStore keys(dir.path(), KeyStore::Backend::File);
    qputenv("SPOOL_TEST_ENV_KEY", "sk-from-env");
    QCOMPARE(*readKey(keys, QStringLiteral("env:SPOOL_TEST_ENV_KEY"), this), QStringLiteral("sk-from-env"));
    const auto missing = readKey(keys, QStringLiteral("env:SPOOL_TEST_NO_SUCH_KEY"), this);
    QCOMPARE(missing.error().code, ErrorCode::NotFound);
    QVERIFY(missing.errorMessage().contains(QStringLiteral("SPOOL_TEST_NO_SUCH_KEY")));
    QVERIFY(!writeKey(keys, QStringLiteral("env:SPOOL_TEST_ENV_KEY"), QStringLiteral("x"), this));
}

void tst_ProviderConfig::factoryAddTestRemove()
{
    QTemporaryDir dir;
    FakeProviderServer server;
    QVERIFY(server.listen());
    QVERIFY(server.loadScenario(QStringLiteral("openai/models.json")));
    ProviderFactory factory(dir.path(), KeyStore::Backend::File);
    ProviderRegistry registry;

    ProviderConfig c = config(QStringLiteral("local"), ProviderConfig::Kind::OpenAi, server.baseUrl(QStringLiteral("/v1")));
    Waiter<Status> added;
    factory.addProvider(c, QStringLiteral("sk-local-key-123"), &registry, this,
                        [&added](const Status &s) { added.value = s; });
    QVERIFY(added.wait());
    QVERIFY2(*added.value, qPrintable(added.value->errorMessage()));
    QVERIFY(registry.get(QStringLiteral("local")));
    QCOMPARE(factory.settings().find(QStringLiteral("local"))->keyRef, QStringLiteral("provider/local"));
    QCOMPARE(*readKey(factory.keyStore(), QStringLiteral("provider/local"), this), QStringLiteral("sk-local-key-123"));

    // A fresh registry built from the stored configuration has the provider too.
    ProviderRegistry fresh;
    QVERIFY(factory.registerConfigured(fresh).isEmpty());
    QCOMPARE(fresh.names(), QStringList{QStringLiteral("local")});
    QCOMPARE((*fresh.get(QStringLiteral("local")))->kind(), QStringLiteral("openai"));

    Waiter<ConnectionTest> tested;
    factory.testConnection(QStringLiteral("local"), this, [&tested](const ConnectionTest &t) { tested.value = t; });
    QVERIFY(tested.wait());
    QVERIFY2(tested.value->ok, qPrintable(tested.value->summary()));
    QCOMPARE(tested.value->models.size(), 3);
    QVERIFY(tested.value->summary().contains(QStringLiteral("works")));
    QCOMPARE(server.requests().last().path, QStringLiteral("/v1/models"));
    QCOMPARE(server.requests().last().header("authorization"), QByteArray("Bearer sk-local-key-123"));

    // An invalid config is refused before anything is stored.
    Waiter<Status> refused;
    ProviderConfig bad = c;
    bad.name = QStringLiteral("bad name");
    factory.addProvider(bad, QStringLiteral("k"), &registry, this, [&refused](const Status &s) { refused.value = s; });
    QVERIFY(refused.wait());
    QVERIFY(!*refused.value);
    QCOMPARE(factory.settings().load().size(), 1);

    Waiter<Status> removed;
    factory.removeProvider(QStringLiteral("local"), &registry, this, [&removed](const Status &s) { removed.value = s; });
    QVERIFY(removed.wait());
    QVERIFY(*removed.value);
    QVERIFY(!registry.get(QStringLiteral("local")));
    QVERIFY(factory.settings().load().isEmpty());
    QCOMPARE(readKey(factory.keyStore(), QStringLiteral("provider/local"), this).error().code, ErrorCode::NotFound);
}

void tst_ProviderConfig::testConnectionFailures_data()
{
    QTest::addColumn<QString>("api");
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QString>("errorClass");
    QTest::addColumn<QString>("inSummary");
    QTest::newRow("openai bad key") << "openai" << "openai/unauthorized.json" << "auth" << "rejected the API key";
    QTest::newRow("anthropic bad key") << "anthropic" << "anthropic/unauthorized.json" << "auth" << "invalid x-api-key";
    QTest::newRow("server down") << "openai" << "openai/server_errors.json" << "server" << "server error";
    QTest::newRow("nothing listening") << "openai" << "" << "network" << "refused";
}

void tst_ProviderConfig::testConnectionFailures()
{
    QFETCH(QString, api);
    QFETCH(QString, scenario);
    QFETCH(QString, errorClass);
    QFETCH(QString, inSummary);
    QTemporaryDir dir;
    FakeProviderServer server;
    QVERIFY(server.listen());
    if (!scenario.isEmpty())
        QVERIFY(server.loadScenario(scenario));
    ProviderFactory factory(dir.path(), KeyStore::Backend::File);
    ProviderConfig c = config(QStringLiteral("p"), *ProviderConfig::parseKind(api),
                              scenario.isEmpty() ? QStringLiteral("http://127.0.0.1:1") : server.baseUrl());
    c.maxRetries = 1;
    Waiter<ConnectionTest> tested;
    factory.testConnection(c, this, [&tested](const ConnectionTest &t) { tested.value = t; });
    QVERIFY(tested.wait());
    QVERIFY(!tested.value->ok);
    QVERIFY(tested.value->error);
    QCOMPARE(providerErrorClassName(tested.value->error->errorClass), errorClass);
    QVERIFY2(tested.value->summary().contains(inSummary), qPrintable(tested.value->summary()));
    QCOMPARE(tested.value->toJson().value(QStringLiteral("ok")).toBool(), false);
}

void tst_ProviderConfig::testConnectionWithoutModelsEndpoint()
{
    // A server without /models (some local servers) is checked with a one-token chat instead.
    QTemporaryDir dir;
    FakeProviderServer server;
    QVERIFY(server.listen());
    QFile plain(FakeProviderServer::fixturePath(QStringLiteral("openai/plain.json")));
    QVERIFY(plain.open(QIODevice::ReadOnly));
    QJsonArray responses{QJsonObject{{QStringLiteral("status"), 404},
                                     {QStringLiteral("body"), QStringLiteral("404 page not found")}}};
    responses.append(QJsonDocument::fromJson(plain.readAll()).object().value(QStringLiteral("responses")).toArray().first());
    server.setResponses(responses);
    ProviderFactory factory(dir.path(), KeyStore::Backend::File);
    Waiter<ConnectionTest> tested;
    factory.testConnection(config(QStringLiteral("llama"), ProviderConfig::Kind::OpenAi, server.baseUrl()),
                           this, [&tested](const ConnectionTest &t) { tested.value = t; });
    QVERIFY(tested.wait());
    QVERIFY2(tested.value->ok, qPrintable(tested.value->summary()));
    QCOMPARE(tested.value->checked, QStringLiteral("chat"));
    QCOMPARE(server.requestCount(), 2);
    QCOMPARE(server.requests().at(1).json().value(QStringLiteral("max_tokens")).toInt(), 1);
}

void tst_ProviderConfig::listModels_data()
{
    QTest::addColumn<QString>("api");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QStringList>("models");
    QTest::newRow("openai") << "openai" << "/v1/models"
                            << QStringList{"gpt-4o", "gpt-4o-mini", "text-embedding-3-small"};
    QTest::newRow("anthropic") << "anthropic" << "/v1/models?limit=1000"
                               << QStringList{"claude-3-5-haiku-20241022", "claude-sonnet-4-20250514"};
}

void tst_ProviderConfig::listModels()
{
    QFETCH(QString, api);
    QFETCH(QString, path);
    QFETCH(QStringList, models);
    QTemporaryDir dir;
    FakeProviderServer server;
    QVERIFY(server.listen());
    QVERIFY(server.loadScenario(api + QStringLiteral("/models.json")));
    ProviderFactory factory(dir.path(), KeyStore::Backend::File);
    const bool oa = api == QLatin1String("openai");
    QVERIFY(factory.settings().save(config(QStringLiteral("p"), *ProviderConfig::parseKind(api),
                                           oa ? server.baseUrl(QStringLiteral("/v1")) : server.baseUrl())));
    Waiter<QStringList> got;
    std::optional<ProviderError> error;
    factory.listModels(QStringLiteral("p"), this,
                       [&](const QStringList &m, const std::optional<ProviderError> &e) {
                           error = e;
                           got.value = m;
                       });
    QVERIFY(got.wait());
    QVERIFY2(!error, error ? qPrintable(error->message) : "");
    QCOMPARE(*got.value, models);
    QCOMPARE(server.requests().first().method, QByteArray("GET"));
    QCOMPARE(server.requests().first().path, path);
    if (!oa)
        QCOMPARE(server.requests().first().header("anthropic-version"), QByteArray("2023-06-01"));
}

void tst_ProviderConfig::embeddings()
{
    QTemporaryDir dir;
    FakeProviderServer server;
    QVERIFY(server.listen());
    QVERIFY(server.loadScenario(QStringLiteral("openai/embeddings.json")));
    auto keys = std::make_shared<KeyStore>(dir.path(), KeyStore::Backend::File);
    OpenAiProvider provider(config(QStringLiteral("p"), ProviderConfig::Kind::OpenAi, server.baseUrl(QStringLiteral("/v1"))), keys);
    Waiter<QList<QList<float>>> got;
    std::optional<ProviderError> error;
    provider.embed({QStringLiteral("first"), QStringLiteral("second")}, QStringLiteral("text-embedding-3-small"), this,
                   [&](const QList<QList<float>> &v, const std::optional<ProviderError> &e) {
                       error = e;
                       got.value = v;
                   });
    QVERIFY(got.wait());
    QVERIFY(!error);
    QCOMPARE(got.value->size(), 2);
    QCOMPARE(got.value->at(0), (QList<float>{0.1f, 0.2f, 0.3f})); // placed by index, not order
    QCOMPARE(got.value->at(1), (QList<float>{0.5f, -0.25f, 0.125f}));
    const QJsonObject body = server.requests().first().json();
    QCOMPARE(server.requests().first().path, QStringLiteral("/v1/embeddings"));
    QCOMPARE(body.value(QStringLiteral("input")).toArray().size(), 2);
    QCOMPARE(body.value(QStringLiteral("model")).toString(), QStringLiteral("text-embedding-3-small"));
}

QTEST_GUILESS_MAIN(tst_ProviderConfig)
#include "tst_providerconfig.moc"
