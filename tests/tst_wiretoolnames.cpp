#include "providers/wirerequest.h"
#include "providers/wiretoolnames.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <algorithm>

using namespace Spool;

// Tool names and call ids as the hosted APIs take them (issue 10): every wire name valid,
// each a pure function of its Spool name, readable where it can be, collision-free and
// reversible within a request; histories that keep the APIs' pairing rules.
class tst_WireToolNames : public QObject
{
    Q_OBJECT
private slots:
    void wireName_data();
    void wireName();
    void everyNameGoesOnTheWire_data();
    void everyNameGoesOnTheWire();
    void sameNameSameWireNameInAnyRequest();
    void collisionsStayReversible_data();
    void collisionsStayReversible();
    void decodeOnlyOfferedNames();
    void requestUsesWireNamesEverywhere();
    void callIdsFitAndStayUnique();
    void historyKeepsThePairingRules();
    void responseIsDecoded();
};

namespace {

bool valid(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[a-zA-Z0-9_-]{1,64}$"));
    return pattern.match(name).hasMatch();
}

ToolCallRequest call(const QString &id, const QString &name)
{
    return ToolCallRequest::make(id, name, QStringLiteral("{}"));
}

} // namespace

void tst_WireToolNames::wireName_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("wire");
    // Hashes are written out: a wire name must not change between builds, or history re-sent
    // from an older tape would name tools the model never saw.
    QTest::newRow("valid as it is") << "clock" << "clock";
    QTest::newRow("dashes and digits") << "get-weather_2" << "get-weather_2";
    QTest::newRow("dots") << "fs.read" << "fs_read";
    QTest::newRow("several dots") << "mcp.github.create_issue" << "mcp_github_create_issue";
    QTest::newRow("slash and space") << "github/create issue" << "github_create_issue_e85250d8";
    QTest::newRow("another server") << "my server/Get issue" << "my_server_Get_issue_ee105503";
    QTest::newRow("unicode") << QStringLiteral("météo.lire") << "m_t_o_lire_a289e004";
    QTest::newRow("100 characters") << QString(100, QLatin1Char('a'))
                                    << QString(55, QLatin1Char('a')) + QStringLiteral("_28165978");
    QTest::newRow("64 characters") << QString(64, QLatin1Char('b')) << QString(64, QLatin1Char('b'));
    QTest::newRow("empty") << "" << "tool_e3b0c442";
}

void tst_WireToolNames::wireName()
{
    QFETCH(QString, name);
    QFETCH(QString, wire);
    QCOMPARE(WireToolNames::wireName(name), wire);
    QVERIFY(valid(WireToolNames::wireName(name)));
}

void tst_WireToolNames::everyNameGoesOnTheWire_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("dots only") << "...";
    QTest::newRow("path") << "../../etc/passwd";
    QTest::newRow("tabs and newlines") << "a\tb\nc";
    QTest::newRow("emoji") << QStringLiteral("🎉 party");
    QTest::newRow("quotes") << "say \"hi\"";
    QTest::newRow("1000 characters with dots") << QString(1000, QLatin1Char('.'));
    QTest::newRow("65 valid characters") << QString(65, QLatin1Char('x'));
    QTest::newRow("CJK") << QStringLiteral("读取文件");
}

void tst_WireToolNames::everyNameGoesOnTheWire()
{
    QFETCH(QString, name);
    const QString wire = WireToolNames::wireName(name);
    QVERIFY2(valid(wire), qPrintable(wire));
    for (int attempt = 0; attempt < 3; ++attempt)
        QVERIFY2(valid(WireToolNames::hashedName(name, attempt)), qPrintable(WireToolNames::hashedName(name, attempt)));
    // A table with it decodes it back.
    const WireToolNames table({name}, {});
    QCOMPARE(table.toSpool(table.toWire(name)), std::optional<QString>(name));
}

void tst_WireToolNames::sameNameSameWireNameInAnyRequest()
{
    // Whatever else a request holds and in whatever order, a name without a rival gets its
    // wire name: runs, sessions and processes all agree.
    const QStringList names{QStringLiteral("fs.read"), QStringLiteral("shell.exec"),
                            QStringLiteral("github/create issue"), QStringLiteral("clock")};
    const WireToolNames a(names, {});
    QStringList reversed = names;
    std::reverse(reversed.begin(), reversed.end());
    const WireToolNames b(reversed, {QStringLiteral("memory.search"), QStringLiteral("echo")});
    const WireToolNames c({QStringLiteral("fs.read")}, {});
    for (const QString &n : names) {
        QCOMPARE(a.toWire(n), WireToolNames::wireName(n));
        QCOMPARE(b.toWire(n), a.toWire(n));
    }
    QCOMPARE(c.toWire(QStringLiteral("fs.read")), QStringLiteral("fs_read"));
    QCOMPARE(a.renamed().value(QStringLiteral("fs_read")).toString(), QStringLiteral("fs.read"));
    QVERIFY(!a.renamed().contains(QStringLiteral("clock"))); // unchanged names are not listed
}

void tst_WireToolNames::collisionsStayReversible_data()
{
    QTest::addColumn<QStringList>("names");
    QTest::addColumn<QString>("keeps");  // the name that keeps the contested wire name
    QTest::newRow("dot and underscore") << QStringList{"fs.read", "fs_read"} << "fs_read";
    QTest::newRow("two dotted spellings") << QStringList{"a_b.c", "a.b_c"} << "a.b_c";
    QTest::newRow("a name equal to another's hash")
            << QStringList{"x/y", WireToolNames::hashedName(QStringLiteral("x/y"))}
            << WireToolNames::hashedName(QStringLiteral("x/y"));
    QTest::newRow("three on one name") << QStringList{"p.q", "p_q", "p-q", "p q"} << "p_q";
}

void tst_WireToolNames::collisionsStayReversible()
{
    QFETCH(QStringList, names);
    QFETCH(QString, keeps);
    QStringList reversed = names;
    std::reverse(reversed.begin(), reversed.end());
    const WireToolNames table(names, {});
    const WireToolNames other(reversed, {});
    QSet<QString> wires;
    for (const QString &n : names) {
        const QString wire = table.toWire(n);
        QVERIFY2(valid(wire), qPrintable(wire));
        QVERIFY2(!wires.contains(wire), qPrintable(wire + QStringLiteral(" is used twice")));
        wires.insert(wire);
        QCOMPARE(table.toSpool(wire), std::optional<QString>(n));
        QCOMPARE(other.toWire(n), wire); // the order of the request does not matter
    }
    QCOMPARE(table.toWire(keeps), WireToolNames::wireName(keeps));
}

void tst_WireToolNames::decodeOnlyOfferedNames()
{
    const WireToolNames table({QStringLiteral("fs.read"), QStringLiteral("clock")},
                              {QStringLiteral("old.tool")});
    const ToolCallRequest known = table.decode(call(QStringLiteral("c1"), QStringLiteral("fs_read")));
    QCOMPARE(known.name, QStringLiteral("fs.read"));
    QVERIFY(known.nameError.isEmpty());

    // Spool's own spelling is not a wire name the model was given.
    const ToolCallRequest spoolSpelling = table.decode(call(QStringLiteral("c2"), QStringLiteral("fs.read")));
    QCOMPARE(spoolSpelling.name, QStringLiteral("fs.read"));
    QVERIFY(spoolSpelling.nameError.contains(QStringLiteral("no tool named \"fs.read\"")));
    QVERIFY2(spoolSpelling.nameError.contains(QStringLiteral("fs_read, clock")), qPrintable(spoolSpelling.nameError));

    // A name from the history alone is not offered any more.
    const ToolCallRequest old = table.decode(call(QStringLiteral("c3"), QStringLiteral("old_tool")));
    QVERIFY(!old.nameError.isEmpty());
    QCOMPARE(old.name, QStringLiteral("old_tool"));
    // The error travels with the call on the tape.
    QCOMPARE(ToolCallRequest::fromJson(old.toJson()).nameError, old.nameError);
}

void tst_WireToolNames::requestUsesWireNamesEverywhere()
{
    ProviderRequest r;
    r.model = QStringLiteral("m");
    r.tools = {ToolDefinition{QStringLiteral("fs.read"), QStringLiteral("read"), {}},
               ToolDefinition{QStringLiteral("mcp/files/read file"), QStringLiteral("read too"), {}}};
    r.messages = {ChatMessage::user(QStringLiteral("read it")),
                  ChatMessage::assistant(QString(), {call(QStringLiteral("c1"), QStringLiteral("fs.read")),
                                                     call(QStringLiteral("c2"), QStringLiteral("removed.tool"))}),
                  ChatMessage::toolResult(QStringLiteral("c1"), QStringLiteral("fs.read"), QStringLiteral("x"), true),
                  ChatMessage::toolResult(QStringLiteral("c2"), QStringLiteral("removed.tool"), QStringLiteral("y"), true),
                  ChatMessage::user(QStringLiteral("again"))};
    r.parameters = QJsonObject{{QStringLiteral("tool_choice"),
                                QJsonObject{{QStringLiteral("type"), QStringLiteral("function")},
                                            {QStringLiteral("function"),
                                             QJsonObject{{QStringLiteral("name"), QStringLiteral("fs.read")}}}}}};
    const WireRequest wire(r);
    const ProviderRequest &w = wire.request();
    QCOMPARE(w.tools.at(0).name, QStringLiteral("fs_read"));
    QCOMPARE(w.tools.at(1).name, WireToolNames::wireName(QStringLiteral("mcp/files/read file")));
    QCOMPARE(w.messages.at(1).toolCalls.at(0).name, QStringLiteral("fs_read"));
    QCOMPARE(w.messages.at(1).toolCalls.at(1).name, QStringLiteral("removed_tool"));
    QCOMPARE(w.messages.at(2).toolName, QStringLiteral("fs_read"));
    QCOMPARE(w.parameters.value(QStringLiteral("tool_choice")).toObject().value(QStringLiteral("function"))
                     .toObject().value(QStringLiteral("name")).toString(),
             QStringLiteral("fs_read"));
    // Anthropic's shape of a named tool_choice too.
    r.parameters = QJsonObject{{QStringLiteral("tool_choice"),
                                QJsonObject{{QStringLiteral("type"), QStringLiteral("tool")},
                                            {QStringLiteral("name"), QStringLiteral("mcp/files/read file")}}}};
    QCOMPARE(WireRequest(r).request().parameters.value(QStringLiteral("tool_choice")).toObject()
                     .value(QStringLiteral("name")).toString(),
             WireToolNames::wireName(QStringLiteral("mcp/files/read file")));

    // The snapshot is what is sent, with the way back.
    const QJsonObject snapshot = wire.snapshot();
    QCOMPARE(snapshot.value(QStringLiteral("tools")).toArray().at(0).toObject().value(QStringLiteral("name")).toString(),
             QStringLiteral("fs_read"));
    QCOMPARE(snapshot.value(QStringLiteral("tool_names")).toObject().value(QStringLiteral("fs_read")).toString(),
             QStringLiteral("fs.read"));
    // The original request is untouched: the tape keeps Spool's names.
    QCOMPARE(r.tools.at(0).name, QStringLiteral("fs.read"));
}

void tst_WireToolNames::callIdsFitAndStayUnique()
{
    // The deterministic provider numbers calls per run, so two earlier runs repeat ids; other
    // servers send ids with dots and colons or longer than OpenAI's 40 characters.
    ProviderRequest r;
    r.messages = {ChatMessage::user(QStringLiteral("one")),
                  ChatMessage::assistant(QString(), {call(QStringLiteral("call_1_1"), QStringLiteral("clock"))}),
                  ChatMessage::toolResult(QStringLiteral("call_1_1"), QStringLiteral("clock"), QStringLiteral("a"), true),
                  ChatMessage::user(QStringLiteral("two")),
                  ChatMessage::assistant(QString(), {call(QStringLiteral("call_1_1"), QStringLiteral("clock")),
                                                     call(QStringLiteral("functions.clock:0"), QStringLiteral("clock")),
                                                     call(QString(50, QLatin1Char('z')), QStringLiteral("clock"))}),
                  ChatMessage::toolResult(QString(50, QLatin1Char('z')), QStringLiteral("clock"), QStringLiteral("d"), true),
                  ChatMessage::toolResult(QStringLiteral("call_1_1"), QStringLiteral("clock"), QStringLiteral("b"), true),
                  ChatMessage::toolResult(QStringLiteral("functions.clock:0"), QStringLiteral("clock"), QStringLiteral("c"), true)};
    const WireRequest wire(r);
    const QList<ChatMessage> &m = wire.request().messages;
    QCOMPARE(m.size(), r.messages.size());
    QCOMPARE(m.at(1).toolCalls.at(0).id, QStringLiteral("call_1_1")); // a fitting id is kept
    QSet<QString> ids;
    for (const ChatMessage &msg : m) {
        for (const ToolCallRequest &c : msg.toolCalls) {
            QVERIFY2(WireRequest::isWireCallId(c.id), qPrintable(c.id));
            QVERIFY2(!ids.contains(c.id), qPrintable(c.id));
            ids.insert(c.id);
        }
    }
    // Each result answers its own call, under the call's new id.
    QCOMPARE(m.at(2).toolCallId, m.at(1).toolCalls.at(0).id);
    QCOMPARE(m.at(5).toolCallId, m.at(4).toolCalls.at(2).id);
    QCOMPARE(m.at(5).text, QStringLiteral("d"));
    QCOMPARE(m.at(6).toolCallId, m.at(4).toolCalls.at(0).id);
    QCOMPARE(m.at(6).text, QStringLiteral("b"));
    QCOMPARE(m.at(7).toolCallId, m.at(4).toolCalls.at(1).id);
    // The same history always gets the same ids.
    const WireRequest again(r);
    for (int i = 0; i < m.size(); ++i) {
        QCOMPARE(again.request().messages.at(i).toolCallId, m.at(i).toolCallId);
        for (int j = 0; j < m.at(i).toolCalls.size(); ++j)
            QCOMPARE(again.request().messages.at(i).toolCalls.at(j).id, m.at(i).toolCalls.at(j).id);
    }
}

void tst_WireToolNames::historyKeepsThePairingRules()
{
    ProviderRequest r;
    ChatMessage attachmentOnly = ChatMessage::user(QString());
    attachmentOnly.attachments.append(Attachment{QStringLiteral("photo.png"), QStringLiteral("image/png"), 10, {}, {}});
    r.messages = {attachmentOnly,
                  ChatMessage::assistant(QStringLiteral("  ")), // nothing said
                  ChatMessage::toolResult(QStringLiteral("ghost"), QStringLiteral("clock"), QStringLiteral("?"), true),
                  ChatMessage::assistant(QString(), {call(QStringLiteral("a"), QStringLiteral("clock")),
                                                     call(QStringLiteral("b"), QStringLiteral("clock"))}),
                  ChatMessage::toolResult(QStringLiteral("a"), QStringLiteral("clock"), QStringLiteral("12:00"), true),
                  ChatMessage::user(QStringLiteral("   ")),
                  ChatMessage::assistant(QString(), {call(QStringLiteral("c"), QStringLiteral("clock"))})};
    const QList<ChatMessage> m = WireRequest(r).request().messages;
    QStringList shape;
    for (const ChatMessage &msg : m)
        shape.append(ChatMessage::roleName(msg.role) + (msg.role == ChatMessage::Role::Tool ? QLatin1Char(':') + msg.toolCallId : QString()));
    QCOMPARE(shape, (QStringList{"user", "assistant", "tool:a", "tool:b", "user", "assistant", "tool:c"}));
    QCOMPARE(m.at(0).text, QStringLiteral("(attached: photo.png)"));
    QVERIFY(!m.at(3).toolOk); // the call that never got a result says so
    QVERIFY(m.at(3).text.contains(QStringLiteral("No result")));
    QCOMPARE(m.at(4).text, QStringLiteral("(empty message)"));
    QVERIFY(!m.at(6).toolOk);
}

void tst_WireToolNames::responseIsDecoded()
{
    ProviderRequest r;
    r.tools = {ToolDefinition{QStringLiteral("fs.read"), {}, {}},
               ToolDefinition{QString(100, QLatin1Char('n')), {}, {}}};
    const WireRequest wire(r);
    ProviderResponse response;
    response.toolCalls = {call(QStringLiteral("1"), QStringLiteral("fs_read")),
                          call(QStringLiteral("2"), WireToolNames::wireName(QString(100, QLatin1Char('n')))),
                          call(QStringLiteral("3"), QStringLiteral("fs_raed"))};
    const ProviderResponse decoded = wire.decode(response);
    QCOMPARE(decoded.toolCalls.at(0).name, QStringLiteral("fs.read"));
    QCOMPARE(decoded.toolCalls.at(1).name, QString(100, QLatin1Char('n')));
    QCOMPARE(decoded.toolCalls.at(2).name, QStringLiteral("fs_raed"));
    QVERIFY(!decoded.toolCalls.at(2).nameError.isEmpty());
    QVERIFY(decoded.toolCalls.at(0).nameError.isEmpty());
}

QTEST_GUILESS_MAIN(tst_WireToolNames)
#include "tst_wiretoolnames.moc"
