// Signing in to a remote MCP server end to end (issue 13): the fixture of
// tests/fixtures/mcp/http_server.py answers 401 on /oauth/mcp and is its own authorization
// server (discovery, registration, PKCE, refresh). The test plays the user's browser: it takes
// the sign-in address Spool gives (printed by `spool mcp test`, or opened by the window through
// QDesktopServices, caught here with setUrlHandler) and follows it, redirects and all, to the
// 127.0.0.1 listener of the Spool process. Then the tools work; later processes reuse the token
// from the keychain (the file store tests use) and refresh it when the server stopped taking it,
// never asking again; a declined sign-in and one never finished end with a clear message.
#include "client/engineclient.h"
#include "gateway/gateway.h"
#include "mcpcontroller.h"
#include "mcpserverspage.h"
#include "spoolprocess.h"
#include "testsupport.h"

#include <QDesktopServices>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListWidget>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QPushButton>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QUrlQuery>
#include <QtTest>

#include <memory>

using namespace Spool;

// Where the window's QDesktopServices::openUrl goes in this test: nothing opens, the address is
// kept.
class UrlCatcher : public QObject
{
    Q_OBJECT
public:
    QList<QUrl> urls;
public slots:
    void open(const QUrl &url) { urls.append(url); }
};

class tst_McpSignIn : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void commandLineSignsInOnce();
    void commandLineDeclinedAndUnfinished();
    void settingsPageSignsIn();

private:
    QUrl fixture(const QString &path) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(path));
    }
    QJsonObject stats();
    QJsonObject post(const QString &path);
    // Follows the sign-in page as a browser does, up to Spool's listener; its final page.
    QString playBrowser(const QUrl &page, int *status = nullptr);
    // Answers Spool's listener as an authorization server does when the user declines.
    QString decline(const QUrl &page);
    Spool::Test::SpoolOutput spool(const QStringList &args);
    QProcessEnvironment env() const;
    // Reads the process's stderr until the sign-in address appears; empty if it does not.
    QUrl signInAddress(QProcess *process, QString *stderrSoFar);
    // `spool mcp add remote` for the OAuth fixture, then `spool mcp test remote --wait 60`
    // started and its sign-in address read; null when the add failed (`err` says why).
    std::unique_ptr<QProcess> addAndTestRemote(QUrl *page, QString *err);

    QProcess m_server;
    int m_port = 0;
    QNetworkAccessManager m_network;
    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_McpSignIn::init()
{
    // A fresh authorization server per test: its counts are the test's.
    m_server.start(QStringLiteral("python3"),
                   { QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/mcp/http_server.py") });
    QVERIFY(m_server.waitForStarted());
    QByteArray out;
    QVERIFY(QTest::qWaitFor(
        [&] {
            out += m_server.readAllStandardOutput();
            return out.contains('\n');
        },
        20000));
    QVERIFY2(out.startsWith("PORT "), out.constData());
    m_port = out.mid(5).trimmed().toInt();
    QVERIFY(m_port > 0);
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void tst_McpSignIn::cleanup()
{
    m_server.kill();
    m_server.waitForFinished();
    m_dir.reset();
}

QJsonObject tst_McpSignIn::stats()
{
    QNetworkReply *reply = m_network.get(QNetworkRequest(fixture(QStringLiteral("/oauth/stats"))));
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000))
        return {};
    reply->deleteLater();
    return QJsonDocument::fromJson(reply->readAll()).object();
}

QJsonObject tst_McpSignIn::post(const QString &path)
{
    QNetworkRequest request(fixture(path));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = m_network.post(request, QByteArrayLiteral("{}"));
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 10000))
        return {};
    reply->deleteLater();
    return QJsonDocument::fromJson(reply->readAll()).object();
}

QString tst_McpSignIn::playBrowser(const QUrl &page, int *status)
{
    QNetworkRequest request(page);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setTransferTimeout(30000);
    QNetworkReply *reply = m_network.get(request);
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, 40000))
        return QStringLiteral("<the browser got no page>");
    reply->deleteLater();
    if (status)
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    // The page the browser ended on must be Spool's listener on this computer.
    if (reply->url().host() != QLatin1String("127.0.0.1")
        || reply->url().path() != QLatin1String("/callback"))
        return QStringLiteral("<ended at %1>").arg(reply->url().toString());
    return QString::fromUtf8(reply->readAll());
}

QString tst_McpSignIn::decline(const QUrl &page)
{
    const QUrlQuery q(page);
    QUrl back(q.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded));
    back.setQuery(
        QStringLiteral("error=access_denied&error_description=the%20user%20said%20no&state=")
        + q.queryItemValue(QStringLiteral("state"), QUrl::FullyEncoded));
    return playBrowser(back);
}

QProcessEnvironment tst_McpSignIn::env() const
{
    QProcessEnvironment e = Spool::Test::spoolEnvironment(m_dir->path());
    e.insert(QStringLiteral("SPOOL_KEYSTORE"), QStringLiteral("file")); // never the user's keychain
    // No display: the command must not try to open a real browser here.
    e.remove(QStringLiteral("DISPLAY"));
    e.remove(QStringLiteral("WAYLAND_DISPLAY"));
    return e;
}

Spool::Test::SpoolOutput tst_McpSignIn::spool(const QStringList &args)
{
    return Spool::Test::runSpool(env(), args, {}, 90000);
}

QUrl tst_McpSignIn::signInAddress(QProcess *process, QString *stderrSoFar)
{
    QUrl found;
    // Either way the caller checks what was found (an empty address when nothing came).
    [[maybe_unused]] const bool done = QTest::qWaitFor(
        [&] {
            *stderrSoFar += QString::fromUtf8(process->readAllStandardError());
            const QStringList lines = stderrSoFar->split(QLatin1Char('\n'));
            for (int i = 0; i + 1 < lines.size(); ++i) {
                if (lines.at(i).contains(QLatin1String("Open this address in a browser"))) {
                    found = QUrl(lines.at(i + 1).trimmed());
                    return true;
                }
            }
            return process->state() == QProcess::NotRunning;
        },
        60000);
    return found;
}

std::unique_ptr<QProcess> tst_McpSignIn::addAndTestRemote(QUrl *page, QString *err)
{
    const Spool::Test::SpoolOutput added
        = spool({ QStringLiteral("mcp"), QStringLiteral("add"), QStringLiteral("remote"),
                  QStringLiteral("--url"), fixture(QStringLiteral("/oauth/mcp")).toString() });
    if (added.code != 0) {
        *err = added.err;
        return nullptr;
    }
    std::unique_ptr<QProcess> test(Spool::Test::startSpool(
        env(),
        { QStringLiteral("mcp"), QStringLiteral("test"), QStringLiteral("remote"),
          QStringLiteral("--wait"), QStringLiteral("60") }));
    *page = signInAddress(test.get(), err);
    return test;
}

void tst_McpSignIn::commandLineSignsInOnce()
{
    // The first test: the server answers 401; Spool registers, prints the address, and waits.
    QString err;
    QUrl page;
    std::unique_ptr<QProcess> test = addAndTestRemote(&page, &err);
    QVERIFY2(test && page.isValid() && !page.isEmpty(), qPrintable(err));
    QVERIFY2(err.contains(QLatin1String("remote asks you to sign in")), qPrintable(err));
    QCOMPARE(page.path(), QStringLiteral("/as/authorize"));
    const QUrlQuery q(page);
    QCOMPARE(q.queryItemValue(QStringLiteral("code_challenge_method")), QStringLiteral("S256"));
    const QUrl redirect(q.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded));
    QCOMPARE(redirect.host(), QStringLiteral("127.0.0.1"));
    QCOMPARE(redirect.path(), QStringLiteral("/callback"));
    QCOMPARE(stats().value(QLatin1String("registrations")).toInt(), 1);
    QCOMPARE(stats().value(QLatin1String("authorizations")).toInt(), 0); // nobody consented yet
    QVERIFY(test->state() == QProcess::Running);

    // The user signs in: the authorization server sends the browser back to Spool.
    int status = 0;
    const QString landing = playBrowser(page, &status);
    QCOMPARE(status, 200);
    QVERIFY2(landing.contains(QLatin1String("Signed in")), qPrintable(landing));
    QVERIFY(Spool::Test::waitForExit(test.get(), 60000));
    const QString out = QString::fromUtf8(test->readAllStandardOutput());
    err += QString::fromUtf8(test->readAllStandardError());
    QVERIFY2(test->exitCode() == 0, qPrintable(out + err));
    QVERIFY2(out.contains(QLatin1String("remote: ready")), qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("tools: 2 listed, 2 offered")), qPrintable(out));
    QCOMPARE(stats().value(QLatin1String("authorizations")).toInt(), 1);

    // The tokens went to the keychain, not into mcp.json.
    QFile config(m_dir->filePath(QStringLiteral("config/mcp.json")));
    QVERIFY(config.open(QIODevice::ReadOnly));
    const QByteArray configText = config.readAll();
    QVERIFY2(!configText.contains("access-") && !configText.contains("refresh-"),
             configText.constData());

    // A new process lists the tools with the stored token: no address, no new consent.
    Spool::Test::SpoolOutput o = spool({ QStringLiteral("mcp"), QStringLiteral("tools"),
                                         QStringLiteral("remote"), QStringLiteral("--wait"),
                                         QStringLiteral("60") });
    QVERIFY2(o.code == 0, qPrintable(o.out + o.err));
    QVERIFY2(o.out.contains(QLatin1String("+ mcp.remote.echo"))
                 && o.out.contains(QLatin1String("+ mcp.remote.big")),
             qPrintable(o.out));
    QVERIFY2(!o.err.contains(QLatin1String("sign in")), qPrintable(o.err));
    QJsonObject seen = stats();
    QCOMPARE(seen.value(QLatin1String("authorizations")).toInt(), 1);
    QCOMPARE(seen.value(QLatin1String("registrations")).toInt(), 1);
    const int refreshesBefore = seen.value(QLatin1String("refreshes")).toInt();

    // The server stops taking the tokens it gave (they expired while nothing ran): the next
    // process refreshes with the stored refresh token, still without the browser.
    QVERIFY(post(QStringLiteral("/oauth/expire")).value(QLatin1String("expired")).toInt() >= 1);
    o = spool({ QStringLiteral("mcp"), QStringLiteral("tools"), QStringLiteral("remote"),
                QStringLiteral("--wait"), QStringLiteral("60") });
    QVERIFY2(o.code == 0, qPrintable(o.out + o.err));
    QVERIFY2(o.out.contains(QLatin1String("+ mcp.remote.echo")), qPrintable(o.out));
    QVERIFY2(!o.err.contains(QLatin1String("sign in")), qPrintable(o.err));
    seen = stats();
    QCOMPARE(seen.value(QLatin1String("authorizations")).toInt(), 1);
    QCOMPARE(seen.value(QLatin1String("refreshes")).toInt(), refreshesBefore + 1);
}

void tst_McpSignIn::commandLineDeclinedAndUnfinished()
{
    // The user declines at the authorization server: the command ends at once and says so,
    // without sending the user to sign in a second time.
    QString err;
    QUrl page;
    std::unique_ptr<QProcess> test = addAndTestRemote(&page, &err);
    QVERIFY2(test && page.isValid() && !page.isEmpty(), qPrintable(err));
    QElapsedTimer clock;
    clock.start();
    const QString landing = decline(page);
    QVERIFY2(landing.contains(QLatin1String("Sign-in refused")), qPrintable(landing));
    QVERIFY(Spool::Test::waitForExit(test.get(), 30000));
    QVERIFY2(clock.elapsed() < 20000, qPrintable(QString::number(clock.elapsed())));
    const QString out = QString::fromUtf8(test->readAllStandardOutput());
    err += QString::fromUtf8(test->readAllStandardError());
    QCOMPARE(test->exitCode(), 1);
    QVERIFY2(out.contains(QLatin1String("remote: failed")), qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("the sign-in did not finish")), qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("access_denied")), qPrintable(out));
    QVERIFY2(out.contains(QLatin1String("spool mcp test remote")),
             qPrintable(out)); // what to do next
    QCOMPARE(err.count(QLatin1String("Open this address in a browser")), 1);
    QCOMPARE(stats().value(QLatin1String("authorizations")).toInt(), 0);

    // The user never comes back: the command gives up after its wait and says why.
    test.reset(Spool::Test::startSpool(env(),
                                       { QStringLiteral("mcp"), QStringLiteral("test"),
                                         QStringLiteral("remote"), QStringLiteral("--wait"),
                                         QStringLiteral("3") }));
    QVERIFY(Spool::Test::waitForExit(test.get(), 30000));
    const QString lateOut = QString::fromUtf8(test->readAllStandardOutput());
    const QString lateErr = QString::fromUtf8(test->readAllStandardError());
    QCOMPARE(test->exitCode(), 1);
    QVERIFY2(lateErr.contains(QLatin1String("Open this address in a browser")),
             qPrintable(lateErr));
    QVERIFY2(lateOut.contains(QLatin1String("you did not finish signing in within 3 s")),
             qPrintable(lateOut));
}

void tst_McpSignIn::settingsPageSignsIn()
{
    qputenv("SPOOL_KEYSTORE", "file"); // never the user's keychain
    UrlCatcher browser;
    QDesktopServices::setUrlHandler(QStringLiteral("http"), &browser, "open");
    auto unset = qScopeGuard([] { QDesktopServices::unsetUrlHandler(QStringLiteral("http")); });

    auto env = std::make_unique<Test::TempEnvironment>();
    env->config.frontEnd = QStringLiteral("gui");
    auto engine = std::make_unique<EngineClient>(env->config, &Gateway::create);
    {
        QSignalSpy ready(engine.get(), &EngineClient::ready);
        engine->start();
        QVERIFY(ready.wait(10000));
    }
    const QString path = env->dir.filePath(QStringLiteral("servers.json"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(
        QJsonDocument(
            QJsonObject { { QStringLiteral("mcpServers"),
                            QJsonObject { { QStringLiteral("remote"),
                                            QJsonObject { { QStringLiteral("url"),
                                                            fixture(QStringLiteral("/oauth/mcp"))
                                                                .toString() } } } } } })
            .toJson());
    f.close();

    // The window: its MCP controller starts the servers and opens sign-in pages; the page.
    auto page = std::make_unique<McpServersPage>(engine.get());
    new McpController(engine.get(), page.get()); // the page owns it, as the window does
    page->show();
    page->importFile(path);
    QTRY_COMPARE_WITH_TIMEOUT(page->selectedServer(), QStringLiteral("remote"), 10000);

    // The server asks at once: the browser was sent to the sign-in page, and the page says
    // what it waits for. This time the user cancels from the page.
    QTRY_COMPARE_WITH_TIMEOUT(browser.urls.size(), 1, 30000);
    QCOMPARE(browser.urls.first().path(), QStringLiteral("/as/authorize"));
    QTRY_VERIFY_WITH_TIMEOUT(page->signInLabel()->isVisible(), 10000);
    QVERIFY2(page->statusLabel()->text().contains(QLatin1String("waiting for you to sign in")),
             qPrintable(page->statusLabel()->text()));
    QVERIFY2(page->signInLabel()->text().contains(QLatin1String("/as/authorize")),
             qPrintable(page->signInLabel()->text()));
    QPushButton *cancel = nullptr;
    QPushButton *signIn = nullptr;
    for (QPushButton *b : page->findChildren<QPushButton *>()) {
        if (b->text() == QLatin1String("Cancel sign-in"))
            cancel = b;
        if (b->text() == QLatin1String("Sign in"))
            signIn = b;
    }
    QVERIFY(cancel && signIn);
    QVERIFY(!signIn->isEnabled()); // one sign-in at a time
    cancel->click();
    QTRY_VERIFY_WITH_TIMEOUT(page->statusLabel()->text().contains(QLatin1String("failed")), 20000);
    QVERIFY2(page->statusLabel()->text().contains(QLatin1String("the sign-in did not finish")),
             qPrintable(page->statusLabel()->text()));
    QVERIFY(!page->signInLabel()->isVisible());
    QCOMPARE(stats().value(QLatin1String("authorizations")).toInt(), 0);
    QTest::qWait(1500); // no restart sends the browser there again
    QCOMPARE(browser.urls.size(), 1);

    // Sign in: the browser opens again; the user signs in; the page shows the tools.
    QTRY_VERIFY_WITH_TIMEOUT(signIn->isVisible() && signIn->isEnabled(), 10000);
    signIn->click();
    QTRY_COMPARE_WITH_TIMEOUT(browser.urls.size(), 2, 30000);
    const QString landing = playBrowser(browser.urls.last());
    QVERIFY2(landing.contains(QLatin1String("Signed in")), qPrintable(landing));
    QTRY_VERIFY_WITH_TIMEOUT(page->statusLabel()->text().contains(QLatin1String("signed in"))
                                 && page->statusLabel()->text().contains(QLatin1String("ready")),
                             30000);
    QVERIFY2(!page->statusLabel()->text().contains(QLatin1String("not signed in")),
             qPrintable(page->statusLabel()->text()));
    QTRY_VERIFY_WITH_TIMEOUT(
        page->resultLabel()->text().contains(QLatin1String("remote works: 2 tools")), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(page->toolTree()->topLevelItemCount(), 2, 10000);
    QStringList tools { page->toolTree()->topLevelItem(0)->text(0),
                        page->toolTree()->topLevelItem(1)->text(0) };
    tools.sort();
    QCOMPARE(tools, (QStringList { QStringLiteral("big"), QStringLiteral("echo") }));
    QVERIFY(!signIn->isEnabled());
    QCOMPARE(stats().value(QLatin1String("authorizations")).toInt(), 1);

    // The window opens again later: the stored sign-in is used, no page opens.
    page.reset();
    engine.reset();
    engine = std::make_unique<EngineClient>(env->config, &Gateway::create);
    {
        QSignalSpy ready(engine.get(), &EngineClient::ready);
        engine->start();
        QVERIFY(ready.wait(10000));
    }
    page = std::make_unique<McpServersPage>(engine.get());
    new McpController(engine.get(), page.get());
    page->show();
    QTRY_COMPARE_WITH_TIMEOUT(page->selectedServer(), QStringLiteral("remote"), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(page->statusLabel()->text().contains(QLatin1String("ready")), 30000);
    QVERIFY2(page->statusLabel()->text().contains(QLatin1String("signed in"))
                 && !page->statusLabel()->text().contains(QLatin1String("not signed in")),
             qPrintable(page->statusLabel()->text()));
    QTRY_COMPARE_WITH_TIMEOUT(page->toolTree()->topLevelItemCount(), 2, 10000);
    QCOMPARE(browser.urls.size(), 2);
    QCOMPARE(stats().value(QLatin1String("authorizations")).toInt(), 1);
    page.reset();
    engine.reset();
}

QTEST_MAIN(tst_McpSignIn)
#include "tst_mcpsignin.moc"
