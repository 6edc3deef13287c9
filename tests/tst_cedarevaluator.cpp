// The Cedar evaluator on one request and a small entity graph: every operator and extension
// function, Cedar's error cases, short-circuiting, and reading entity JSON.

#include "policy/cedar/evaluator.h"
#include "policy/cedar/extensionvalues.h"
#include "policy/cedar/jsonformat.h"
#include "policy/cedar/policyparser.h"

#include <QJsonDocument>
#include <QTest>

using namespace Spool::Cedar;

class tst_CedarEvaluator : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void expressions_data();
    void expressions();
    void datetimeParsing_data();
    void datetimeParsing();
    void durationParsing_data();
    void durationParsing();
    void decimalParsing_data();
    void decimalParsing();
    void ipParsing_data();
    void ipParsing();
    void schemaTypesJson();

private:
    EntityStore m_entities;
    Request m_request;
};

void tst_CedarEvaluator::initTestCase()
{
    const QByteArray entities = R"([
        {"uid": {"type": "User", "id": "alice"},
         "attrs": {"name": "Alice", "age": 30,
                   "ip": {"__extn": {"fn": "ip", "arg": "10.0.0.1"}},
                   "score": {"__extn": {"fn": "decimal", "arg": "1.5"}},
                   "manager": {"__entity": {"type": "User", "id": "bob"}},
                   "nested": {"a": {"b": 1}}},
         "parents": [{"type": "Group", "id": "staff"}],
         "tags": {"level": "admin", "n": 3}},
        {"uid": {"type": "Group", "id": "staff"}, "attrs": {}, "parents": [{"type": "Group", "id": "all"}]},
        {"uid": {"type": "Group", "id": "all"}, "attrs": {}, "parents": []},
        {"uid": {"type": "User", "id": "bob"}, "attrs": {}, "parents": []},
        {"uid": {"type": "Photo", "id": "p"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "alice"}}},
         "parents": [{"type": "Album", "id": "trip"}]}
    ])";
    auto store = JsonFormat::entitiesFromJson(QJsonDocument::fromJson(entities).array());
    QVERIFY2(store.ok(), qPrintable(store.errorMessage()));
    m_entities = *store;

    m_request.principal = EntityUid(QStringLiteral("User"), QStringLiteral("alice"));
    m_request.action = EntityUid(QStringLiteral("Action"), QStringLiteral("view"));
    m_request.resource = EntityUid(QStringLiteral("Photo"), QStringLiteral("p"));
    auto context = JsonFormat::valueFromJson(QJsonDocument::fromJson(
            R"({"n": 5, "s": "hello", "list": [1, 2, 3], "flag": true, "big": 9223372036854775807})").object());
    QVERIFY(context.ok());
    m_request.context = *context;
}

void tst_CedarEvaluator::expressions_data()
{
    QTest::addColumn<QString>("expression");
    QTest::addColumn<QString>("expected"); // Cedar text of the value, or "error"

    auto row = [](const char *name, const char *expr, const char *expected) {
        QTest::newRow(name) << QString::fromUtf8(expr) << QString::fromUtf8(expected);
    };
    // Arithmetic is checked 64-bit arithmetic.
    row("precedence", "1 + 2 * 3 - 4", "3");
    row("negative literal", "-9223372036854775808", "-9223372036854775808");
    row("negating the minimum", "- -9223372036854775808", "error");
    row("add overflow", "context.big + 1", "error");
    row("sub overflow", "-9223372036854775807 - 2", "error");
    row("mul overflow", "context.big * 2", "error");
    row("mul", "-4 * context.n", "-20");
    row("add a string", "1 + \"1\"", "error");
    // Comparisons.
    row("less", "1 < 2", "true");
    row("greater equal", "context.n >= 5", "true");
    row("compare strings", "\"a\" < \"b\"", "error");
    row("compare decimals with <", "decimal(\"1.0\") < decimal(\"2.0\")", "error");
    row("compare datetimes", "datetime(\"2024-01-01\") < datetime(\"2024-01-02\")", "true");
    row("compare durations", "duration(\"1h\") >= duration(\"60m\")", "true");
    row("compare datetime and duration", "datetime(\"2024-01-01\") < duration(\"1h\")", "error");
    // Equality never errors; it is false across types.
    row("equal across types", "1 == \"1\"", "false");
    row("sets are sets", "[1, 2, 2] == [2, 1]", "true");
    row("records", "{a: 1, b: [true]} == {b: [true], a: 1}", "true");
    row("entities", "principal == User::\"alice\"", "true");
    row("not equal", "principal != resource", "true");
    row("decimals by value", "decimal(\"1.50\") == decimal(\"1.5000\")", "true");
    row("ip structural", "ip(\"10.0.0.1/24\") == ip(\"10.0.0.0/24\")", "false");
    // Short-circuiting.
    row("and short-circuits", "false && (1 + \"a\" == 2)", "false");
    row("or short-circuits", "true || context.missing", "true");
    row("and needs booleans", "true && 1", "error");
    row("and checks its left first", "1 && false", "error");
    row("if takes one branch", "if context.flag then 1 else context.missing", "1");
    row("if needs a boolean", "if 1 then 2 else 3", "error");
    row("not", "!context.flag", "false");
    row("not a long", "!1", "error");
    // Attributes.
    row("entity attribute", "principal.name", "\"Alice\"");
    row("nested", "principal.nested.a.b", "1");
    row("index syntax", "principal[\"name\"]", "\"Alice\"");
    row("missing attribute", "principal.email", "error");
    row("missing entity", "User::\"carol\".name", "error");
    row("attribute of a long", "context.n.x", "error");
    row("has", "principal has name", "true");
    row("has missing", "principal has email", "false");
    row("has on a missing entity", "User::\"carol\" has name", "false");
    row("has on a long", "context.n has x", "error");
    row("has path", "principal has nested.a.b", "true");
    row("has path stops", "principal has nested.x.y", "false");
    row("has path through a long", "{a: 1} has a.b", "error");
    row("has string", "{\"a b\": 1} has \"a b\"", "true");
    row("entity attribute is an entity", "principal.manager == User::\"bob\"", "true");
    // Hierarchy.
    row("in itself", "principal in principal", "true");
    row("in parent", "principal in Group::\"staff\"", "true");
    row("in grandparent", "principal in Group::\"all\"", "true");
    row("not in", "User::\"bob\" in Group::\"all\"", "false");
    row("in a missing parent", "resource in Album::\"trip\"", "true");
    row("in a set", "principal in [User::\"bob\", Group::\"all\"]", "true");
    row("in a set with a long", "principal in [principal, 1]", "error");
    row("in a long", "principal in 1", "error");
    row("long in", "1 in principal", "error");
    row("is", "principal is User", "true");
    row("is not", "resource is User", "false");
    row("is a long", "1 is User", "error");
    row("is in", "principal is User in Group::\"all\"", "true");
    row("is in, wrong type, right side not evaluated", "resource is User in 1", "false");
    // Sets.
    row("contains", "context.list.contains(2)", "true");
    row("contains on a long", "context.n.contains(2)", "error");
    row("contains all", "[1, 2, 3].containsAll([3, 1])", "true");
    row("contains all, no", "[1, 2].containsAll([3])", "false");
    row("contains all of nothing", "[].containsAll([])", "true");
    row("contains any", "[1, 2].containsAny([5, 2])", "true");
    row("contains any of nothing", "[1].containsAny([])", "false");
    row("contains any needs a set", "[1].containsAny(1)", "error");
    row("is empty", "[].isEmpty()", "true");
    row("is empty on a record", "{}.isEmpty()", "error");
    row("set of records", "[{a: 1}, {a: 1}] == [{a: 1}]", "true");
    // Strings.
    row("like", "context.s like \"h*o\"", "true");
    row("like exact", "context.s like \"hell\"", "false");
    row("like star escape", "\"a*b\" like \"a\\*b\"", "true");
    row("like star escape is literal", "\"axb\" like \"a\\*b\"", "false");
    row("like empty", "\"\" like \"*\"", "true");
    row("like overlapping", "\"aaa\" like \"a*aa\"", "true");
    row("like too short", "\"aa\" like \"a*aa\"", "false");
    row("like a long", "1 like \"*\"", "error");
    row("like unicode", "\"\U0001F600x\" like \"*x\"", "true");
    // Tags.
    row("has tag", "principal.hasTag(\"level\")", "true");
    row("has no tag", "principal.hasTag(\"x\")", "false");
    row("get tag", "principal.getTag(\"n\") + 1", "4");
    row("get missing tag", "principal.getTag(\"x\")", "error");
    row("tag of a missing entity", "User::\"carol\".hasTag(\"x\")", "false");
    row("tag needs a string", "principal.hasTag(1)", "error");
    // Extensions.
    row("decimal compare", "principal.score.greaterThan(decimal(\"1.4999\"))", "true");
    row("decimal compare wrong type", "principal.score.lessThan(1)", "error");
    row("decimal too precise", "decimal(\"1.23456\")", "error");
    row("decimal negative fraction", "decimal(\"-0.5\").lessThan(decimal(\"0.0\"))", "true");
    row("ip range", "principal.ip.isInRange(ip(\"10.0.0.0/8\"))", "true");
    row("ip v4 not in v6", "ip(\"10.0.0.1\").isInRange(ip(\"::/0\"))", "false");
    row("loopback", "ip(\"127.0.0.2\").isLoopback()", "true");
    row("loopback range too wide", "ip(\"127.0.0.1/4\").isLoopback()", "false");
    row("multicast v6", "ip(\"ff02::1\").isMulticast()", "true");
    row("is v6", "ip(\"::1\").isIpv6()", "true");
    row("bad ip", "ip(\"1.2.3\")", "error");
    row("ip needs a string", "ip(1)", "error");
    row("wrong argument count", "decimal(\"1.0\", \"2.0\")", "error");
    row("offset", "datetime(\"2024-02-28T12:00:00Z\").offset(duration(\"1d\")) == datetime(\"2024-02-29T12:00:00Z\")", "true");
    row("offset overflow", "datetime(\"9999-12-31\").offset(duration(\"9223372036854775807ms\"))", "error");
    row("duration since", "datetime(\"2024-01-02\").durationSince(datetime(\"2024-01-01\")).toHours()", "24");
    row("to date", "datetime(\"2024-10-15T11:38:02.101Z\").toDate() == datetime(\"2024-10-15\")", "true");
    row("to date before 1970", "datetime(\"1969-12-31T23:00:00Z\").toDate() == datetime(\"1969-12-31\")", "true");
    row("to time", "datetime(\"2024-10-15T11:38:02.101Z\").toTime().toMilliseconds()", "41882101");
    row("to time before 1970", "datetime(\"1969-12-31T23:00:00Z\").toTime().toHours()", "23");
    row("duration truncates", "duration(\"-90m\").toHours()", "-1");
    row("to days", "duration(\"1d23h\").toDays()", "1");
    row("bad datetime", "datetime(\"2023-02-29\")", "error");
    row("duration method on datetime", "datetime(\"2024-01-01\").toHours()", "error");
    // Literals.
    row("record literal", "{a: 1 + 1}.a", "2");
    row("set literal with an error", "[1, context.missing]", "error");
    row("context", "context.s", "\"hello\"");
    row("action", "action", "Action::\"view\"");
}

void tst_CedarEvaluator::expressions()
{
    QFETCH(QString, expression);
    QFETCH(QString, expected);
    Diagnostics errors;
    const ExprPtr e = PolicyParser::parseExpression(expression, &errors);
    QVERIFY2(e, errors.isEmpty() ? "" : qPrintable(errors.front().toString()));
    Evaluator evaluator(m_request, m_entities);
    const auto result = evaluator.evaluate(*e);
    if (expected == QLatin1String("error")) {
        QVERIFY2(!result.ok(), qPrintable(result.ok() ? result->toString() : QString()));
        QVERIFY(!result.errorMessage().isEmpty());
    } else {
        QVERIFY2(result.ok(), qPrintable(result.errorMessage()));
        QCOMPARE(result->toString(), expected);
    }
}

void tst_CedarEvaluator::datetimeParsing_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<qint64>("millis");
    QTest::newRow("epoch") << "1970-01-01" << true << qint64(0);
    QTest::newRow("utc") << "2024-10-15T11:38:02Z" << true << qint64(1728992282000);
    QTest::newRow("millis") << "2024-10-15T11:38:02.101Z" << true << qint64(1728992282101);
    QTest::newRow("offset ahead") << "2024-10-15T11:38:02.101+1134" << true << qint64(1728950642101);
    QTest::newRow("offset behind") << "2024-10-15T11:38:02-1134" << true << qint64(1729033922000);
    QTest::newRow("year zero") << "0000-01-01" << true << qint64(-62167219200000);
    QTest::newRow("leap day") << "2000-02-29" << true << qint64(951782400000);
    QTest::newRow("not a leap day") << "1900-02-29" << false << qint64(0);
    QTest::newRow("no time zone") << "2024-01-01T00:00:00" << false << qint64(0);
    QTest::newRow("leap second") << "2016-12-31T23:59:60Z" << false << qint64(0);
    QTest::newRow("hour 24") << "2024-01-01T24:00:00Z" << false << qint64(0);
    QTest::newRow("offset hour 24") << "2024-01-01T00:00:00+2400" << false << qint64(0);
    QTest::newRow("two digit millis") << "2024-01-01T00:00:00.10Z" << false << qint64(0);
    QTest::newRow("five digit year") << "10000-01-01" << false << qint64(0);
    QTest::newRow("trailing") << "2024-01-01Z" << false << qint64(0);
    QTest::newRow("empty") << "" << false << qint64(0);
}

void tst_CedarEvaluator::datetimeParsing()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(qint64, millis);
    const auto d = ExtensionValues::parseDatetime(text);
    QCOMPARE(d.has_value(), valid);
    if (valid) {
        QCOMPARE(*d, millis);
        // Printing gives back the same instant.
        QCOMPARE(ExtensionValues::parseDatetime(ExtensionValues::formatDatetime(*d)), d);
    }
}

void tst_CedarEvaluator::durationParsing_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<qint64>("millis");
    QTest::newRow("all units") << "1d2h3m4s5ms" << true << qint64(93784005);
    QTest::newRow("negative") << "-1h" << true << qint64(-3600000);
    QTest::newRow("minutes then millis") << "1m1ms" << true << qint64(60001);
    QTest::newRow("millis only") << "7ms" << true << qint64(7);
    QTest::newRow("minimum") << "-9223372036854775808ms" << true << std::numeric_limits<qint64>::min();
    QTest::newRow("above maximum") << "9223372036854775808ms" << false << qint64(0);
    QTest::newRow("overflow by days") << "106751991168d" << false << qint64(0);
    QTest::newRow("most days") << "106751991167d" << true << qint64(106751991167) * 86400000;
    QTest::newRow("wrong order") << "1s1m" << false << qint64(0);
    QTest::newRow("repeated unit") << "1h1h" << false << qint64(0);
    QTest::newRow("no unit") << "5" << false << qint64(0);
    QTest::newRow("just a sign") << "-" << false << qint64(0);
    QTest::newRow("empty") << "" << false << qint64(0);
    QTest::newRow("unknown unit") << "1w" << false << qint64(0);
}

void tst_CedarEvaluator::durationParsing()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(qint64, millis);
    const auto d = ExtensionValues::parseDuration(text);
    QCOMPARE(d.has_value(), valid);
    if (valid)
        QCOMPARE(*d, millis);
}

void tst_CedarEvaluator::decimalParsing_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<qint64>("scaled");
    QTest::newRow("simple") << "1.5" << true << qint64(15000);
    QTest::newRow("four digits") << "-12.3456" << true << qint64(-123456);
    QTest::newRow("minus zero point five") << "-0.5" << true << qint64(-5000);
    QTest::newRow("leading zeros") << "007.0" << true << qint64(70000);
    QTest::newRow("minimum") << "-922337203685477.5808" << true << std::numeric_limits<qint64>::min();
    QTest::newRow("maximum") << "922337203685477.5807" << true << std::numeric_limits<qint64>::max();
    QTest::newRow("above maximum") << "922337203685477.5808" << false << qint64(0);
    QTest::newRow("five digits") << "0.00000" << false << qint64(0);
    QTest::newRow("no point") << "12" << false << qint64(0);
    QTest::newRow("no fraction") << "1." << false << qint64(0);
    QTest::newRow("no whole part") << ".5" << false << qint64(0);
    QTest::newRow("just a sign") << "-.5" << false << qint64(0);
    QTest::newRow("plus") << "+1.0" << false << qint64(0);
}

void tst_CedarEvaluator::decimalParsing()
{
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(qint64, scaled);
    const auto d = ExtensionValues::parseDecimal(text);
    QCOMPARE(d.has_value(), valid);
    if (valid) {
        QCOMPARE(*d, scaled);
        QCOMPARE(ExtensionValues::parseDecimal(ExtensionValues::formatDecimal(*d)), d);
    }
}

void tst_CedarEvaluator::ipParsing_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("normalised"); // empty: invalid
    QTest::newRow("v4") << "192.168.0.1" << "192.168.0.1";
    QTest::newRow("v4 range") << "10.0.0.0/8" << "10.0.0.0/8";
    QTest::newRow("v4 leading zero") << "010.0.0.1" << "";
    QTest::newRow("v4 prefix leading zero") << "10.0.0.0/08" << "";
    QTest::newRow("v4 prefix too long") << "10.0.0.0/33" << "";
    QTest::newRow("v4 octet too big") << "256.0.0.1" << "";
    QTest::newRow("v4 three octets") << "1.2.3" << "";
    QTest::newRow("empty prefix") << "1.2.3.4/" << "";
    QTest::newRow("two slashes") << "1.2.3.4//5" << "";
    QTest::newRow("v6") << "2001:db8::1" << "2001:db8:0:0:0:0:0:1";
    QTest::newRow("v6 all zero") << "::" << "0:0:0:0:0:0:0:0";
    QTest::newRow("v6 range") << "ff00::/8" << "ff00:0:0:0:0:0:0:0/8";
    QTest::newRow("v6 full") << "1:2:3:4:5:6:7:8" << "1:2:3:4:5:6:7:8";
    QTest::newRow("v6 compressing nothing") << "1:2:3:4:5:6:7::8" << "";
    QTest::newRow("v6 two gaps") << "1::2::3" << "";
    QTest::newRow("v6 group too long") << "12345::" << "";
    QTest::newRow("v4 embedded in v6") << "::ffff:1.2.3.4" << "";
    QTest::newRow("v6 prefix too long") << "::/129" << "";
}

void tst_CedarEvaluator::ipParsing()
{
    QFETCH(QString, text);
    QFETCH(QString, normalised);
    const auto ip = IpAddress::parse(text);
    QCOMPARE(ip.has_value(), !normalised.isEmpty());
    if (ip)
        QCOMPARE(ip->toString(), normalised);
}

void tst_CedarEvaluator::schemaTypesJson()
{
    // With a schema, JSON strings become the extension values and entities the schema says.
    Diagnostics errors;
    const Schema schema = Schema::parse(QStringLiteral(
            "namespace App { type Net = { addr: ipaddr }; entity User in [Team] = { net: Net, "
            "boss?: User, when: datetime, rates: Set<decimal> } tags duration; entity Team; "
            "action view appliesTo { principal: User, resource: User, context: { from: ipaddr } }; "
            "action edit in [view]; }"), QStringLiteral("app.cedarschema"), &errors);
    QVERIFY2(errors.isEmpty(), qPrintable(errors.isEmpty() ? QString() : errors.front().toString()));
    const QByteArray json = R"([{"uid": {"type": "App::User", "id": "a"},
        "attrs": {"net": {"addr": "10.1.2.3"}, "boss": {"type": "App::User", "id": "b"},
                  "when": "2024-01-01", "rates": ["1.5", "2.25"]},
        "parents": [], "tags": {"t": "1h"}}])";
    auto store = JsonFormat::entitiesFromJson(QJsonDocument::fromJson(json).array(), &schema);
    QVERIFY2(store.ok(), qPrintable(store.errorMessage()));
    const EntityStore::Entity *a = store->find(EntityUid(QStringLiteral("App::User"), QStringLiteral("a")));
    QVERIFY(a);
    QCOMPARE(a->attributes.field(QStringLiteral("net"))->field(QStringLiteral("addr"))->type(), Value::Type::IpAddr);
    QCOMPARE(a->attributes.field(QStringLiteral("boss"))->type(), Value::Type::Entity);
    QCOMPARE(a->attributes.field(QStringLiteral("when"))->type(), Value::Type::Datetime);
    QCOMPARE(a->attributes.field(QStringLiteral("rates"))->toString(),
             QStringLiteral("[decimal(\"1.5000\"), decimal(\"2.2500\")]"));
    QCOMPARE(a->tags.field(QStringLiteral("t"))->toString(), QStringLiteral("duration(\"3600000ms\")"));
    // The schema's action groups are entities too.
    QVERIFY(store->isInOrEqual(EntityUid(QStringLiteral("App::Action"), QStringLiteral("edit")),
                               EntityUid(QStringLiteral("App::Action"), QStringLiteral("view"))));
    auto context = JsonFormat::contextFromJson(QJsonDocument::fromJson(R"({"from": "::1"})").object(),
                                               &schema, EntityUid(QStringLiteral("App::Action"), QStringLiteral("view")));
    QVERIFY(context.ok());
    QCOMPARE(context->field(QStringLiteral("from"))->type(), Value::Type::IpAddr);
    // A value the schema's type refuses is an error, not a guess.
    auto bad = JsonFormat::contextFromJson(QJsonDocument::fromJson(R"({"from": "nowhere"})").object(),
                                           &schema, EntityUid(QStringLiteral("App::Action"), QStringLiteral("view")));
    QVERIFY(!bad.ok());
}

QTEST_GUILESS_MAIN(tst_CedarEvaluator)
#include "tst_cedarevaluator.moc"
