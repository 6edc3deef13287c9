#include "httptestclient.h"
#include "spoolprocess.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace Spool::Test;

// `spool serve` from the outside, the way an attacker's page, a script or a slow client meets
// it: curl sends each request; the status, the headers and the server's log line with the
// reason are checked. One server for the whole suite, configured with small limits.
class tst_ApiCurl : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();

    void rules_data();
    void rules();
    void slowClientGets408();
    void connectionCapGives503();
    void secondServerSaysWhereTheFirstIs();
    void ctrlCStopsCleanly();

private:
    struct Curl
    {
        int status = 0;
        QByteArray headers;
        QByteArray body;
    };
    Curl curl(const QStringList &args, int timeoutMs = 60000);
    QString url(const QString &path) const { return QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(path); }
    bool logged(const QString &needle);

    QTemporaryDir m_dir;
    QProcessEnvironment m_env;
    QProcess *m_serve = nullptr;
    QList<QProcess *> m_processes;
    quint16 m_port = 0;
    bool m_ipv6 = false;
    QString m_tokenFile;
    QByteArray m_token;
    QByteArray m_log;
};

void tst_ApiCurl::initTestCase()
{
    if (QStandardPaths::findExecutable(QStringLiteral("curl")).isEmpty())
        QSKIP("curl is not installed (scripts/install-deps installs it)");
    m_env = spoolEnvironment(m_dir.path(), 10);
    QDir().mkpath(m_dir.filePath(QStringLiteral("config")));
    {
        QSettings s(m_dir.filePath(QStringLiteral("config/spool.conf")), QSettings::IniFormat);
        s.setValue(QStringLiteral("api/allowed_origins"), QStringList{QStringLiteral("http://localhost:5173")});
        s.setValue(QStringLiteral("api/max_body_bytes"), 64 * 1024);
        s.setValue(QStringLiteral("api/header_timeout_ms"), 1500);
        s.setValue(QStringLiteral("api/max_connections"), 3);
    }
    m_serve = startSpool(m_env, {QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0"),
                                 QStringLiteral("--json")});
    m_processes.append(m_serve);
    connect(m_serve, &QProcess::readyReadStandardError, this, [this] { m_log += m_serve->readAllStandardError(); });
    const QJsonObject listening = readJsonLine(m_serve, 30000);
    QVERIFY2(listening.value(QStringLiteral("type")).toString() == QLatin1String("listening"), m_log.constData());
    m_port = quint16(listening.value(QStringLiteral("port")).toInt());
    QVERIFY(m_port > 0);
    QCOMPARE(listening.value(QStringLiteral("url")).toString(), url(QStringLiteral("/")));
    QCOMPARE(listening.value(QStringLiteral("base_url")).toString(), url(QStringLiteral("/v1")));
    m_tokenFile = listening.value(QStringLiteral("token_file")).toString();
    QCOMPARE(m_tokenFile, m_dir.filePath(QStringLiteral("data/api-token")));
    QFile token(m_tokenFile);
    QVERIFY(token.open(QIODevice::ReadOnly));
    m_token = token.readAll().trimmed();
    QCOMPARE(token.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup
                                    | QFileDevice::WriteOther),
             QFileDevice::Permissions());
    const QStringList addresses = listening.value(QStringLiteral("addresses")).toVariant().toStringList();
    QVERIFY(addresses.contains(QStringLiteral("127.0.0.1:%1").arg(m_port)));
    for (const QString &a : addresses)
        QVERIFY2(a.startsWith(QLatin1String("127.0.0.1:")) || a.startsWith(QLatin1String("[::1]:")), qPrintable(a));
    m_ipv6 = addresses.contains(QStringLiteral("[::1]:%1").arg(m_port));
}

void tst_ApiCurl::cleanupTestCase()
{
    stopAll(m_processes);
}

tst_ApiCurl::Curl tst_ApiCurl::curl(const QStringList &args, int timeoutMs)
{
    QTemporaryDir out;
    QProcess p;
    // -sS: quiet but with errors; -o/-D: body and headers apart; -w: the status alone.
    p.start(QStringLiteral("curl"), QStringList{QStringLiteral("-sS"), QStringLiteral("--max-time"), QStringLiteral("60"),
                                                QStringLiteral("-o"), out.filePath(QStringLiteral("body")),
                                                QStringLiteral("-D"), out.filePath(QStringLiteral("headers")),
                                                QStringLiteral("-w"), QStringLiteral("%{http_code}")}
                                        + args);
    if (!QTest::qWaitFor([&p] { return p.state() == QProcess::NotRunning; }, timeoutMs)) {
        p.kill();
        p.waitForFinished(2000);
    }
    Curl c;
    c.status = p.readAllStandardOutput().trimmed().toInt();
    QFile h(out.filePath(QStringLiteral("headers")));
    if (h.open(QIODevice::ReadOnly))
        c.headers = h.readAll().toLower();
    QFile b(out.filePath(QStringLiteral("body")));
    if (b.open(QIODevice::ReadOnly))
        c.body = b.readAll();
    return c;
}

bool tst_ApiCurl::logged(const QString &needle)
{
    return QTest::qWaitFor([&] {
        m_log += m_serve->readAllStandardError();
        return QString::fromUtf8(m_log).contains(needle);
    }, 10000);
}

void tst_ApiCurl::rules_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("logLine"); // what the server's log must say for a refusal
    QTest::addColumn<QString>("allowOrigin"); // the Access-Control-Allow-Origin expected, if any

    const QString auth = QStringLiteral("Authorization: Bearer TOKEN");
    const QString models = QStringLiteral("URL/v1/models");
    const QString chat = QStringLiteral("URL/v1/chat/completions");
    const QString chatBody = QStringLiteral(R"({"model":"default","messages":[{"role":"user","content":"hi"}]})");
    const QString json = QStringLiteral("Content-Type: application/json");

    QTest::newRow("token") << QStringList{QStringLiteral("-H"), auth, models} << 200 << QString() << QString();
    QTest::newRow("no token") << QStringList{models} << 401 << "401 no bearer token" << QString();
    QTest::newRow("wrong token") << QStringList{QStringLiteral("-H"), QStringLiteral("Authorization: Bearer spool-guess"), models}
                                 << 401 << "401 wrong bearer token" << QString();
    QTest::newRow("token in the query") << QStringList{QStringLiteral("URL/v1/models?token=TOKEN")} << 401
                                        << "401 no bearer token" << QString();
    QTest::newRow("DNS rebinding: another name") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("-H"),
                                                                QStringLiteral("Host: attacker.example:PORT"), models}
                                                 << 403 << "403 Host \"attacker.example:PORT\"" << QString();
    QTest::newRow("Host without the port") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("-H"),
                                                          QStringLiteral("Host: localhost"), models}
                                           << 403 << "403 Host \"localhost\"" << QString();
    QTest::newRow("empty Host") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("-H"), QStringLiteral("Host;"), models}
                                << 403 << "403 Host \"\"" << QString();
    QTest::newRow("no Host (HTTP/1.0)") << QStringList{QStringLiteral("-0"), QStringLiteral("-H"), auth, QStringLiteral("-H"),
                                                       QStringLiteral("Host:"), models}
                                        << 403 << "403 no Host header" << QString();
    QTest::newRow("localhost") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("http://localhost:PORT/v1/models")}
                               << 200 << QString() << QString();
    if (m_ipv6) {
        QTest::newRow("::1") << QStringList{QStringLiteral("-g"), QStringLiteral("-H"), auth,
                                            QStringLiteral("http://[::1]:PORT/v1/models")}
                             << 200 << QString() << QString();
    }
    QTest::newRow("HEAD, DNS rebinding: refused, logged, no body")
            << QStringList{QStringLiteral("-I"), QStringLiteral("-H"), auth, QStringLiteral("-H"),
                           QStringLiteral("Host: attacker.example:PORT"), models}
            << 403 << "403 Host \"attacker.example:PORT\"" << QString();
    QTest::newRow("HEAD, no token") << QStringList{QStringLiteral("-I"), models} << 401 << "401 no bearer token" << QString();
    QTest::newRow("HEAD, token") << QStringList{QStringLiteral("-I"), QStringLiteral("-H"), auth, models} << 405 << QString() << QString();
    QTest::newRow("origin not allowed") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("-H"),
                                                       QStringLiteral("Origin: https://attacker.example"), models}
                                        << 403 << "403 browser origin \"https://attacker.example\"" << QString();
    QTest::newRow("origin allowed") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("-H"),
                                                   QStringLiteral("Origin: http://localhost:5173"), models}
                                    << 200 << QString() << "http://localhost:5173";
    QTest::newRow("origin allowed, no token: it may read the 401")
            << QStringList{QStringLiteral("-H"), QStringLiteral("Origin: http://localhost:5173"), models}
            << 401 << "401 no bearer token" << "http://localhost:5173";
    QTest::newRow("preflight, allowed") << QStringList{QStringLiteral("-X"), QStringLiteral("OPTIONS"), QStringLiteral("-H"),
                                                       QStringLiteral("Origin: http://localhost:5173"), QStringLiteral("-H"),
                                                       QStringLiteral("Access-Control-Request-Method: POST"), QStringLiteral("-H"),
                                                       QStringLiteral("Access-Control-Request-Headers: authorization, content-type, x-stainless-os"),
                                                       chat}
                                        << 204 << QString() << "http://localhost:5173";
    QTest::newRow("preflight, not allowed") << QStringList{QStringLiteral("-X"), QStringLiteral("OPTIONS"), QStringLiteral("-H"),
                                                           QStringLiteral("Origin: https://attacker.example"), QStringLiteral("-H"),
                                                           QStringLiteral("Access-Control-Request-Method: POST"), chat}
                                            << 403 << "403 browser origin" << QString();
    QTest::newRow("text/plain body") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("-H"), QStringLiteral("Content-Type: text/plain"),
                                                    QStringLiteral("--data"), chatBody, chat}
                                     << 415 << "415 body of type \"text/plain\"" << QString();
    QTest::newRow("form body") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("--data"), QStringLiteral("a=1"), chat}
                               << 415 << "415 body of type \"application/x-www-form-urlencoded\"" << QString();
    QTest::newRow("body too large") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("-H"), json, QStringLiteral("-H"),
                                                   QStringLiteral("Expect:"), QStringLiteral("--data-binary"), QStringLiteral("@BIG"), chat}
                                    << 413 << "413 body larger than 65536 bytes" << QString();
    QTest::newRow("headers too large") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("-H"),
                                                      QStringLiteral("X-Filler: ") + QString(40000, QLatin1Char('f')), models}
                                       << 431 << "431 headers larger than 32768 bytes" << QString();
    QTest::newRow("a chat") << QStringList{QStringLiteral("-H"), auth, QStringLiteral("-H"), json, QStringLiteral("--data"), chatBody, chat}
                            << 200 << QString() << QString();
}

void tst_ApiCurl::rules()
{
    QFETCH(QStringList, args);
    QFETCH(int, status);
    QFETCH(QString, logLine);
    QFETCH(QString, allowOrigin);
    const QString big = m_dir.filePath(QStringLiteral("big.json"));
    if (!QFile::exists(big)) {
        QFile f(big);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"model\":\"default\",\"x\":\"" + QByteArray(200 * 1024, 'x') + "\"}");
    }
    for (QString &a : args) {
        a.replace(QLatin1String("TOKEN"), QString::fromLatin1(m_token));
        a.replace(QLatin1String("URL"), url(QString()));
        a.replace(QLatin1String("PORT"), QString::number(m_port));
        a.replace(QLatin1String("@BIG"), QLatin1Char('@') + big);
    }
    logLine.replace(QLatin1String("PORT"), QString::number(m_port));
    const Curl c = curl(args);
    QCOMPARE(c.status, status);
    // Never a wildcard; an allowed origin is echoed, any other gets none.
    QVERIFY(!c.headers.contains("access-control-allow-origin: *"));
    if (allowOrigin.isEmpty())
        QVERIFY(!c.headers.contains("access-control-allow-origin"));
    else
        QVERIFY(c.headers.contains(QByteArray("access-control-allow-origin: " + allowOrigin.toLatin1())));
    if (status == 204)
        QVERIFY(c.headers.contains("access-control-allow-headers: authorization, content-type, x-stainless-os"));
    if (args.contains(QStringLiteral("-I"))) {
        QVERIFY(!c.body.contains('{')); // curl -I writes the head alone; no JSON arrived
    } else if (status >= 400) {
        const QJsonObject error = QJsonDocument::fromJson(c.body).object().value(QStringLiteral("error")).toObject();
        QVERIFY2(!error.value(QStringLiteral("message")).toString().isEmpty(), c.body.constData());
        QVERIFY(!error.value(QStringLiteral("code")).toString().isEmpty());
    }
    if (!logLine.isEmpty())
        QVERIFY2(logged(QStringLiteral("refused ")) && logged(logLine), m_log.right(2000).constData());
    // The token never reaches the log.
    QVERIFY(!m_log.contains(m_token));
}

void tst_ApiCurl::slowClientGets408()
{
    // 20 KiB at 2 KiB/s: the request cannot be whole within the 1.5 s the server allows.
    const QString slow = m_dir.filePath(QStringLiteral("slow.json"));
    QFile f(slow);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"model\":\"default\",\"x\":\"" + QByteArray(20 * 1024, 'x') + "\"}");
    f.close();
    const Curl c = curl({QStringLiteral("-H"), QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_token),
                         QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"), QStringLiteral("-H"),
                         QStringLiteral("Expect:"), QStringLiteral("--limit-rate"), QStringLiteral("2k"),
                         QStringLiteral("--data-binary"), QLatin1Char('@') + slow, url(QStringLiteral("/v1/chat/completions"))});
    QCOMPARE(c.status, 408);
    QVERIFY(logged(QStringLiteral("408 request not complete within 1500 ms (slow client)")));
}

void tst_ApiCurl::connectionCapGives503()
{
    // Three streams hold the three connections the server allows.
    QList<HttpTestClient *> streams;
    for (int i = 0; i < 3; ++i) {
        auto *c = new HttpTestClient(m_port, QHostAddress::LocalHost, this);
        c->setToken(m_token);
        QVERIFY(c->connectToServer());
        c->send(c->request("POST", "/v1/chat/completions",
                           R"({"model":"default","stream":true,"messages":[{"role":"user","content":"[[words 100000]]"}]})"));
        QVERIFY(c->waitForHead(30000));
        QCOMPARE(c->reply().status, 200);
        streams.append(c);
    }
    const QStringList args{QStringLiteral("-H"), QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_token),
                           url(QStringLiteral("/v1/models"))};
    const Curl refused = curl(args);
    QCOMPARE(refused.status, 503);
    QVERIFY(refused.headers.contains("retry-after: 1"));
    QVERIFY(logged(QStringLiteral("503 3 connections open (the cap)")));
    // The streams were not disturbed; when one ends, a new client gets in.
    for (HttpTestClient *c : std::as_const(streams))
        QVERIFY(!c->isClosed());
    streams.first()->socket()->abort();
    QVERIFY(QTest::qWaitFor([&] { return curl(args).status == 200; }, 30000));
    qDeleteAll(streams);
}

void tst_ApiCurl::secondServerSaysWhereTheFirstIs()
{
    const SpoolOutput second = runSpool(m_env, {QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0")});
    QCOMPARE(second.code, 5);
    QVERIFY2(second.err.contains(QStringLiteral("already served at %1").arg(url(QStringLiteral("/")))), qPrintable(second.err));
    QVERIFY(second.err.contains(QString::number(m_serve->processId())));
}

void tst_ApiCurl::ctrlCStopsCleanly()
{
    const QString info = m_dir.filePath(QStringLiteral("data/api.json"));
    QVERIFY(QFile::exists(info));
    ::kill(pid_t(m_serve->processId()), SIGINT);
    QVERIFY(waitForExit(m_serve, 30000));
    QCOMPARE(m_serve->exitStatus(), QProcess::NormalExit);
    QCOMPARE(m_serve->exitCode(), 0);
    QVERIFY(readJsonLine(m_serve, 1000).value(QStringLiteral("type")).toString() == QLatin1String("stopped"));
    QVERIFY(!QFile::exists(info));
    // The data folder is free again.
    QProcess *again = startSpool(m_env, {QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0"),
                                         QStringLiteral("--json")});
    m_processes.append(again);
    QCOMPARE(readJsonLine(again, 30000).value(QStringLiteral("type")).toString(), QStringLiteral("listening"));
    ::kill(pid_t(again->processId()), SIGTERM);
    QVERIFY(waitForExit(again, 30000));
    QCOMPARE(again->exitCode(), 0);
}

QTEST_GUILESS_MAIN(tst_ApiCurl)
#include "tst_apicurl.moc"
