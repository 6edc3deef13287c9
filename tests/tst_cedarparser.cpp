// The Cedar parser: exact error positions, every scope form, round trips, policy ids.

#include "policy/cedar/policyparser.h"

#include <QRandomGenerator>
#include <QTest>

using namespace Spool::Cedar;

class tst_CedarParser : public QObject
{
    Q_OBJECT
private slots:
    void parseErrors_data();
    void parseErrors();
    void errorsInSeveralPolicies();
    void templatesAreUnsupported();
    void scopes_data();
    void scopes();
    void roundTrip_data();
    void roundTrip();
    void idsAndAnnotations();
    void constantsAreFolded();
    void hostileInput_data();
    void hostileInput();
    void tallExpressionsPrintBack_data();
    void tallExpressionsPrintBack();
    void mutatedPoliciesNeverCrash();
};

void tst_CedarParser::parseErrors_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message"); // a part of the message

    const QString head = QStringLiteral("permit(principal, action, resource)"); // 35 characters
    QTest::newRow("missing semicolon") << head << 1 << 36 << "expected 'when', 'unless' or ';'";
    QTest::newRow("dangling plus") << head + QStringLiteral(" when { 1 + };") << 1 << 48
                                   << "expected an expression, found '}'";
    QTest::newRow("empty condition") << head + QStringLiteral(" when { };") << 1 << 44 << "is empty";
    QTest::newRow("unterminated string")
            << QStringLiteral("forbid(principal == User::\"a, action, resource);") << 1 << 27
            << "string without its closing quote";
    QTest::newRow("bad escape, second line")
            << head + QStringLiteral("\nwhen { context.x == \"ab\\qc\" };") << 2 << 24
            << "unknown escape \\q";
    QTest::newRow("star escape outside like")
            << head + QStringLiteral(" when { \"a\\*\" == \"\" };") << 1 << 46 << "only allowed in a like pattern";
    QTest::newRow("scope order") << QStringLiteral("permit(action, principal, resource);") << 1 << 8
                                 << "expected 'principal'";
    QTest::newRow("principal in list")
            << QStringLiteral("permit(principal in [User::\"a\"], action, resource);") << 1 << 21
            << "not allowed in the scope";
    QTest::newRow("action of the wrong type")
            << QStringLiteral("permit(principal, action == User::\"view\", resource);") << 1 << 29
            << "must be an Action entity";
    QTest::newRow("action is") << QStringLiteral("permit(principal, action is Action, resource);")
                               << 1 << 26 << "'is' is not allowed on the action";
    QTest::newRow("chained comparison") << head + QStringLiteral(" when { 1 < 2 < 3 };") << 1 << 50
                                        << "cannot follow a comparison";
    QTest::newRow("mixed unary") << head + QStringLiteral(" when { !-1 == 0 };") << 1 << 45
                                 << "cannot be mixed";
    QTest::newRow("five bangs") << head + QStringLiteral(" when { !!!!!true };") << 1 << 44
                                << "too many '!'";
    QTest::newRow("integer too large") << head + QStringLiteral(" when { 9223372036854775808 == 0 };")
                                       << 1 << 44 << "does not fit in 64 bits";
    QTest::newRow("duplicate annotation")
            << QStringLiteral("@id(\"a\")\n@id(\"b\")\n") + head + QLatin1Char(';') << 2 << 2
            << "duplicate annotation @id";
    QTest::newRow("unknown function") << head + QStringLiteral(" when { foo(1) };") << 1 << 44
                                      << "unknown function foo";
    QTest::newRow("unknown method") << head + QStringLiteral(" when { context.foo() };") << 1 << 52
                                    << "unknown method foo";
    QTest::newRow("constructor as method") << head + QStringLiteral(" when { \"1.0\".decimal() };")
                                           << 1 << 50 << "is a function, not a method";
    QTest::newRow("builtin arity") << head + QStringLiteral(" when { [1].contains() };") << 1 << 48
                                   << "contains takes 1 argument, not 0";
    QTest::newRow("duplicate record key") << head + QStringLiteral(" when { {a: 1, \"a\": 2} == {} };")
                                          << 1 << 51 << "duplicate attribute \"a\"";
    QTest::newRow("division") << head + QStringLiteral(" when { 4 / 2 == 2 };") << 1 << 46
                              << "no '/' operator";
    QTest::newRow("bare name") << head + QStringLiteral(" when { alice };") << 1 << 44
                               << "unexpected name alice";
    QTest::newRow("has needs a name") << head + QStringLiteral(" when { context has 1 };") << 1 << 56
                                      << "after 'has'";
    QTest::newRow("like needs a string") << head + QStringLiteral(" when { context.a like 1 };") << 1
                                         << 59 << "pattern string after 'like'";
    QTest::newRow("unknown character") << head + QStringLiteral(" when { 1 # 2 };") << 1 << 46
                                       << "unexpected character '#'";
    // Columns count characters, so one emoji (two UTF-16 units) is one column.
    QTest::newRow("column after an emoji")
            << head + QStringLiteral(" when { \"\U0001F600\" == ) };") << 1 << 51 << "found ')'";
    QTest::newRow("unicode escape out of range")
            << head + QStringLiteral(" when { \"\\u{110000}\" == \"\" };") << 1 << 45
            << "not a unicode scalar value";
}

void tst_CedarParser::parseErrors()
{
    QFETCH(QString, text);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, message);

    const PolicyParser::Parsed parsed = PolicyParser::parse(text, QStringLiteral("test.cedar"));
    QCOMPARE(parsed.errors.size(), 1);
    const Diagnostic &d = parsed.errors.front();
    QVERIFY2(d.message.contains(message), qPrintable(d.toString()));
    QCOMPARE(d.file, QStringLiteral("test.cedar"));
    QCOMPARE(d.line, line);
    QCOMPARE(d.column, column);
    QVERIFY(!d.unsupported);
    QVERIFY(parsed.policies.isEmpty());
}

void tst_CedarParser::errorsInSeveralPolicies()
{
    // One pass reports a problem in each broken policy and still reads the good ones.
    const QString text = QStringLiteral("permit(principal, action, resource) when { 1 + };\n"
                                        "permit(principal, action, resource);\n"
                                        "forbid(principal, action resource);\n");
    const PolicyParser::Parsed parsed = PolicyParser::parse(text);
    QCOMPARE(parsed.errors.size(), 2);
    QCOMPARE(parsed.errors.at(0).line, 1);
    QCOMPARE(parsed.errors.at(1).line, 3);
    QCOMPARE(parsed.errors.at(1).column, 26);
    QCOMPARE(parsed.policies.size(), 1);
    QCOMPARE(parsed.policies.front().id(), QStringLiteral("policy1"));
}

void tst_CedarParser::templatesAreUnsupported()
{
    const PolicyParser::Parsed parsed =
            PolicyParser::parse(QStringLiteral("permit(principal == ?principal, action, resource);"));
    QCOMPARE(parsed.errors.size(), 1);
    QVERIFY(parsed.errors.front().unsupported);
    QCOMPARE(parsed.errors.front().column, 21);
}

void tst_CedarParser::scopes_data()
{
    QTest::addColumn<QString>("scope");
    QTest::addColumn<int>("principalKind");
    QTest::addColumn<int>("actionKind");
    QTest::addColumn<int>("resourceKind");
    QTest::addColumn<int>("actionCount");
    using K = Policy::Scope::Kind;
    QTest::newRow("any") << "principal, action, resource" << int(K::Any) << int(K::Any) << int(K::Any) << 0;
    QTest::newRow("equal") << "principal == User::\"a\", action == Action::\"view\", resource == Photo::\"p\""
                           << int(K::Equal) << int(K::Equal) << int(K::Equal) << 1;
    QTest::newRow("in") << "principal in Group::\"g\", action in Action::\"read\", resource in Album::\"x\""
                        << int(K::In) << int(K::In) << int(K::In) << 1;
    QTest::newRow("action list") << "principal, action in [Action::\"a\", NS::Action::\"b\"], resource"
                                 << int(K::Any) << int(K::In) << int(K::Any) << 2;
    QTest::newRow("empty action list") << "principal, action in [], resource" << int(K::Any)
                                       << int(K::In) << int(K::Any) << 0;
    QTest::newRow("is") << "principal is User, action, resource is NS::Photo" << int(K::Is)
                        << int(K::Any) << int(K::Is) << 0;
    QTest::newRow("is in") << "principal is User in Group::\"g\", action, resource is Photo in Album::\"a\""
                           << int(K::IsIn) << int(K::Any) << int(K::IsIn) << 0;
    QTest::newRow("parenthesised entity") << "principal == (User::\"a\"), action, resource"
                                          << int(K::Equal) << int(K::Any) << int(K::Any) << 0;
}

void tst_CedarParser::scopes()
{
    QFETCH(QString, scope);
    QFETCH(int, principalKind);
    QFETCH(int, actionKind);
    QFETCH(int, resourceKind);
    QFETCH(int, actionCount);
    const PolicyParser::Parsed parsed =
            PolicyParser::parse(QStringLiteral("permit(%1);").arg(scope));
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.errors.front().toString()));
    const Policy &p = parsed.policies.front();
    QCOMPARE(int(p.principalScope().kind), principalKind);
    QCOMPARE(int(p.actionScope().kind), actionKind);
    QCOMPARE(int(p.resourceScope().kind), resourceKind);
    QCOMPARE(p.actionScope().entities.size(), actionCount);
}

void tst_CedarParser::roundTrip_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("operators") << "permit(principal, action, resource) when { (1 + 2 * -3 - 4 < 5) || !(6 >= 7) && 8 != 9 };";
    QTest::newRow("if") << "forbid(principal, action, resource) unless { if context.a then 1 == 1 else context.b };";
    QTest::newRow("has and like") << "permit(principal, action, resource) when { context has a.b && context[\"x y\"] like \"a*b\\*c\" };";
    QTest::newRow("records and sets") << "permit(principal, action, resource) when { {a: [1, context.n], \"b c\": {d: principal}} has a };";
    QTest::newRow("methods") << "permit(principal, action, resource) when { [1, 2].containsAll([context.n]) && context.s.isEmpty() && principal.hasTag(\"t\") && principal.getTag(\"t\") == 1 };";
    QTest::newRow("extensions") << "permit(principal, action, resource) when { context.ip.isInRange(ip(\"10.0.0.0/8\")) && context.d.lessThan(decimal(\"1.5\")) && context.t.offset(duration(\"1h\")) < datetime(\"2024-01-01\") };";
    QTest::newRow("is in") << "permit(principal is User in Group::\"g\", action in [Action::\"a\"], resource) when { resource is Photo in principal };";
    QTest::newRow("annotations") << "@id(\"x\")\n@ask\npermit(principal, action, resource);";
    // -0 reads back as the literal 0: a negated number must keep its parentheses.
    QTest::newRow("negated numbers") << "permit(principal, action, resource) when { -(-(-(0))) == 0 && -(5) == --5 && -9223372036854775808 < 0 };";
}

void tst_CedarParser::roundTrip()
{
    QFETCH(QString, text);
    const PolicyParser::Parsed first = PolicyParser::parse(text);
    QVERIFY2(first.ok(), first.ok() ? "" : qPrintable(first.errors.front().toString()));
    const QString printed = first.policies.front().toString();
    const PolicyParser::Parsed second = PolicyParser::parse(printed);
    QVERIFY2(second.ok(), qPrintable(printed));
    QCOMPARE(second.policies.front().toString(), printed);
    QCOMPARE(first.policies.front().sourceText(), text);
}

void tst_CedarParser::idsAndAnnotations()
{
    const PolicyParser::Parsed parsed = PolicyParser::parse(QStringLiteral(
            "// a comment\n@id(\"first\") @ask permit(principal, action, resource);\n"
            "forbid(principal, action, resource); @x(\"\\u{1F600}\") permit(principal, action, resource);"));
    QVERIFY(parsed.ok());
    QCOMPARE(parsed.policies.size(), 3);
    // Ids count policies in source order, whatever their annotations.
    QCOMPARE(parsed.policies.at(0).id(), QStringLiteral("policy0"));
    QCOMPARE(parsed.policies.at(1).id(), QStringLiteral("policy1"));
    QCOMPARE(parsed.policies.at(2).id(), QStringLiteral("policy2"));
    QCOMPARE(parsed.policies.at(0).annotation(QStringLiteral("id")), std::optional<QString>(QStringLiteral("first")));
    QCOMPARE(parsed.policies.at(0).annotation(QStringLiteral("ask")), std::optional<QString>(QString()));
    QVERIFY(!parsed.policies.at(1).annotation(QStringLiteral("ask")));
    QCOMPARE(parsed.policies.at(2).annotation(QStringLiteral("x")), std::optional<QString>(QStringLiteral("\U0001F600")));
    QCOMPARE(parsed.policies.at(0).line(), 2);
    QCOMPARE(parsed.policies.at(2).column(), 38);
}

void tst_CedarParser::constantsAreFolded()
{
    // Constant sets, records and successful extension calls are computed once, at parse time.
    Diagnostics errors;
    ExprPtr e = PolicyParser::parseExpression(QStringLiteral("[3, 1, 2, 1]"), &errors);
    QVERIFY(e);
    QCOMPARE(e->kind, Expr::Kind::Literal);
    QCOMPARE(e->value.toString(), QStringLiteral("[1, 2, 3]"));
    e = PolicyParser::parseExpression(QStringLiteral("ip(\"10.0.0.0/8\")"), &errors);
    QCOMPARE(e->kind, Expr::Kind::Literal);
    // A call that fails must fail when evaluated, so it stays a call.
    e = PolicyParser::parseExpression(QStringLiteral("ip(\"nonsense\")"), &errors);
    QCOMPARE(e->kind, Expr::Kind::Call);
    // So does a call with the wrong number of arguments: Cedar reports it at evaluation.
    e = PolicyParser::parseExpression(QStringLiteral("decimal(\"1.0\", \"2.0\")"), &errors);
    QVERIFY(e);
    QCOMPARE(e->kind, Expr::Kind::Call);
    QVERIFY(errors.isEmpty());
}

void tst_CedarParser::hostileInput_data()
{
    QTest::addColumn<QString>("condition");
    QTest::addColumn<QString>("message");
    // Both would make the recursive evaluator (and destructor) overflow the stack if accepted.
    QTest::newRow("deep parentheses") << QStringLiteral("(").repeated(5000) + QLatin1Char('1')
                                                 + QStringLiteral(")").repeated(5000) + QStringLiteral(" == 1")
                                      << "nested too deeply";
    QTest::newRow("long chain") << QStringLiteral("1 + ").repeated(50000) + QStringLiteral("1 == 1")
                                << "too long";
    QTest::newRow("unterminated") << QStringLiteral("\"").repeated(1) + QStringLiteral("x").repeated(100000)
                                  << "closing quote";
}

void tst_CedarParser::hostileInput()
{
    QFETCH(QString, condition);
    QFETCH(QString, message);
    const PolicyParser::Parsed parsed =
            PolicyParser::parse(QStringLiteral("permit(principal, action, resource) when { %1 };").arg(condition));
    QCOMPARE(parsed.errors.size(), 1);
    QVERIFY2(parsed.errors.front().message.contains(message), qPrintable(parsed.errors.front().message));
}

void tst_CedarParser::tallExpressionsPrintBack_data()
{
    QTest::addColumn<QString>("condition");
    QTest::addColumn<bool>("accepted");
    // Found by fuzz/fuzz_cedar: chains and `if`s cost less depth to read than their printed,
    // fully parenthesised form, so a 900-term sum parsed but printed to text that did not.
    auto sum = [](int n) -> QString { return QStringLiteral("1 + ").repeated(n - 1) + QStringLiteral("1 == 1"); };
    auto ifs = [](int n) -> QString {
        return QStringLiteral("if ").repeated(n) + QStringLiteral("true")
                + QStringLiteral(" then 1 else 2").repeated(n) + QStringLiteral(" == 1");
    };
    auto ors = [](int n) -> QString { return QStringLiteral("true && ").repeated(n) + QStringLiteral("true || false"); };
    QTest::newRow("sum of 300") << sum(300) << true;
    QTest::newRow("sum of 330") << sum(330) << false;
    QTest::newRow("sum of 900") << sum(900) << false;
    QTest::newRow("300 nested ifs") << ifs(300) << true;
    QTest::newRow("330 nested ifs") << ifs(330) << false;
    QTest::newRow("and-chain of 300 under an or") << ors(300) << true;
    QTest::newRow("and-chain of 900 under an or") << ors(900) << false;
}

void tst_CedarParser::tallExpressionsPrintBack()
{
    QFETCH(QString, condition);
    QFETCH(bool, accepted);
    const PolicyParser::Parsed parsed =
            PolicyParser::parse(QStringLiteral("permit(principal, action, resource) when { %1 };").arg(condition));
    if (!accepted) {
        QCOMPARE(parsed.errors.size(), 1);
        QVERIFY2(parsed.errors.front().message.contains(QLatin1String("nested too deeply")),
                 qPrintable(parsed.errors.front().message));
        return;
    }
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.errors.front().toString()));
    const QString printed = parsed.policies.front().toString();
    const PolicyParser::Parsed again = PolicyParser::parse(printed);
    QVERIFY2(again.ok(), again.ok() ? "" : qPrintable(again.errors.front().toString()));
    QCOMPARE(again.policies.front().toString(), printed);
}

void tst_CedarParser::mutatedPoliciesNeverCrash()
{
    // Damaged policies (as a user mid-edit produces them) either parse, and then print back to
    // text that parses the same, or give errors with a place inside the text; never a crash.
    const QString base = QStringLiteral(
            "@id(\"a\") permit(principal is User in Group::\"g\", action in [Action::\"v\"], resource)\n"
            "when { context.n + 1 > 2 && [1, \"x\", {a: ip(\"10.0.0.1\")}].contains(context.s) }\n"
            "unless { principal has a.b || resource.x like \"*a\\*\" || (if true then -1 < 2 else false) };\n"
            "forbid(principal, action == Action::\"e\", resource == P::\"q\") when { decimal(\"1.5\").lessThan(context.d) };\n");
    const QString alphabet = QStringLiteral("()[]{},;.:@?<>=!&|+-*\"\\ \nabxin0129_");
    QRandomGenerator random(20240611);
    int parsedOk = 0;
    for (int round = 0; round < 2000; ++round) {
        QString text = base;
        const int edits = 1 + random.bounded(4);
        for (int i = 0; i < edits; ++i) {
            const int at = random.bounded(int(text.size()));
            if (random.bounded(2) == 0)
                text.remove(at, 1 + random.bounded(3));
            else
                text.insert(at, alphabet.at(random.bounded(int(alphabet.size()))));
        }
        const PolicyParser::Parsed parsed = PolicyParser::parse(text);
        const int lines = int(text.count(QLatin1Char('\n'))) + 1;
        for (const Diagnostic &d : parsed.errors)
            QVERIFY2(d.line >= 1 && d.line <= lines && d.column >= 1, qPrintable(text + QLatin1Char('\n') + d.toString()));
        if (!parsed.ok())
            continue;
        ++parsedOk;
        for (const Policy &p : parsed.policies) {
            const PolicyParser::Parsed again = PolicyParser::parse(p.toString());
            QVERIFY2(again.ok() && again.policies.size() == 1, qPrintable(text + QLatin1Char('\n') + p.toString()));
            QCOMPARE(again.policies.front().toString(), p.toString());
        }
    }
    QVERIFY(PolicyParser::parse(base).ok());
    QVERIFY(parsedOk > 10); // some mutations keep the text valid, so the round trip is exercised
}

QTEST_GUILESS_MAIN(tst_CedarParser)
#include "tst_cedarparser.moc"
