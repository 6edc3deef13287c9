#include "api/apiaccesspolicy.h"
#include "api/apirequest.h"
#include "api/apisettings.h"
#include "api/apitoken.h"
#include "api/conversationindex.h"

#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace Spool;

using Headers = QList<QPair<QByteArray, QByteArray>>;

// The local API's access rules and its token, without a server: every row is one request a
// browser, a rebinding attack or a careless script could send.
class tst_ApiAccess : public QObject
{
    Q_OBJECT
private slots:
    void init();

    void tokenFileIsPrivate();
    void tokenRegeneratedElsewhereTakesEffect();
    void tokenGoneRefusesEverything();
    void constantTimeEquals_data();
    void constantTimeEquals();
    void rules_data();
    void rules();
    void bodies_data();
    void bodies();
    void preflight();
    void origins_data();
    void origins();
    void conversationIsContinuedOnce();

private:
    ApiRequest request(const QList<QPair<QByteArray, QByteArray>> &headers) const;

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<ApiToken> m_token;
};

void tst_ApiAccess::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_token = std::make_unique<ApiToken>(m_dir->filePath(QStringLiteral("data")));
    QVERIFY(m_token->load());
}

ApiRequest tst_ApiAccess::request(const QList<QPair<QByteArray, QByteArray>> &headers) const
{
    ApiRequest r;
    r.method = "GET";
    r.path = QStringLiteral("/v1/models");
    for (const auto &[name, value] : headers)
        r.headers.append({name.toLower(), value});
    return r;
}

void tst_ApiAccess::tokenFileIsPrivate()
{
    struct stat st {};
    QCOMPARE(::stat(QFile::encodeName(m_token->path()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0600u);
    const QByteArray token = m_token->value();
    QVERIFY(token.startsWith("spool-"));
    QVERIFY(token.size() >= 6 + 43); // 256 random bits
    // A second load keeps it; a regeneration changes it, still private.
    ApiToken again(m_dir->filePath(QStringLiteral("data")));
    QVERIFY(again.load());
    QCOMPARE(again.value(), token);
    QVERIFY(again.regenerate());
    QVERIFY(again.value() != token);
    QCOMPARE(::stat(QFile::encodeName(m_token->path()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0600u);

    // A token file others could read is tightened when loaded.
    QVERIFY(::chmod(QFile::encodeName(m_token->path()).constData(), 0644) == 0);
    ApiToken loose(m_dir->filePath(QStringLiteral("data")));
    QVERIFY(loose.load());
    QCOMPARE(::stat(QFile::encodeName(m_token->path()).constData(), &st), 0);
    QCOMPARE(st.st_mode & 0777, 0600u);
}

void tst_ApiAccess::tokenRegeneratedElsewhereTakesEffect()
{
    const QByteArray old = m_token->value();
    QVERIFY(m_token->matches(old));
    ApiToken window(m_dir->filePath(QStringLiteral("data"))); // another process, same file
    QVERIFY(window.load());
    QVERIFY(window.regenerate());
    QVERIFY(!m_token->matches(old));
    QVERIFY(m_token->matches(window.value()));
}

void tst_ApiAccess::tokenGoneRefusesEverything()
{
    const QByteArray old = m_token->value();
    QVERIFY(QFile::remove(m_token->path()));
    QVERIFY(!m_token->matches(old));
    QVERIFY(!m_token->matches(QByteArray()));
}

void tst_ApiAccess::constantTimeEquals_data()
{
    QTest::addColumn<QByteArray>("a");
    QTest::addColumn<QByteArray>("b");
    QTest::addColumn<bool>("equal");
    QTest::newRow("same") << QByteArray("spool-abc") << QByteArray("spool-abc") << true;
    QTest::newRow("last byte") << QByteArray("spool-abc") << QByteArray("spool-abd") << false;
    QTest::newRow("prefix") << QByteArray("spool-ab") << QByteArray("spool-abc") << false;
    QTest::newRow("empty") << QByteArray() << QByteArray("spool-abc") << false;
    QTest::newRow("both empty") << QByteArray() << QByteArray() << true;
}

void tst_ApiAccess::constantTimeEquals()
{
    QFETCH(QByteArray, a);
    QFETCH(QByteArray, b);
    QFETCH(bool, equal);
    QCOMPARE(ApiToken::constantTimeEquals(a, b), equal);
}

void tst_ApiAccess::rules_data()
{
    QTest::addColumn<Headers>("headers");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("reason");
    using H = QList<QPair<QByteArray, QByteArray>>;
    const QByteArray good = "TOKEN";
    QTest::newRow("ok 127.0.0.1") << H{{"Host", "127.0.0.1:8642"}, {"Authorization", "Bearer TOKEN"}} << 0 << "";
    QTest::newRow("ok localhost") << H{{"Host", "localhost:8642"}, {"Authorization", "Bearer TOKEN"}} << 0 << "";
    QTest::newRow("ok [::1]") << H{{"Host", "[::1]:8642"}, {"Authorization", "bearer TOKEN"}} << 0 << "";
    QTest::newRow("rebinding") << H{{"Host", "attacker.example:8642"}, {"Authorization", "Bearer TOKEN"}} << 403 << "DNS rebinding";
    QTest::newRow("localhost. (trailing dot)") << H{{"Host", "localhost.:8642"}, {"Authorization", "Bearer TOKEN"}} << 403 << "Host";
    QTest::newRow("127.1") << H{{"Host", "127.1:8642"}, {"Authorization", "Bearer TOKEN"}} << 403 << "Host";
    QTest::newRow("0.0.0.0") << H{{"Host", "0.0.0.0:8642"}, {"Authorization", "Bearer TOKEN"}} << 403 << "Host";
    QTest::newRow("subdomain of localhost") << H{{"Host", "a.localhost:8642"}, {"Authorization", "Bearer TOKEN"}} << 403 << "Host";
    QTest::newRow("no port") << H{{"Host", "127.0.0.1"}, {"Authorization", "Bearer TOKEN"}} << 403 << "Host";
    QTest::newRow("wrong port") << H{{"Host", "127.0.0.1:80"}, {"Authorization", "Bearer TOKEN"}} << 403 << "Host";
    QTest::newRow("empty") << H{{"Host", ""}, {"Authorization", "Bearer TOKEN"}} << 403 << "Host";
    QTest::newRow("missing") << H{{"Authorization", "Bearer TOKEN"}} << 403 << "no Host";
    QTest::newRow("twice") << H{{"Host", "127.0.0.1:8642"}, {"Host", "127.0.0.1:8642"}, {"Authorization", "Bearer TOKEN"}} << 403 << "Host";
    QTest::newRow("origin not listed") << H{{"Host", "127.0.0.1:8642"}, {"Origin", "https://evil.example"}, {"Authorization", "Bearer TOKEN"}} << 403 << "origin";
    QTest::newRow("origin null") << H{{"Host", "127.0.0.1:8642"}, {"Origin", "null"}, {"Authorization", "Bearer TOKEN"}} << 403 << "origin";
    QTest::newRow("origin listed") << H{{"Host", "127.0.0.1:8642"}, {"Origin", "http://localhost:3000"}, {"Authorization", "Bearer TOKEN"}} << 0 << "";
    QTest::newRow("no token") << H{{"Host", "127.0.0.1:8642"}} << 401 << "no bearer token";
    QTest::newRow("wrong token") << H{{"Host", "127.0.0.1:8642"}, {"Authorization", "Bearer spool-nope"}} << 401 << "wrong bearer token";
    QTest::newRow("token without scheme") << H{{"Host", "127.0.0.1:8642"}, {"Authorization", "TOKEN"}} << 401 << "not one bearer token";
    QTest::newRow("two tokens") << H{{"Host", "127.0.0.1:8642"}, {"Authorization", "Bearer TOKEN"}, {"Authorization", "Bearer TOKEN"}} << 401 << "not one bearer token";
    QTest::newRow("host before token") << H{{"Host", "evil.example:8642"}} << 403 << "Host";
}

void tst_ApiAccess::rules()
{
    QFETCH(Headers, headers);
    QFETCH(int, status);
    QFETCH(QString, reason);
    for (auto &h : headers)
        h.second.replace("TOKEN", m_token->value());
    ApiAccessPolicy policy(*m_token);
    policy.setPort(8642);
    policy.setAllowedOrigins({QStringLiteral("http://localhost:3000")});
    QString why;
    const auto refusal = policy.check(request(headers), &why);
    QCOMPARE(refusal ? refusal->status : 0, status);
    if (refusal) {
        QVERIFY2(why.contains(reason), qPrintable(why));
        QVERIFY(!refusal->toJson().value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString().isEmpty());
        // Refusals never echo the token.
        QVERIFY(!why.contains(QString::fromLatin1(m_token->value())));
    }
}

void tst_ApiAccess::bodies_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::newRow("json") << QByteArray("application/json") << QByteArray("{}") << 0;
    QTest::newRow("json with charset") << QByteArray("application/json; charset=utf-8") << QByteArray("{\"a\":1}") << 0;
    QTest::newRow("no body") << QByteArray() << QByteArray() << 0;
    QTest::newRow("text/plain (a browser's simple request)") << QByteArray("text/plain") << QByteArray("{}") << 415;
    QTest::newRow("form") << QByteArray("application/x-www-form-urlencoded") << QByteArray("a=1") << 415;
    QTest::newRow("no type") << QByteArray() << QByteArray("{}") << 415;
    QTest::newRow("json-ish") << QByteArray("application/jsonp") << QByteArray("{}") << 415;
    QTest::newRow("broken json") << QByteArray("application/json") << QByteArray("{\"a\":") << 400;
    QTest::newRow("not an object") << QByteArray("application/json") << QByteArray("\"text\"") << 400;
}

void tst_ApiAccess::bodies()
{
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    ApiAccessPolicy policy(*m_token);
    ApiRequest r = request(contentType.isEmpty() ? QList<QPair<QByteArray, QByteArray>>{}
                                                 : QList<QPair<QByteArray, QByteArray>>{{"Content-Type", contentType}});
    r.method = "POST";
    r.body = body;
    QJsonObject parsed;
    QString why;
    const auto refusal = policy.checkBody(r, &parsed, &why);
    QCOMPARE(refusal ? refusal->status : 0, status);
}

void tst_ApiAccess::preflight()
{
    ApiAccessPolicy policy(*m_token);
    policy.setPort(8642);
    policy.setAllowedOrigins({QStringLiteral("http://localhost:3000/")});
    ApiRequest r = request({{"Host", "127.0.0.1:8642"}, {"Origin", "http://localhost:3000"},
                            {"Access-Control-Request-Method", "POST"}});
    r.method = "OPTIONS";
    QVERIFY(policy.isAllowedPreflight(r));
    r.headers[1].second = "http://localhost:3001";
    QVERIFY(!policy.isAllowedPreflight(r));
}

void tst_ApiAccess::origins_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("origin");
    QTest::newRow("plain") << "http://localhost:3000" << "http://localhost:3000";
    QTest::newRow("trailing slash") << "https://app.example.com/" << "https://app.example.com";
    QTest::newRow("default port") << "https://app.example.com:443" << "https://app.example.com";
    QTest::newRow("upper case") << "HTTP://LocalHost:8080" << "http://localhost:8080";
    QTest::newRow("ipv6") << "http://[::1]:5173" << "http://[::1]:5173";
    QTest::newRow("path") << "http://localhost:3000/app" << "";
    QTest::newRow("star") << "*" << "";
    QTest::newRow("null") << "null" << "";
    QTest::newRow("file") << "file:///tmp" << "";
    QTest::newRow("credentials") << "http://u:p@localhost" << "";
}

void tst_ApiAccess::origins()
{
    QFETCH(QString, text);
    QFETCH(QString, origin);
    QCOMPARE(ApiSettings::normalizeOrigin(text), origin);
}

void tst_ApiAccess::conversationIsContinuedOnce()
{
    ConversationIndex index;
    const QList<ChatMessage> conversation{ChatMessage::user(QStringLiteral("hi")),
                                          ChatMessage::assistant(QStringLiteral("Echo: hi"))};
    const QByteArray fp = ConversationIndex::fingerprint(QStringLiteral("default"), conversation);
    QVERIFY(fp != ConversationIndex::fingerprint(QStringLiteral("other"), conversation));
    QVERIFY(fp != ConversationIndex::fingerprint(QStringLiteral("default"),
                                                 {ChatMessage::user(QStringLiteral("hiEcho: hi"))}));
    index.remember(fp, {QStringLiteral("s1"), QStringLiteral("r1")});
    const auto entry = index.take(fp);
    QVERIFY(entry);
    QCOMPARE(entry->sessionId, QStringLiteral("s1"));
    QVERIFY(!index.take(fp)); // one continuation only
}

QTEST_GUILESS_MAIN(tst_ApiAccess)
#include "tst_apiaccess.moc"
