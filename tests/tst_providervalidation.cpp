#include "fakeproviderserver.h"
#include "openairequestvalidator.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTest>

using Spool::Test::FakeProviderServer;

// The fake servers' validation is what the provider tests lean on: every request Spool sends
// there must pass it. This suite proves the validation can fail: one body per rule that breaks
// just that rule, sent over HTTP, must get the API's own 400 body; and bodies the real APIs
// take must still get the scripted reply.
class tst_ProviderValidation : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void openAi_data();
    void openAi();
    void anthropic_data();
    void anthropic();
};

namespace {

struct Reply
{
    int status = 0;
    QJsonObject body;
};

Reply post(FakeProviderServer &server, const QString &path, const QByteArray &body)
{
    QNetworkAccessManager network;
    QNetworkRequest request(QUrl(server.baseUrl(path)));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = network.post(request, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    Reply out;
    if (!finished.wait(10000))
        return out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.body = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return out;
}

QStringList keys(const QJsonObject &o)
{
    QStringList k = o.keys();
    k.sort();
    return k;
}

const QJsonObject kScripted{{QStringLiteral("status"), 200},
                            {QStringLiteral("body"), QJsonObject{{QStringLiteral("scripted"), true}}}};

} // namespace

void tst_ProviderValidation::initTestCase()
{
    // Without the schema every OpenAI request would be refused, which proves nothing.
    QCOMPARE(Spool::Test::OpenAiRequestValidator::schemaProblem(), QString());
}

void tst_ProviderValidation::openAi_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message"); // a part of the error message; empty: accepted
    QTest::addColumn<QString>("param");   // the field the error names

    const QByteArray user = R"({"role":"user","content":"What time is it?"})";
    const QByteArray call = R"({"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"clock","arguments":"{}"}}]})";
    const QByteArray answer = R"({"role":"tool","tool_call_id":"call_1","content":"12:00"})";
    const QByteArray tool = R"({"type":"function","function":{"name":"clock","description":"time","parameters":{"type":"object","properties":{}}}})";
    auto body = [](const QByteArray &messages, const QByteArray &extra = QByteArray()) -> QByteArray {
        return QByteArray(R"({"model":"gpt-test","stream":true,"stream_options":{"include_usage":true},"messages":[)")
                + messages + ']' + extra + '}';
    };

    // Accepted, as the real API accepts them.
    QTest::newRow("plain") << body(user) << QString() << QString();
    QTest::newRow("tool round trip") << body(user + ',' + call + ',' + answer, ",\"tools\":[" + tool + "],\"tool_choice\":\"auto\"")
                                     << QString() << QString();
    QTest::newRow("parallel calls answered in any order")
            << body(user + R"(,{"role":"assistant","content":"Both.","tool_calls":[{"id":"a","type":"function","function":{"name":"clock","arguments":"{}"}},{"id":"b","type":"function","function":{"name":"echo","arguments":"{}"}}]},{"role":"tool","tool_call_id":"b","content":"x"},{"role":"tool","tool_call_id":"a","content":"y"},{"role":"user","content":"Thanks"})")
            << QString() << QString();
    QTest::newRow("nullable max_tokens") << body(user, ",\"max_tokens\":null") << QString() << QString();

    // CreateChatCompletionRequest, checked by valijson.
    QTest::newRow("schema: no messages") << QByteArray(R"({"model":"gpt-test"})") << "messages" << QString();
    QTest::newRow("schema: empty messages") << body(QByteArray()) << "Invalid 'messages'" << "messages";
    QTest::newRow("schema: unknown role") << body(R"({"role":"robot","content":"x"})") << "Invalid 'messages[0]" << "messages[0]";
    QTest::newRow("schema: tool message without id") << body(user + ',' + call + R"(,{"role":"tool","content":"12:00"})")
                                                     << "tool_call_id" << "messages[2]";
    QTest::newRow("schema: temperature above 2") << body(user, ",\"temperature\":5") << "temperature" << "temperature";
    QTest::newRow("schema: tool of an unknown type") << body(user, R"(,"tools":[{"type":"func","function":{"name":"clock"}}])")
                                                     << "tools[0]" << "tools[0]";
    QTest::newRow("schema: content a number") << body(R"({"role":"user","content":42})") << "messages[0]" << "messages[0]";
    QTest::newRow("schema: stream not a boolean") << body(user).replace("\"stream\":true", "\"stream\":\"yes\"")
                                                  << "stream" << "stream";
    QTest::newRow("not JSON") << QByteArray("{\"model\": ") << "could not parse the JSON body" << QString();

    // Rules stated in prose or enforced by the API beyond the schema.
    QTest::newRow("function name with a dot") << body(user, R"(,"tools":[{"type":"function","function":{"name":"fs.read"}}])")
                                              << "does not match pattern" << "tools[0].function.name";
    QTest::newRow("function name of 65 characters")
            << body(user, ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"" + QByteArray(65, 'a') + "\"}}]")
            << "maximum length 64" << "tools[0].function.name";
    QTest::newRow("history call name with a slash")
            << body(user + R"(,{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"fs/read","arguments":"{}"}}]},)" + answer)
            << "does not match pattern" << "messages[1].tool_calls[0].function.name";
    QTest::newRow("tool_choice name with a space")
            << body(user, ",\"tools\":[" + tool + R"(],"tool_choice":{"type":"function","function":{"name":"the clock"}})")
            << "does not match pattern" << "tool_choice.function.name";
    const QByteArray longId(41, 'c');
    QTest::newRow("call id of 41 characters")
            << body(user + R"(,{"role":"assistant","content":null,"tool_calls":[{"id":")" + longId
                    + R"(","type":"function","function":{"name":"clock","arguments":"{}"}}]},{"role":"tool","tool_call_id":")"
                    + longId + R"(","content":"x"})")
            << "maximum length 40" << "messages[1].tool_calls[0].id";
    QTest::newRow("tool message without a call") << body(user + ',' + answer) << "must be a response" << "messages.[1].role";
    QTest::newRow("tool message answering an older call")
            << body(user + ',' + call + ',' + answer + ",{\"role\":\"user\",\"content\":\"again\"}," + answer)
            << "must be a response" << "messages.[4].role";
    QTest::newRow("call unanswered before the next message")
            << body(user + ',' + call + ",{\"role\":\"user\",\"content\":\"never mind\"}")
            << "did not have response messages: call_1" << "messages.[1].role";
    QTest::newRow("call unanswered at the end") << body(user + ',' + call) << "did not have response messages: call_1"
                                                << "messages.[1].role";
    QTest::newRow("one of two parallel calls unanswered")
            << body(user + R"(,{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"clock","arguments":"{}"}},{"id":"b","type":"function","function":{"name":"clock","arguments":"{}"}}]},{"role":"tool","tool_call_id":"a","content":"x"},{"role":"user","content":"go on"})")
            << "did not have response messages: b" << "messages.[1].role";
}

void tst_ProviderValidation::openAi()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    QFETCH(QString, param);
    FakeProviderServer server;
    QVERIFY(server.listen());
    server.setResponses({kScripted});
    const Reply reply = post(server, QStringLiteral("/v1/chat/completions"), body);
    if (message.isEmpty()) {
        QVERIFY2(server.rejections().isEmpty(), qPrintable(server.rejections().join(QLatin1Char('\n'))));
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.body.value(QStringLiteral("scripted")).toBool(), true);
        return;
    }
    QCOMPARE(reply.status, 400);
    QCOMPARE(server.rejections().size(), 1);
    // The real API's shape: {"error": {"message", "type", "param", "code"}}, nothing else.
    QCOMPARE(keys(reply.body), QStringList{QStringLiteral("error")});
    const QJsonObject error = reply.body.value(QStringLiteral("error")).toObject();
    QCOMPARE(keys(error), (QStringList{"code", "message", "param", "type"}));
    QCOMPARE(error.value(QStringLiteral("type")).toString(), QStringLiteral("invalid_request_error"));
    QVERIFY2(error.value(QStringLiteral("message")).toString().contains(message),
             qPrintable(error.value(QStringLiteral("message")).toString()));
    if (!param.isEmpty())
        QVERIFY2(error.value(QStringLiteral("param")).toString().startsWith(param),
                 qPrintable(error.value(QStringLiteral("param")).toString()));
}

void tst_ProviderValidation::anthropic_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("message"); // a part of the error message; empty: accepted

    const QByteArray user = R"({"role":"user","content":"What time is it?"})";
    const QByteArray use = R"({"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"clock","input":{}}]})";
    const QByteArray result = R"({"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"12:00"}]})";
    const QByteArray tool = R"({"name":"clock","description":"time","input_schema":{"type":"object","properties":{}}})";
    auto body = [](const QByteArray &messages, const QByteArray &extra = QByteArray()) -> QByteArray {
        return QByteArray(R"({"model":"claude-test","max_tokens":1024,"stream":true,"system":"Be brief.","messages":[)")
                + messages + ']' + extra + '}';
    };

    // Accepted, as the real API accepts them.
    QTest::newRow("plain") << body(user) << QString();
    QTest::newRow("tool round trip") << body(user + ',' + use + ',' + result, ",\"tools\":[" + tool + R"(],"tool_choice":{"type":"auto"})")
                                     << QString();
    QTest::newRow("text after the tool results")
            << body(user + ',' + use + R"(,{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"12:00","is_error":true},{"type":"text","text":"Thanks."}]})")
            << QString();
    QTest::newRow("consecutive user messages are one turn")
            << body(user + ",{\"role\":\"user\",\"content\":\"And the date?\"}") << QString();

    // Required fields and types.
    QTest::newRow("no model") << QByteArray(R"({"max_tokens":10,"messages":[{"role":"user","content":"x"}]})") << "model: Field required";
    QTest::newRow("no max_tokens") << QByteArray(R"({"model":"m","messages":[{"role":"user","content":"x"}]})") << "max_tokens: Field required";
    QTest::newRow("max_tokens 0") << QByteArray(R"({"model":"m","max_tokens":0,"messages":[{"role":"user","content":"x"}]})")
                                  << "greater than or equal to 1";
    QTest::newRow("no messages") << QByteArray(R"({"model":"m","max_tokens":10,"messages":[]})") << "at least one message";
    QTest::newRow("temperature above 1") << body(user, ",\"temperature\":1.5") << "temperature: Input should be less than or equal to 1";
    QTest::newRow("not JSON") << QByteArray("{\"model\":") << "not valid JSON";

    // Roles: user and assistant only, the system prompt at the top level; the user first.
    QTest::newRow("system role") << body(R"({"role":"system","content":"Be brief."},)" + user)
                                 << "messages.0.role: Input should be 'user' or 'assistant'";
    QTest::newRow("assistant first") << body(R"({"role":"assistant","content":"Hi."},)" + user) << "first message";

    // Tools.
    QTest::newRow("tool name with a dot") << body(user, R"(,"tools":[{"name":"fs.read","input_schema":{"type":"object"}}])")
                                          << "tools.0.custom.name: String should match pattern";
    QTest::newRow("tool name of 65 characters")
            << body(user, ",\"tools\":[{\"name\":\"" + QByteArray(65, 'a') + R"(","input_schema":{"type":"object"}}])")
            << "tools.0.custom.name: String should match pattern";
    QTest::newRow("input_schema not an object type") << body(user, R"(,"tools":[{"name":"clock","input_schema":{"type":"array"}}])")
                                                     << "input_schema.type: Input should be 'object'";
    QTest::newRow("no input_schema") << body(user, R"(,"tools":[{"name":"clock"}])") << "input_schema: Field required";
    QTest::newRow("tool_use name with a slash")
            << body(user + R"(,{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"fs/read","input":{}}]},)" + result)
            << "tool_use.name: String should match pattern";
    QTest::newRow("tool_use id with a dot")
            << body(user + R"(,{"role":"assistant","content":[{"type":"tool_use","id":"functions.clock:0","name":"clock","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"functions.clock:0","content":"x"}]})")
            << "tool_use.id: String should match pattern";
    QTest::newRow("tool_use ids not unique")
            << body(user + ',' + use + ',' + result + ',' + use + ',' + result) << "`tool_use` ids must be unique";
    QTest::newRow("tool_use in a user message")
            << body(R"({"role":"user","content":[{"type":"tool_use","id":"toolu_1","name":"clock","input":{}}]})")
            << "only be in assistant messages";

    // Every tool_use answered by a tool_result in the next message, first; no result without
    // its call.
    QTest::newRow("tool_use answered by text") << body(user + ',' + use + ",{\"role\":\"user\",\"content\":\"never mind\"}")
                                               << "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_1";
    QTest::newRow("tool_use last") << body(user + ',' + use) << "`tool_use` ids were found without `tool_result` blocks";
    QTest::newRow("tool_result after text")
            << body(user + ',' + use + R"(,{"role":"user","content":[{"type":"text","text":"Here:"},{"type":"tool_result","tool_use_id":"toolu_1","content":"x"}]})")
            << "`tool_use` ids were found without `tool_result` blocks";
    QTest::newRow("tool_result without its tool_use") << body(user + R"(,{"role":"assistant","content":"Hm."},)" + result)
                                                      << "unexpected `tool_use_id` found in `tool_result` blocks: toolu_1";
    QTest::newRow("tool_result a turn too late")
            << body(user + ',' + use + ',' + result + R"(,{"role":"assistant","content":"Noon."},)" + result)
            << "unexpected `tool_use_id`";

    // Content that is there.
    QTest::newRow("empty text block") << body(R"({"role":"user","content":[{"type":"text","text":""}]})")
                                      << "text content blocks must be non-empty";
    QTest::newRow("whitespace text block") << body(R"({"role":"user","content":[{"type":"text","text":" \n"}]})")
                                           << "non-whitespace text";
    QTest::newRow("empty content list") << body(user + R"(,{"role":"assistant","content":[]},)" + user)
                                        << "all messages must have non-empty content";
    QTest::newRow("empty content string") << body(R"({"role":"user","content":""})") << "all messages must have non-empty content";
    QTest::newRow("unknown block type") << body(R"({"role":"user","content":[{"type":"txt","text":"x"}]})") << "Input tag 'txt'";
}

void tst_ProviderValidation::anthropic()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, message);
    FakeProviderServer server;
    QVERIFY(server.listen());
    server.setResponses({kScripted});
    const Reply reply = post(server, QStringLiteral("/v1/messages"), body);
    if (message.isEmpty()) {
        QVERIFY2(server.rejections().isEmpty(), qPrintable(server.rejections().join(QLatin1Char('\n'))));
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.body.value(QStringLiteral("scripted")).toBool(), true);
        return;
    }
    QCOMPARE(reply.status, 400);
    QCOMPARE(server.rejections().size(), 1);
    // The real API's shape: {"type": "error", "error": {"type", "message"}}, nothing else.
    QCOMPARE(keys(reply.body), (QStringList{"error", "type"}));
    QCOMPARE(reply.body.value(QStringLiteral("type")).toString(), QStringLiteral("error"));
    const QJsonObject error = reply.body.value(QStringLiteral("error")).toObject();
    QCOMPARE(keys(error), (QStringList{"message", "type"}));
    QCOMPARE(error.value(QStringLiteral("type")).toString(), QStringLiteral("invalid_request_error"));
    QVERIFY2(error.value(QStringLiteral("message")).toString().contains(message),
             qPrintable(error.value(QStringLiteral("message")).toString()));
}

QTEST_GUILESS_MAIN(tst_ProviderValidation)
#include "tst_providervalidation.moc"
