#include "providers/providerfailure.h"
#include "providers/retrypolicy.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <QTimeZone>

using namespace Spool;

// The retry layer's decisions, table by table: how long a server asks Spool to wait, how the
// backoff grows, which answers are retried, and which error class a user sees for the bodies
// OpenAI, Anthropic and local servers really send.
class tst_ProviderRetry : public QObject
{
    Q_OBJECT
private slots:
    void retryAfter_data();
    void retryAfter();
    void backoff();
    void serverDelayCap();
    void retryableStatus_data();
    void retryableStatus();
    void httpClass_data();
    void httpClass();
    void streamClass_data();
    void streamClass();
    void scrub();
};

namespace {
const QDateTime kNow(QDate(2026, 11, 25), QTime(12, 0, 0), QTimeZone::utc());
}

void tst_ProviderRetry::retryAfter_data()
{
    QTest::addColumn<QByteArray>("retryAfter");
    QTest::addColumn<QByteArray>("retryAfterMs");
    QTest::addColumn<qint64>("expected"); // -1: no usable hint

    QTest::newRow("seconds") << QByteArray("1") << QByteArray() << qint64(1000);
    QTest::newRow("zero") << QByteArray("0") << QByteArray() << qint64(0);
    QTest::newRow("spaces") << QByteArray("  7 ") << QByteArray() << qint64(7000);
    QTest::newRow("fractional seconds") << QByteArray("1.5") << QByteArray() << qint64(1500);
    QTest::newRow("milliseconds") << QByteArray() << QByteArray("250") << qint64(250);
    QTest::newRow("fractional milliseconds round up") << QByteArray() << QByteArray("12.3") << qint64(13);
    QTest::newRow("milliseconds win") << QByteArray("20") << QByteArray("250") << qint64(250);
    QTest::newRow("bad milliseconds fall back to seconds") << QByteArray("3") << QByteArray("soon")
                                                           << qint64(3000);
    QTest::newRow("IMF-fixdate") << QByteArray("Wed, 25 Nov 2026 12:00:30 GMT") << QByteArray()
                                 << qint64(30000);
    QTest::newRow("date in the past") << QByteArray("Wed, 25 Nov 2026 11:00:00 GMT") << QByteArray()
                                      << qint64(0);
    QTest::newRow("RFC 850 date") << QByteArray("Wednesday, 25-Nov-26 12:01:00 GMT") << QByteArray()
                                  << qint64(60000);
    QTest::newRow("asctime date") << QByteArray("Wed Nov 25 12:00:05 2026") << QByteArray()
                                  << qint64(5000);
    QTest::newRow("none") << QByteArray() << QByteArray() << qint64(-1);
    QTest::newRow("negative") << QByteArray("-1") << QByteArray() << qint64(-1);
    QTest::newRow("words") << QByteArray("in a moment") << QByteArray() << qint64(-1);
    QTest::newRow("units") << QByteArray("5s") << QByteArray() << qint64(-1);
    QTest::newRow("date without zone") << QByteArray("Wed, 25 Nov 2026 12:00:30") << QByteArray()
                                       << qint64(-1);
}

void tst_ProviderRetry::retryAfter()
{
    QFETCH(QByteArray, retryAfter);
    QFETCH(QByteArray, retryAfterMs);
    QFETCH(qint64, expected);
    const auto got = RetryPolicy::parseRetryAfter(retryAfter, retryAfterMs, kNow);
    QCOMPARE(got.value_or(-1), expected);
}

void tst_ProviderRetry::backoff()
{
    RetryPolicy p;
    p.baseDelayMs = 100;
    p.maxDelayMs = 1000;
    QCOMPARE(p.backoffMs(1, 1.0), qint64(100));
    QCOMPARE(p.backoffMs(1, 0.0), qint64(50)); // jitter keeps at least half
    QCOMPARE(p.backoffMs(2, 1.0), qint64(200));
    QCOMPARE(p.backoffMs(3, 1.0), qint64(400));
    QCOMPARE(p.backoffMs(5, 1.0), qint64(1000)); // capped
    QCOMPARE(p.backoffMs(60, 1.0), qint64(1000));
    for (int attempt = 1; attempt < 8; ++attempt) {
        for (double r : {0.0, 0.3, 0.7, 1.0}) {
            const qint64 d = p.backoffMs(attempt, r);
            QVERIFY(d >= qMin<qint64>(1000, 100LL << (attempt - 1)) / 2);
            QVERIFY(d <= 1000);
        }
    }
}

void tst_ProviderRetry::serverDelayCap()
{
    RetryPolicy p;
    p.maxServerDelayMs = 60000;
    QCOMPARE(p.delayMs(1, qint64(1000), 0.5), qint64(1000)); // the server's wait, exactly
    QCOMPARE(p.delayMs(1, qint64(60000), 0.5), qint64(60000));
    QCOMPARE(p.delayMs(1, qint64(60001), 0.5), qint64(-1)); // longer than Spool waits: give up
    QCOMPARE(p.delayMs(2, std::nullopt, 1.0), p.backoffMs(2, 1.0));
}

void tst_ProviderRetry::retryableStatus_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<bool>("retryable");
    for (int s : {408, 409, 429, 500, 502, 503, 504, 529})
        QTest::newRow(qPrintable(QString::number(s))) << s << true;
    for (int s : {200, 400, 401, 402, 403, 404, 413, 422})
        QTest::newRow(qPrintable(QString::number(s))) << s << false;
}

void tst_ProviderRetry::retryableStatus()
{
    QFETCH(int, status);
    QFETCH(bool, retryable);
    QCOMPARE(RetryPolicy::isRetryableStatus(status), retryable);
    if (status >= 400) {
        const ProviderError e = ProviderFailure::fromHttp(status, "{}");
        QCOMPARE(ProviderFailure::isRetryable(e), retryable);
    }
}

void tst_ProviderRetry::httpClass_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("errorClass");
    QTest::addColumn<QString>("inMessage");

    QTest::newRow("openai 401")
            << 401 << QByteArray(R"({"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","code":"invalid_api_key"}})")
            << "auth" << "Incorrect API key provided";
    QTest::newRow("anthropic 401")
            << 401 << QByteArray(R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})")
            << "auth" << "invalid x-api-key";
    QTest::newRow("403") << 403 << QByteArray(R"({"type":"error","error":{"type":"permission_error","message":"Your API key does not have permission to use the specified resource."}})")
                         << "permission" << "does not have permission";
    QTest::newRow("openai 429 rate limit")
            << 429 << QByteArray(R"({"error":{"message":"Rate limit reached for requests","type":"requests","code":"rate_limit_exceeded"}})")
            << "rate_limit" << "Rate limit reached";
    QTest::newRow("anthropic 429 rate limit")
            << 429 << QByteArray(R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}})")
            << "rate_limit" << "per-minute rate limit";
    QTest::newRow("openai 429 quota")
            << 429 << QByteArray(R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","code":"insufficient_quota"}})")
            << "quota" << "exceeded your current quota";
    QTest::newRow("402") << 402 << QByteArray(R"({"error":{"message":"Insufficient credits","code":402}})")
                         << "quota" << "Insufficient credits";
    QTest::newRow("anthropic billing in a 400")
            << 400 << QByteArray(R"({"type":"error","error":{"type":"billing_error","message":"Your credit balance is too low."}})")
            << "quota" << "credit balance";
    QTest::newRow("openai context length")
            << 400 << QByteArray(R"({"error":{"message":"This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})")
            << "context_too_long" << "maximum context length";
    QTest::newRow("anthropic prompt too long")
            << 400 << QByteArray(R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 212345 tokens > 200000 maximum"}})")
            << "context_too_long" << "prompt is too long";
    QTest::newRow("llama.cpp context size")
            << 400 << QByteArray(R"({"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}})")
            << "context_too_long" << "available context size";
    QTest::newRow("413") << 413 << QByteArray(R"({"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum allowed number of bytes."}})")
                         << "context_too_long" << "maximum allowed number of bytes";
    QTest::newRow("openai string too long in the content")
            << 400 << QByteArray(R"({"error":{"message":"Invalid 'messages[1].content': string too long. Expected a string with maximum length 10485760, but got a string with length 10485761 instead.","type":"invalid_request_error","param":"messages[1].content","code":"string_above_max_length"}})")
            << "context_too_long" << "messages[1].content";
    // A too-long tool name or call id is not the conversation being too long.
    QTest::newRow("openai call id too long")
            << 400 << QByteArray(R"({"error":{"message":"Invalid 'messages[2].tool_calls[0].id': string too long. Expected a string with maximum length 40, but got a string with length 46 instead.","type":"invalid_request_error","param":"messages[2].tool_calls[0].id","code":"string_above_max_length"}})")
            << "invalid_request" << "messages[2].tool_calls[0].id";
    QTest::newRow("openai function name pattern")
            << 400 << QByteArray(R"({"error":{"message":"Invalid 'tools[2].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.","type":"invalid_request_error","param":"tools[2].function.name","code":"invalid_value"}})")
            << "invalid_request" << "tools[2].function.name";
    QTest::newRow("400 other") << 400 << QByteArray(R"({"error":{"message":"Invalid value for 'temperature'.","type":"invalid_request_error"}})")
                               << "invalid_request" << "temperature";
    QTest::newRow("404 model") << 404 << QByteArray(R"({"error":{"message":"The model `gpt-9` does not exist","type":"invalid_request_error","code":"model_not_found"}})")
                               << "invalid_request" << "does not exist";
    QTest::newRow("ollama plain error") << 404 << QByteArray(R"({"error":"model \"llama9\" not found, try pulling it first"})")
                                        << "invalid_request" << "try pulling it first";
    QTest::newRow("408") << 408 << QByteArray() << "timeout" << "HTTP 408";
    QTest::newRow("500") << 500 << QByteArray(R"({"error":{"message":"The server had an error","type":"server_error"}})")
                         << "server" << "The server had an error";
    QTest::newRow("529 overloaded") << 529 << QByteArray(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})")
                                    << "server" << "Overloaded";
    QTest::newRow("502 from a proxy, HTML") << 502 << QByteArray("<html><body><h1>502 Bad Gateway</h1></body></html>")
                                            << "server" << "HTTP 502";
    QTest::newRow("503 plain text") << 503 << QByteArray("upstream connect error") << "server"
                                    << "upstream connect error";
}

void tst_ProviderRetry::httpClass()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, errorClass);
    QFETCH(QString, inMessage);
    const ProviderError e = ProviderFailure::fromHttp(status, body);
    QCOMPARE(providerErrorClassName(e.errorClass), errorClass);
    QCOMPARE(e.httpStatus, status);
    QVERIFY2(e.message.contains(inMessage), qPrintable(e.message));
    QVERIFY2(e.message.contains(QStringLiteral("HTTP %1").arg(status)), qPrintable(e.message));
    QVERIFY(!e.message.contains(QLatin1Char('<'))); // no HTML soup for the user
}

void tst_ProviderRetry::streamClass_data()
{
    QTest::addColumn<QByteArray>("event");
    QTest::addColumn<QString>("errorClass");
    QTest::addColumn<bool>("retryable");
    QTest::newRow("openai server_error")
            << QByteArray(R"({"error":{"message":"The server had an error","type":"server_error"}})") << "server" << true;
    QTest::newRow("anthropic overloaded")
            << QByteArray(R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})") << "server" << true;
    QTest::newRow("anthropic api_error")
            << QByteArray(R"({"type":"error","error":{"type":"api_error","message":"Internal server error"}})") << "server" << true;
    QTest::newRow("rate limit")
            << QByteArray(R"({"type":"error","error":{"type":"rate_limit_error","message":"slow down"}})") << "rate_limit" << true;
    QTest::newRow("context in a stream")
            << QByteArray(R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 1 tokens > 0 maximum"}})")
            << "context_too_long" << false;
    QTest::newRow("unknown type") << QByteArray(R"({"error":{"message":"something odd"}})") << "server" << true;
    QTest::newRow("plain string error") << QByteArray(R"({"error":"boom"})") << "server" << true;
}

void tst_ProviderRetry::streamClass()
{
    QFETCH(QByteArray, event);
    QFETCH(QString, errorClass);
    QFETCH(bool, retryable);
    const ProviderError e = ProviderFailure::fromStreamError(QJsonDocument::fromJson(event).object());
    QCOMPARE(providerErrorClassName(e.errorClass), errorClass);
    QCOMPARE(ProviderFailure::isRetryable(e), retryable);
    QVERIFY(!e.message.isEmpty());
}

void tst_ProviderRetry::scrub()
{
    const QString key = QStringLiteral("sk-live-abcdef123456");
    QCOMPARE(ProviderFailure::scrub(QStringLiteral("Incorrect API key provided: sk-live-abcdef123456."), key),
             QStringLiteral("Incorrect API key provided: [redacted]."));
    QCOMPARE(ProviderFailure::scrub(QStringLiteral("nothing here"), key), QStringLiteral("nothing here"));
    QCOMPARE(ProviderFailure::scrub(QStringLiteral("a b"), QStringLiteral("a")), QStringLiteral("a b"));
}

QTEST_GUILESS_MAIN(tst_ProviderRetry)
#include "tst_providerretry.moc"
