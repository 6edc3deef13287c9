// http.fetch against a real HTTP server on loopback that the test runs, inside a network
// namespace of the test's own where the kernel allows one: there, even a broken address check
// could not send a packet to 10.x or 169.254.x anywhere but into an empty namespace.

#include "tools/addresspolicy.h"
#include "tools/builtin/httpfetchtool.h"

#include <QCoreApplication>
#include <QProcess>
#include <QSignalSpy>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QStandardPaths>
#include <QUrlQuery>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace Spool;

Q_DECLARE_METATYPE(Spool::AddressPolicy::Class)

namespace {

QString g_isolation; // how the test is isolated from the real network, or why it is not

bool writeProc(const char *path, const QByteArray &data)
{
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const bool ok = ::write(fd, data.constData(), size_t(data.size())) == data.size();
    ::close(fd);
    return ok;
}

// Moves this (still single-threaded) process into a new, empty network namespace with only
// loopback up. Root can do that directly; others through a user namespace of their own.
bool enterPrivateNetwork()
{
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWNET) != 0) {
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
            g_isolation = QStringLiteral("no private network namespace: %1")
                                  .arg(QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        writeProc("/proc/self/setgroups", "deny");
        writeProc("/proc/self/uid_map", QByteArray::number(uid) + ' ' + QByteArray::number(uid) + " 1");
        writeProc("/proc/self/gid_map", QByteArray::number(gid) + ' ' + QByteArray::number(gid) + " 1");
    }
    const int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof ifr);
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    const bool up = s >= 0 && ::ioctl(s, SIOCGIFFLAGS, &ifr) == 0
            && (ifr.ifr_flags |= IFF_UP, ::ioctl(s, SIOCSIFFLAGS, &ifr) == 0);
    if (s >= 0)
        ::close(s);
    if (!up) {
        g_isolation = QStringLiteral("private network namespace without loopback");
        return false;
    }
    g_isolation = QStringLiteral("isolated");
    return true;
}

// A scripted HTTP/1.1 server: the path chooses the behaviour.
class TestServer : public QObject
{
public:
    struct Request
    {
        QByteArray method;
        QByteArray target;
        QByteArray host;
    };

    TestServer()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                ++connections;
                connect(s, &QTcpSocket::readyRead, this, [this, s] { onRead(s); });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }

    bool listen(const QHostAddress &address) { return m_server.listen(address); }
    quint16 port() const { return m_server.serverPort(); }
    QString url(const QString &path, const QString &host = QStringLiteral("127.0.0.1")) const
    {
        return QStringLiteral("http://%1:%2%3").arg(host).arg(port()).arg(path);
    }

    int connections = 0;
    QList<Request> requests;

private:
    void onRead(QTcpSocket *s)
    {
        QByteArray &buffer = m_buffers[s];
        buffer += s->readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        const QList<QByteArray> first = lines.first().trimmed().split(' ');
        Request r{first.value(0), first.value(1), QByteArray()};
        for (const QByteArray &l : lines) {
            if (l.toLower().startsWith("host:"))
                r.host = l.mid(5).trimmed();
        }
        requests << r;
        m_buffers.remove(s);
        respond(s, r);
    }

    static QByteArray response(const QByteArray &status, const QByteArray &headers,
                               const QByteArray &body)
    {
        return "HTTP/1.1 " + status + "\r\n" + headers + "Content-Length: "
                + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    }

    void respond(QTcpSocket *s, const Request &r)
    {
        const QByteArray path = r.target.split('?').first();
        if (path == "/text") {
            s->write(response("200 OK", "Content-Type: text/plain\r\n", "hello from the test server\n"));
        } else if (path == "/json") {
            s->write(response("200 OK", "Content-Type: application/ld+json\r\n", "{\"ok\": true}"));
        } else if (path == "/latin1") {
            s->write(response("200 OK", "Content-Type: text/plain; charset=ISO-8859-1\r\n", "caf\xe9"));
        } else if (path == "/big") {
            s->write(response("200 OK", "Content-Type: text/plain\r\n", QByteArray(10 * 1024 * 1024, 'b')));
        } else if (path == "/chunked") {
            s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "6\r\nhello \r\n8;ext=1\r\nchunked \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n");
            s->disconnectFromHost();
            return;
        } else if (path == "/endless") {
            // Streams chunks for as long as the client reads: only the client's cap ends it.
            s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
            auto *timer = new QTimer(s);
            connect(timer, &QTimer::timeout, s, [s] {
                if (s->bytesToWrite() < 1024 * 1024)
                    s->write("10000\r\n" + QByteArray(0x10000, 'e') + "\r\n");
            });
            timer->start(1);
            return;
        } else if (path == "/slow") {
            s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly a part");
            return; // and never the rest
        } else if (path == "/silent") {
            return;
        } else if (path.startsWith("/loop/")) {
            const int n = path.mid(6).toInt();
            s->write(response("302 Found", "Location: /loop/" + QByteArray::number(n + 1) + "\r\n", ""));
        } else if (path == "/redirect") {
            const QByteArray to = QByteArray::fromPercentEncoding(r.target.split('?').value(1).mid(3));
            s->write(response("307 Temporary Redirect", "Location: " + to + "\r\n", ""));
        } else if (path == "/image") {
            s->write(response("200 OK", "Content-Type: image/png\r\n", "\x89PNG\r\n\x1a\n"));
        } else if (path == "/noctype") {
            s->write(response("200 OK", "", "what am I"));
        } else if (path == "/gzip") {
            s->write(response("200 OK", "Content-Type: text/plain\r\nContent-Encoding: gzip\r\n", "\x1f\x8b"));
        } else if (path == "/hugeheaders") {
            s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Big: " + QByteArray(100000, 'h') + "\r\n\r\n");
        } else {
            s->write(response("404 Not Found", "Content-Type: text/plain\r\n", "not here\n"));
        }
        s->disconnectFromHost();
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

ToolResult fetch(HttpFetchTool &tool, const QJsonObject &arguments, int waitMs = 20000)
{
    ToolInvocation call;
    call.callId = QStringLiteral("c1");
    call.arguments = arguments;
    QObject parent;
    ToolJob *job = tool.start(call, &parent);
    QSignalSpy spy(job, &ToolJob::finished);
    if (!spy.wait(waitMs))
        return ToolResult::failure(QStringLiteral("<no result in time>"));
    return spy.first().first().value<ToolResult>();
}

ToolOptions allowing(const QStringList &networks)
{
    ToolOptions o;
    o.http.allowedNetworks = networks;
    return o;
}

} // namespace

class tst_HttpFetch : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();

    void classify_data();
    void classify();
    void refusedAddresses_data();
    void refusedAddresses();
    void allowedWhenConfigured();
    void keepsHostHeader();
    void sizeCap();
    void timeCap_data();
    void timeCap();
    void redirectCap();
    void redirectsAreCheckedAgain_data();
    void redirectsAreCheckedAgain();
    void contentTypes_data();
    void contentTypes();
    void chunkedAndHead();
    void httpsChecksTheNameNotTheAddress();
    void hostileArguments_data();
    void hostileArguments();
    void cancelStopsQuietly();

private:
    TestServer m_server;
    bool m_isolated = false;
};

void tst_HttpFetch::initTestCase()
{
    m_isolated = g_isolation == QLatin1String("isolated");
    qInfo("network: %s", qPrintable(g_isolation));
    QVERIFY(m_server.listen(QHostAddress::LocalHost));
}

void tst_HttpFetch::classify_data()
{
    QTest::addColumn<QString>("address");
    QTest::addColumn<AddressPolicy::Class>("expected");
    using C = AddressPolicy::Class;
    QTest::newRow("public v4") << "93.184.216.34" << C::Public;
    QTest::newRow("loopback") << "127.0.0.1" << C::Loopback;
    QTest::newRow("loopback range") << "127.255.0.9" << C::Loopback;
    QTest::newRow("10/8") << "10.1.2.3" << C::Private;
    QTest::newRow("172.16/12") << "172.31.255.1" << C::Private;
    QTest::newRow("172.32 is public") << "172.32.0.1" << C::Public;
    QTest::newRow("192.168/16") << "192.168.0.1" << C::Private;
    QTest::newRow("link-local") << "169.254.169.254" << C::LinkLocal;
    QTest::newRow("cgnat") << "100.64.0.1" << C::SharedCgnat;
    QTest::newRow("cgnat end") << "100.127.255.254" << C::SharedCgnat;
    QTest::newRow("100.128 is public") << "100.128.0.1" << C::Public;
    QTest::newRow("unspecified") << "0.0.0.0" << C::Unspecified;
    QTest::newRow("this network") << "0.1.2.3" << C::Unspecified;
    QTest::newRow("multicast") << "224.0.0.251" << C::Multicast;
    QTest::newRow("broadcast") << "255.255.255.255" << C::Broadcast;
    QTest::newRow("reserved") << "240.0.0.1" << C::Reserved;
    QTest::newRow("test-net") << "192.0.2.10" << C::Reserved;
    QTest::newRow("public v6") << "2606:2800:220:1:248:1893:25c8:1946" << C::Public;
    QTest::newRow("v6 loopback") << "::1" << C::Loopback;
    QTest::newRow("v6 unspecified") << "::" << C::Unspecified;
    QTest::newRow("v6 link-local") << "fe80::1" << C::LinkLocal;
    QTest::newRow("v6 ula") << "fd12:3456::1" << C::Private;
    QTest::newRow("v6 site-local") << "fec0::1" << C::Private;
    QTest::newRow("v6 multicast") << "ff02::1" << C::Multicast;
    QTest::newRow("v4-mapped loopback") << "::ffff:127.0.0.1" << C::Loopback;
    QTest::newRow("v4-mapped private") << "::ffff:10.0.0.1" << C::Private;
    QTest::newRow("v4-mapped metadata") << "::ffff:169.254.169.254" << C::LinkLocal;
    QTest::newRow("v4-mapped public") << "::ffff:93.184.216.34" << C::Public;
    QTest::newRow("v4-compatible") << "::127.0.0.1" << C::Loopback;
    QTest::newRow("nat64 private") << "64:ff9b::10.0.0.1" << C::Private;
    QTest::newRow("6to4 loopback") << "2002:7f00:1::" << C::Loopback;
    QTest::newRow("documentation") << "2001:db8::1" << C::Reserved;
}

void tst_HttpFetch::classify()
{
    QFETCH(QString, address);
    QFETCH(AddressPolicy::Class, expected);
    const QHostAddress a(address);
    QVERIFY2(!a.isNull(), qPrintable(address));
    QCOMPARE(AddressPolicy::classify(a), expected);
    const Status s = AddressPolicy().check(a);
    QCOMPARE(bool(s), expected == AddressPolicy::Class::Public);
    // Opening private networks never opens the nonsense ones.
    const Status open = AddressPolicy(true, {}).check(a);
    const bool openable = expected != AddressPolicy::Class::Unspecified
            && expected != AddressPolicy::Class::Multicast && expected != AddressPolicy::Class::Broadcast
            && expected != AddressPolicy::Class::Reserved;
    QCOMPARE(bool(open), openable);
}

void tst_HttpFetch::refusedAddresses_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<bool>("loopbackOnly"); // safe to try without a private namespace
    QTest::newRow("127.0.0.1") << "127.0.0.1" << "loopback" << true;
    QTest::newRow("127.8.9.10") << "127.8.9.10" << "loopback" << true;
    QTest::newRow("localhost") << "localhost" << "localhost resolves to" << true;
    QTest::newRow("[::1]") << "[::1]" << "loopback" << true;
    QTest::newRow("[::ffff:127.0.0.1]") << "[::ffff:127.0.0.1]" << "loopback" << true;
    QTest::newRow("0.0.0.0") << "0.0.0.0" << "unspecified" << true;
    QTest::newRow("decimal loopback") << "2130706433" << "loopback" << true;
    QTest::newRow("10.0.0.1") << "10.0.0.1" << "private" << false;
    QTest::newRow("192.168.1.1") << "192.168.1.1" << "private" << false;
    QTest::newRow("172.16.0.1") << "172.16.0.1" << "private" << false;
    QTest::newRow("metadata") << "169.254.169.254" << "link-local" << false;
    QTest::newRow("cgnat") << "100.64.0.1" << "CGNAT" << false;
    QTest::newRow("[fe80::1]") << "[fe80::1]" << "link-local" << false;
    QTest::newRow("[fd00::1]") << "[fd00::1]" << "private" << false;
    QTest::newRow("multicast") << "224.0.0.1" << "multicast" << false;
}

void tst_HttpFetch::refusedAddresses()
{
    QFETCH(QString, host);
    QFETCH(QString, reason);
    QFETCH(bool, loopbackOnly);
    if (!loopbackOnly && !m_isolated)
        QSKIP("not isolated from the real network: only the classification is tested for "
              "non-loopback addresses (see classify)");
    const int before = m_server.connections;
    HttpFetchTool tool{ToolOptions{}};
    const ToolResult r = fetch(tool, {{QStringLiteral("url"), m_server.url(QStringLiteral("/text"), host)}});
    QVERIFY(!r.ok);
    QVERIFY2(r.output.contains(QLatin1String("refused")), qPrintable(r.output));
    QVERIFY2(r.output.contains(reason), qPrintable(r.output));
    QVERIFY(!r.output.contains(QLatin1String("hello from the test server")));
    QTest::qWait(20);
    QCOMPARE(m_server.connections, before); // not even a connection was made
}

void tst_HttpFetch::allowedWhenConfigured()
{
    HttpFetchTool tool{allowing({QStringLiteral("127.0.0.1/32")})};
    const ToolResult r = fetch(tool, {{QStringLiteral("url"), m_server.url(QStringLiteral("/text"))}});
    QVERIFY2(r.ok, qPrintable(r.output));
    QCOMPARE(r.exitCode, -1);
    QCOMPARE(r.sandbox, QStringLiteral("none"));
    QVERIFY(r.output.startsWith(QLatin1String("HTTP 200 OK\nURL: http://127.0.0.1:")));
    QVERIFY(r.output.contains(QLatin1String("Content-Type: text/plain")));
    QVERIFY(r.output.endsWith(QLatin1String("\n\nhello from the test server\n")));
    // The allow-list is exact: 127.0.0.2 is still loopback and still refused.
    const ToolResult other = fetch(tool, {{QStringLiteral("url"), m_server.url(QStringLiteral("/text"), QStringLiteral("127.0.0.2"))}});
    QVERIFY(!other.ok);
    QVERIFY(other.output.contains(QLatin1String("refused")));
    ToolOptions all;
    all.http.allowPrivateAddresses = true;
    HttpFetchTool open{all};
    const ToolResult j = fetch(open, {{QStringLiteral("url"), m_server.url(QStringLiteral("/json"))}});
    QVERIFY2(j.ok, qPrintable(j.output));
    QVERIFY(j.output.endsWith(QLatin1String("{\"ok\": true}")));
    const ToolResult nf = fetch(open, {{QStringLiteral("url"), m_server.url(QStringLiteral("/missing"))}});
    QVERIFY(!nf.ok);
    QVERIFY(nf.output.startsWith(QLatin1String("HTTP 404 Not Found")));
    QVERIFY(nf.output.endsWith(QLatin1String("not here\n")));
}

void tst_HttpFetch::keepsHostHeader()
{
    // Connected to the address it checked, but the server still sees the name.
    ToolOptions o;
    o.http.allowPrivateAddresses = true;
    HttpFetchTool tool{o};
    const ToolResult r = fetch(tool, {{QStringLiteral("url"), m_server.url(QStringLiteral("/text?q=1"), QStringLiteral("localhost"))}});
    QVERIFY2(r.ok, qPrintable(r.output));
    QCOMPARE(m_server.requests.last().host, QStringLiteral("localhost:%1").arg(m_server.port()).toLatin1());
    QCOMPARE(m_server.requests.last().target, QByteArray("/text?q=1"));
    QCOMPARE(m_server.requests.last().method, QByteArray("GET"));
}

void tst_HttpFetch::sizeCap()
{
    ToolOptions o = allowing({QStringLiteral("127.0.0.1/32")});
    o.http.maxBytes = 100 * 1024;
    HttpFetchTool tool{o};
    const ToolResult big = fetch(tool, {{QStringLiteral("url"), m_server.url(QStringLiteral("/big"))},
                                        {QStringLiteral("max_bytes"), 1000}});
    QVERIFY2(big.ok, qPrintable(big.output.left(300)));
    QVERIFY(big.truncated);
    QVERIFY(big.output.contains(QString(1000, QLatin1Char('b')) + QStringLiteral("\n[download stopped at the 1000-byte cap")));
    QVERIFY(!big.output.contains(QString(1001, QLatin1Char('b'))));
    QVERIFY(big.output.contains(QLatin1String("Content-Length 10485760")));

    // A body with no length that never ends: only the cap (the settings' 100 KiB) ends it.
    const ToolResult endless = fetch(tool, {{QStringLiteral("url"), m_server.url(QStringLiteral("/endless"))},
                                            {QStringLiteral("max_bytes"), 50 * 1024 * 1024}});
    QVERIFY2(endless.ok, qPrintable(endless.output.left(300)));
    QVERIFY(endless.truncated);
    QVERIFY(endless.output.contains(QLatin1String("stopped at the 102400-byte cap")));
    QCOMPARE(endless.output.count(QLatin1Char('e')) - endless.output.section(QStringLiteral("\n\n"), 0, 0).count(QLatin1Char('e'))
                     - QStringLiteral("\n[download stopped at the 102400-byte cap; the response is larger]").count(QLatin1Char('e')),
             102400);
}

void tst_HttpFetch::timeCap_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("phase");
    QTest::newRow("no answer") << "/silent" << "waiting for";
    QTest::newRow("body stalls") << "/slow" << "reading the response";
}

void tst_HttpFetch::timeCap()
{
    QFETCH(QString, path);
    QFETCH(QString, phase);
    HttpFetchTool tool{allowing({QStringLiteral("127.0.0.1/32")})};
    QElapsedTimer clock;
    clock.start();
    const ToolResult r = fetch(tool, {{QStringLiteral("url"), m_server.url(path)},
                                      {QStringLiteral("timeout_ms"), 400}});
    const qint64 took = clock.elapsed();
    QVERIFY(!r.ok);
    QVERIFY2(r.output.contains(QLatin1String("timed out after 400 ms while ") + phase), qPrintable(r.output));
    // Not before the 400 ms, and the request's timeout rather than the settings' 30 s one
    // ended it (the upper bound only needs to tell the two apart, whatever the machine's load).
    QVERIFY2(took >= 390 && took < 15000, qPrintable(QString::number(took)));
    // The settings cap what the model asks for.
    ToolOptions o = allowing({QStringLiteral("127.0.0.1/32")});
    o.http.timeoutMs = 300;
    HttpFetchTool capped{o};
    const ToolResult c = fetch(capped, {{QStringLiteral("url"), m_server.url(path)},
                                        {QStringLiteral("timeout_ms"), 600000}});
    QVERIFY2(c.output.contains(QLatin1String("timed out after 300 ms")), qPrintable(c.output));
}

void tst_HttpFetch::redirectCap()
{
    ToolOptions o = allowing({QStringLiteral("127.0.0.1/32")});
    o.http.maxRedirects = 3;
    HttpFetchTool tool{o};
    const qsizetype before = m_server.requests.size();
    const ToolResult r = fetch(tool, {{QStringLiteral("url"), m_server.url(QStringLiteral("/loop/0"))}});
    QVERIFY(!r.ok);
    QVERIFY2(r.output.contains(QLatin1String("too many redirects: more than 3")), qPrintable(r.output));
    QCOMPARE(m_server.requests.size() - before, 4);
    QCOMPARE(m_server.requests.last().target, QByteArray("/loop/3"));

    o.http.maxRedirects = 5;
    HttpFetchTool enough{o};
    const ToolResult followed = fetch(enough, {{QStringLiteral("url"),
                                                m_server.url(QStringLiteral("/redirect?to=") + QString::fromLatin1(QUrl::toPercentEncoding(QStringLiteral("/text"))))}});
    QVERIFY2(followed.ok, qPrintable(followed.output));
    QVERIFY(followed.output.contains(QStringLiteral("URL: %1").arg(m_server.url(QStringLiteral("/text")))));
    QVERIFY(followed.output.contains(QLatin1String("Redirected from: ")));
}

void tst_HttpFetch::redirectsAreCheckedAgain_data()
{
    QTest::addColumn<QString>("target");
    QTest::addColumn<QString>("reason");
    QTest::addColumn<bool>("loopbackOnly");
    QTest::newRow("to other loopback") << "http://127.0.0.2:%1/text" << "loopback" << true;
    QTest::newRow("to localhost6") << "http://[::1]:%1/text" << "loopback" << true;
    QTest::newRow("to file") << "file:///etc/passwd" << "only http and https" << true;
    QTest::newRow("to credentials") << "http://user:pw@127.0.0.1:%1/text" << "user name or password" << true;
    QTest::newRow("to private") << "http://10.0.0.1/" << "private" << false;
    QTest::newRow("to metadata") << "http://169.254.169.254/latest/meta-data/" << "link-local" << false;
}

void tst_HttpFetch::redirectsAreCheckedAgain()
{
    QFETCH(QString, target);
    QFETCH(QString, reason);
    QFETCH(bool, loopbackOnly);
    if (!loopbackOnly && !m_isolated)
        QSKIP("not isolated from the real network");
    HttpFetchTool tool{allowing({QStringLiteral("127.0.0.1/32")})};
    const QString to = target.contains(QLatin1String("%1")) ? target.arg(m_server.port()) : target;
    const ToolResult r = fetch(tool, {{QStringLiteral("url"),
                                       m_server.url(QStringLiteral("/redirect?to=") + QString::fromLatin1(QUrl::toPercentEncoding(to)))}});
    QVERIFY(!r.ok);
    QVERIFY2(r.output.contains(reason), qPrintable(r.output));
    QVERIFY(!r.output.contains(QLatin1String("hello from the test server")));
}

void tst_HttpFetch::contentTypes_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QString>("expect");
    QTest::newRow("json suffix") << "/json" << true << "{\"ok\": true}";
    QTest::newRow("latin1") << "/latin1" << true << QStringLiteral("café");
    QTest::newRow("image") << "/image" << false << "content type image/png is not one http.fetch reads";
    QTest::newRow("none") << "/noctype" << false << "no content type";
    QTest::newRow("gzip") << "/gzip" << false << "gzip-encoded";
    QTest::newRow("huge headers") << "/hugeheaders" << false << "headers are larger than 65536 bytes";
}

void tst_HttpFetch::contentTypes()
{
    QFETCH(QString, path);
    QFETCH(bool, ok);
    QFETCH(QString, expect);
    HttpFetchTool tool{allowing({QStringLiteral("127.0.0.1/32")})};
    const ToolResult r = fetch(tool, {{QStringLiteral("url"), m_server.url(path)}});
    QCOMPARE(r.ok, ok);
    QVERIFY2(r.output.contains(expect), qPrintable(r.output.left(400)));
    QVERIFY(!r.output.contains(QLatin1String("PNG")));
    QVERIFY(HttpFetchTool::contentTypeAllowed(QStringLiteral("text/html"), ToolOptions::Http{}.allowedContentTypes));
    QVERIFY(HttpFetchTool::contentTypeAllowed(QStringLiteral("application/atom+xml"), ToolOptions::Http{}.allowedContentTypes));
    QVERIFY(!HttpFetchTool::contentTypeAllowed(QStringLiteral("application/octet-stream"), ToolOptions::Http{}.allowedContentTypes));
    QVERIFY(!HttpFetchTool::contentTypeAllowed(QStringLiteral("application/x-json-evil+zip"), ToolOptions::Http{}.allowedContentTypes));
}

void tst_HttpFetch::chunkedAndHead()
{
    HttpFetchTool tool{allowing({QStringLiteral("127.0.0.1/32")})};
    const ToolResult c = fetch(tool, {{QStringLiteral("url"), m_server.url(QStringLiteral("/chunked"))}});
    QVERIFY2(c.ok, qPrintable(c.output));
    QVERIFY2(c.output.endsWith(QLatin1String("\n\nhello chunked world")), qPrintable(c.output));
    const ToolResult h = fetch(tool, {{QStringLiteral("url"), m_server.url(QStringLiteral("/big"))},
                                      {QStringLiteral("method"), QStringLiteral("HEAD")}});
    QVERIFY2(h.ok, qPrintable(h.output.left(300)));
    QCOMPARE(m_server.requests.last().method, QByteArray("HEAD"));
    QVERIFY(h.output.contains(QLatin1String("content-length: 10485760")));
    QVERIFY(!h.output.contains(QLatin1String("bbbb")));
}

void tst_HttpFetch::httpsChecksTheNameNotTheAddress()
{
    // The tool connects to the address it checked but verifies the certificate against the
    // URL's host name (and sends it as SNI): a certificate for "localhost" is accepted for
    // https://localhost/ once trusted, and refused for https://127.0.0.1/.
    if (!QSslSocket::supportsSsl())
        QSKIP("no TLS backend");
    const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
    if (openssl.isEmpty())
        QSKIP("openssl is needed to make a test certificate");
    QTemporaryDir dir;
    QProcess gen;
    gen.start(openssl, {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                        QStringLiteral("ec"), QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:prime256v1"),
                        QStringLiteral("-nodes"), QStringLiteral("-days"), QStringLiteral("1"),
                        QStringLiteral("-subj"), QStringLiteral("/CN=localhost"),
                        QStringLiteral("-addext"), QStringLiteral("subjectAltName=DNS:localhost"),
                        QStringLiteral("-keyout"), dir.filePath(QStringLiteral("key.pem")),
                        QStringLiteral("-out"), dir.filePath(QStringLiteral("cert.pem"))});
    QVERIFY(gen.waitForFinished(30000));
    QCOMPARE(gen.exitCode(), 0);
    const auto certs = QSslCertificate::fromPath(dir.filePath(QStringLiteral("cert.pem")));
    QCOMPARE(certs.size(), 1);
    QFile keyFile(dir.filePath(QStringLiteral("key.pem")));
    QVERIFY(keyFile.open(QIODevice::ReadOnly));
    const QSslKey key(&keyFile, QSsl::Ec);
    QVERIFY(!key.isNull());

    QSslServer server;
    QSslConfiguration serverConf = QSslConfiguration::defaultConfiguration();
    serverConf.setLocalCertificate(certs.first());
    serverConf.setPrivateKey(key);
    server.setSslConfiguration(serverConf);
    connect(&server, &QTcpServer::pendingConnectionAvailable, &server, [&] {
        while (auto *s = qobject_cast<QSslSocket *>(server.nextPendingConnection())) {
            connect(s, &QSslSocket::readyRead, s, [s] {
                if (!s->readAll().contains("\r\n\r\n"))
                    return;
                s->write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n"
                         "Connection: close\r\n\r\nsecret");
                s->disconnectFromHost();
            });
            connect(s, &QSslSocket::disconnected, s, &QObject::deleteLater);
        }
    });
    QVERIFY(server.listen(QHostAddress::LocalHost));
    const QString byName = QStringLiteral("https://localhost:%1/").arg(server.serverPort());
    const QString byAddress = QStringLiteral("https://127.0.0.1:%1/").arg(server.serverPort());
    ToolOptions o;
    o.http.allowPrivateAddresses = true;
    HttpFetchTool tool{o};

    const ToolResult untrusted = fetch(tool, {{QStringLiteral("url"), byName}});
    QVERIFY(!untrusted.ok);
    QVERIFY2(untrusted.output.contains(QLatin1String("is not trusted")), qPrintable(untrusted.output));
    QVERIFY(!untrusted.output.contains(QLatin1String("secret")));

    const QSslConfiguration saved = QSslConfiguration::defaultConfiguration();
    QSslConfiguration trusting = saved;
    trusting.addCaCertificates(certs);
    QSslConfiguration::setDefaultConfiguration(trusting);
    auto restore = qScopeGuard([&] { QSslConfiguration::setDefaultConfiguration(saved); });
    const ToolResult trusted = fetch(tool, {{QStringLiteral("url"), byName}});
    QVERIFY2(trusted.ok, qPrintable(trusted.output));
    QVERIFY(trusted.output.endsWith(QLatin1String("\n\nsecret")));
    const ToolResult wrongName = fetch(tool, {{QStringLiteral("url"), byAddress}});
    QVERIFY(!wrongName.ok);
    QVERIFY2(wrongName.output.contains(QLatin1String("is not trusted")), qPrintable(wrongName.output));
}

void tst_HttpFetch::hostileArguments_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("expect");
    QTest::newRow("ftp") << "ftp://example.org/x" << "only http and https";
    QTest::newRow("file") << "file:///etc/passwd" << "only http and https";
    QTest::newRow("javascript") << "javascript:alert(1)" << "only http and https";
    QTest::newRow("relative") << "/etc/passwd" << "not a valid absolute URL";
    QTest::newRow("words") << "not a url" << "not a valid absolute URL";
    QTest::newRow("no host") << "http:///path" << "has no host";
    QTest::newRow("credentials") << "http://user:secret@127.0.0.1/" << "user name or password";
    QTest::newRow("nul") << QStringLiteral("http://127.0.0.1/a") + QChar(0) + QStringLiteral("b") << "NUL";
    QTest::newRow("huge") << QStringLiteral("http://a.example/") + QString(20000, QLatin1Char('x')) << "the limit is 8192";
    QTest::newRow("port zero") << "http://127.0.0.1:0/" << "port 0";
    QTest::newRow("bad port") << "http://127.0.0.1:99999/" << "not a valid absolute URL";
}

void tst_HttpFetch::hostileArguments()
{
    QFETCH(QString, url);
    QFETCH(QString, expect);
    HttpFetchTool tool{ToolOptions{}};
    const ToolResult r = fetch(tool, {{QStringLiteral("url"), url}});
    QVERIFY(!r.ok);
    QVERIFY2(r.output.contains(expect), qPrintable(r.output));
    QVERIFY(r.output.size() < 600); // a huge argument is not echoed back whole
    ToolInvocation call;
    call.arguments = {{QStringLiteral("url"), url}};
    QCOMPARE(tool.approvalPreview(call).value(QStringLiteral("kind")).toString(), QStringLiteral("error"));
}

void tst_HttpFetch::cancelStopsQuietly()
{
    HttpFetchTool tool{allowing({QStringLiteral("127.0.0.1/32")})};
    ToolInvocation call;
    call.arguments = {{QStringLiteral("url"), m_server.url(QStringLiteral("/silent"))}};
    const qsizetype before = m_server.requests.size();
    QObject parent;
    ToolJob *job = tool.start(call, &parent);
    QSignalSpy spy(job, &ToolJob::finished);
    // Cancelled once the server holds the request, never answering it.
    QTRY_VERIFY_WITH_TIMEOUT(m_server.requests.size() > before, 10000);
    job->cancel();
    QTest::qWait(200);
    QCOMPARE(spy.count(), 0);
}

int main(int argc, char **argv)
{
    // Before QCoreApplication: entering a user namespace needs a single-threaded process.
    enterPrivateNetwork();
    QCoreApplication app(argc, argv);
    tst_HttpFetch test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_httpfetch.moc"
