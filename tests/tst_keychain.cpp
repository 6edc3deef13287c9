#include "fakeproviderserver.h"
#include "spoolprocess.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using Spool::Test::FakeProviderServer;
using Spool::Test::SpoolOutput;

// API keys in a real keychain, and the keychain loaded only when a key is used. The test runs
// its own D-Bus session bus and GNOME Keyring (a Secret Service, as on most Linux desktops) with
// a fresh keyring in a scratch folder, so the user's own keychain is never reached; real spool
// processes store keys in it and read them back. `LD_DEBUG=files` shows which libraries each
// process loads.
class tst_Keychain : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void keysLiveInTheKeychain();
    void commandsWithoutKeysLoadNoKeychain();
    void missingModuleFallsBackToTheFile();

private:
    QProcessEnvironment environment() const;
    SpoolOutput spool(const QStringList &args, const QByteArray &stdinData = {},
                      const QProcessEnvironment &extra = {}) const;
    bool addRemote(const QString &key, const QProcessEnvironment &extra = {});
    // What `secret-tool` (libsecret's command line) prints: the keychain seen without Spool.
    QString secretTool(const QStringList &args) const;

    QTemporaryDir m_session; // the bus's and the keyring's home
    QProcess m_bus;
    QProcess m_keyring;
    QString m_busAddress;
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<FakeProviderServer> m_server;
};

namespace {

QProcessEnvironment with(QProcessEnvironment env, const QProcessEnvironment &extra)
{
    for (const QString &name : extra.keys())
        env.insert(name, extra.value(name));
    return env;
}

// The shared libraries and modules a process opened, from the dynamic loader's LD_DEBUG=files
// report ("file=libQt6Core.so.6 [0];  needed by ..." or "... dynamically loaded by ...").
QStringList loadedFiles(const QString &stderrText)
{
    QStringList files;
    static const QRegularExpression line(QStringLiteral("file=(\\S+) \\[\\d+\\];  (needed|dynamically)"));
    for (auto it = line.globalMatch(stderrText); it.hasNext();)
        files << QFileInfo(it.next().captured(1)).fileName();
    files.removeDuplicates();
    return files;
}

QStringList matching(const QStringList &files, const QStringList &prefixes)
{
    QStringList found;
    for (const QString &f : files) {
        for (const QString &p : prefixes) {
            if (f.startsWith(p))
                found << f;
        }
    }
    return found;
}

// What only the keychain brings, and what only the window may.
const QStringList kKeychainLibraries{QStringLiteral("libqt6keychain"), QStringLiteral("libQt6DBus"),
                                     QStringLiteral("libdbus-1"), QStringLiteral("libsecret"),
                                     QStringLiteral("spool-keychain")};
const QStringList kGuiLibraries{QStringLiteral("libQt6Gui"), QStringLiteral("libQt6Widgets"),
                                QStringLiteral("libX11"), QStringLiteral("libEGL"),
                                QStringLiteral("libxcb")};

} // namespace

void tst_Keychain::initTestCase()
{
    const QString daemon = QStandardPaths::findExecutable(QStringLiteral("gnome-keyring-daemon"));
    const QString busDaemon = QStandardPaths::findExecutable(QStringLiteral("dbus-daemon"));
    const QString secretTool = QStandardPaths::findExecutable(QStringLiteral("secret-tool"));
    QVERIFY2(!daemon.isEmpty() && !busDaemon.isEmpty() && !secretTool.isEmpty(),
             "this test needs gnome-keyring, dbus-daemon and secret-tool (libsecret-tools): "
             "scripts/install-deps installs them");
    QVERIFY(m_session.isValid());
    QDir(m_session.path()).mkpath(QStringLiteral("runtime"));
    QFile::setPermissions(m_session.filePath(QStringLiteral("runtime")),
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);

    // A session bus of our own: its address is the first line it prints.
    m_bus.start(busDaemon, {QStringLiteral("--session"), QStringLiteral("--nofork"),
                            QStringLiteral("--print-address=1")});
    QVERIFY2(m_bus.waitForStarted(5000), qPrintable(m_bus.errorString()));
    QVERIFY(QTest::qWaitFor([this] { return m_bus.canReadLine(); }, 10000));
    m_busAddress = QString::fromUtf8(m_bus.readLine()).trimmed();
    QVERIFY(!m_busAddress.isEmpty());

    // The keyring daemon on that bus, with a new login keyring unlocked by the password on
    // stdin, kept in the foreground so that the test ends it.
    QProcessEnvironment env = environment();
    m_keyring.setProcessEnvironment(env);
    m_keyring.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_keyring.start(daemon, {QStringLiteral("--foreground"), QStringLiteral("--unlock"),
                             QStringLiteral("--components=secrets")});
    QVERIFY2(m_keyring.waitForStarted(5000), qPrintable(m_keyring.errorString()));
    m_keyring.write("spool-test-password");
    m_keyring.closeWriteChannel();
    // It is ready once it owns the Secret Service's name on the bus.
    const QString send = QStandardPaths::findExecutable(QStringLiteral("dbus-send"));
    QVERIFY2(!send.isEmpty(), "dbus-send is missing");
    const bool ready = QTest::qWaitFor(
            [&] {
                QProcess ask;
                ask.setProcessEnvironment(env);
                ask.start(send, {QStringLiteral("--session"), QStringLiteral("--print-reply"),
                                 QStringLiteral("--dest=org.freedesktop.DBus"), QStringLiteral("/"),
                                 QStringLiteral("org.freedesktop.DBus.NameHasOwner"),
                                 QStringLiteral("string:org.freedesktop.secrets")});
                return ask.waitForFinished(5000) && ask.readAllStandardOutput().contains("true");
            },
            15000);
    QVERIFY2(ready, "GNOME Keyring did not take the Secret Service's name on the test bus");
}

void tst_Keychain::cleanupTestCase()
{
    for (QProcess *p : {&m_keyring, &m_bus}) {
        p->terminate();
        if (!p->waitForFinished(5000)) {
            p->kill();
            p->waitForFinished(2000);
        }
    }
}

void tst_Keychain::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_server = std::make_unique<FakeProviderServer>();
    QVERIFY(m_server->listen());
}

void tst_Keychain::cleanup()
{
    m_server.reset();
    m_dir.reset();
}

QProcessEnvironment tst_Keychain::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), m_busAddress);
    env.insert(QStringLiteral("HOME"), m_session.path());
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_session.filePath(QStringLiteral("share")));
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_session.filePath(QStringLiteral("runtime")));
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    env.remove(QStringLiteral("XDG_CURRENT_DESKTOP"));
    return env;
}

SpoolOutput tst_Keychain::spool(const QStringList &args, const QByteArray &stdinData,
                                const QProcessEnvironment &extra) const
{
    QProcessEnvironment env = Spool::Test::spoolEnvironment(m_dir->path());
    env = with(with(env, environment()), extra);
    if (!extra.contains(QStringLiteral("SPOOL_KEYSTORE")))
        env.insert(QStringLiteral("SPOOL_KEYSTORE"), QStringLiteral("keychain")); // never the file
    const QString program = extra.value(QStringLiteral("SPOOL_TEST_PROGRAM"), QStringLiteral(SPOOL_BINARY));
    return Spool::Test::runProgram(program, env, args, stdinData);
}

QString tst_Keychain::secretTool(const QStringList &args) const
{
    const SpoolOutput o = Spool::Test::runProgram(QStandardPaths::findExecutable(QStringLiteral("secret-tool")),
                                                   environment(), args);
    return o.out.trimmed();
}

bool tst_Keychain::addRemote(const QString &key, const QProcessEnvironment &extra)
{
    const SpoolOutput o = spool({QStringLiteral("providers"), QStringLiteral("add"), QStringLiteral("remote"),
                                 QStringLiteral("--kind"), QStringLiteral("openai"), QStringLiteral("--base-url"),
                                 m_server->baseUrl(QStringLiteral("/v1")), QStringLiteral("--model"),
                                 QStringLiteral("test-model"), QStringLiteral("--key-stdin"),
                                 QStringLiteral("--max-retries"), QStringLiteral("0")},
                                key.toUtf8() + '\n', extra);
    if (o.code != 0)
        qWarning("providers add: %d %s%s", o.code, qPrintable(o.out), qPrintable(o.err));
    return o.code == 0;
}

void tst_Keychain::keysLiveInTheKeychain()
{
    const QString key = QStringLiteral("sk-keychain-5e1f0a9b7c3d");
    const QString keyFile = m_dir->filePath(QStringLiteral("config/provider-keys.json"));
    QVERIFY(addRemote(key));
    QVERIFY2(!QFile::exists(keyFile), "the key went to the file, not the keychain");

    const SpoolOutput list = spool({QStringLiteral("providers"), QStringLiteral("list"), QStringLiteral("--json")});
    QCOMPARE(list.code, 0);
    const QJsonArray entries = QJsonDocument::fromJson(list.out.toUtf8()).array();
    QCOMPARE(entries.size(), 2);
    QCOMPARE(entries.at(1).toObject().value(QStringLiteral("key_storage")).toString(),
             QStringLiteral("keychain"));

    // A new process reads the key back from the keychain and sends it.
    QVERIFY(m_server->loadScenario(QStringLiteral("openai/models.json")));
    const SpoolOutput test = spool({QStringLiteral("providers"), QStringLiteral("test"), QStringLiteral("remote")});
    QVERIFY2(test.code == 0, qPrintable(test.out + test.err));
    QCOMPARE(m_server->requests().constLast().header("authorization"), "Bearer " + key.toUtf8());

    // The keychain holds it, as its own tool shows, and removing the provider removes it.
    QCOMPARE(secretTool({QStringLiteral("lookup"), QStringLiteral("server"), QStringLiteral("Spool"),
                         QStringLiteral("user"), QStringLiteral("provider/remote")}),
             key);
    const SpoolOutput removed = spool({QStringLiteral("providers"), QStringLiteral("remove"), QStringLiteral("remote")});
    QVERIFY2(removed.code == 0, qPrintable(removed.out + removed.err));
    QCOMPARE(secretTool({QStringLiteral("search"), QStringLiteral("--all"), QStringLiteral("server"),
                         QStringLiteral("Spool")}),
             QString());
}

void tst_Keychain::commandsWithoutKeysLoadNoKeychain()
{
    QProcessEnvironment debug;
    debug.insert(QStringLiteral("LD_DEBUG"), QStringLiteral("files"));

    const SpoolOutput version = spool({QStringLiteral("--version")}, {}, debug);
    QCOMPARE(version.code, 0);
    const QStringList versionFiles = loadedFiles(version.err);
    QVERIFY2(versionFiles.contains(QStringLiteral("libQt6Core.so.6")), "LD_DEBUG=files said nothing");
    QCOMPARE(matching(versionFiles, kKeychainLibraries + kGuiLibraries), QStringList());

    // A chat on the deterministic provider reads no key.
    const SpoolOutput chat = spool({QStringLiteral("chat"), QStringLiteral("hello")}, {}, debug);
    QVERIFY2(chat.code == 0, qPrintable(chat.err.right(2000)));
    QCOMPARE(matching(loadedFiles(chat.err), kKeychainLibraries + kGuiLibraries), QStringList());

    // Storing a key loads the module, and with it the keychain's libraries.
    QVERIFY(addRemote(QStringLiteral("sk-loaded-0000"), debug));
    const SpoolOutput list = spool({QStringLiteral("providers"), QStringLiteral("test"), QStringLiteral("remote")},
                                   {}, debug);
    const QStringList keyFiles = loadedFiles(list.err);
    QVERIFY2(keyFiles.contains(QStringLiteral("spool-keychain.so")), qPrintable(keyFiles.join(u' ')));
    QVERIFY2(keyFiles.contains(QStringLiteral("libqt6keychain.so.1")), qPrintable(keyFiles.join(u' ')));
    QCOMPARE(matching(keyFiles, kGuiLibraries), QStringList());
}

void tst_Keychain::missingModuleFallsBackToTheFile()
{
    // A `spool` whose keychain module is missing: the binary alone in a folder.
    QTemporaryDir bare;
    QVERIFY(bare.isValid());
    const QString program = bare.filePath(QStringLiteral("spool"));
    QVERIFY(QFile::copy(QStringLiteral(SPOOL_BINARY), program));
    QProcessEnvironment extra;
    extra.insert(QStringLiteral("SPOOL_TEST_PROGRAM"), program);
    extra.insert(QStringLiteral("SPOOL_MODULE_DIR"), bare.path());

    // With the keychain required, the command fails and says why.
    extra.insert(QStringLiteral("SPOOL_KEYSTORE"), QStringLiteral("keychain"));
    const SpoolOutput strict = spool({QStringLiteral("providers"), QStringLiteral("add"), QStringLiteral("remote"),
                                      QStringLiteral("--kind"), QStringLiteral("openai"), QStringLiteral("--key-stdin")},
                                     "sk-nowhere-1111\n", extra);
    QVERIFY(strict.code != 0);
    QVERIFY2(strict.err.contains(QStringLiteral("cannot store the key: the keychain module is not installed")),
             qPrintable(strict.err));
    const QString keyFile = m_dir->filePath(QStringLiteral("config/provider-keys.json"));
    QVERIFY(!QFile::exists(keyFile));

    // Otherwise the key is kept in the private file, and the user is told that and why.
    extra.insert(QStringLiteral("SPOOL_KEYSTORE"), QStringLiteral("auto"));
    const SpoolOutput added = spool({QStringLiteral("providers"), QStringLiteral("add"), QStringLiteral("other"),
                                     QStringLiteral("--kind"), QStringLiteral("openai"), QStringLiteral("--base-url"),
                                     m_server->baseUrl(QStringLiteral("/v1")), QStringLiteral("--key-stdin")},
                                    "sk-in-the-file-2222\n", extra);
    QVERIFY2(added.code == 0, qPrintable(added.out + added.err));
    QVERIFY2(added.err.contains(QStringLiteral("keychain module is not installed")), qPrintable(added.err));
    QVERIFY(QFile::exists(keyFile));
}

QTEST_GUILESS_MAIN(tst_Keychain)
#include "tst_keychain.moc"
