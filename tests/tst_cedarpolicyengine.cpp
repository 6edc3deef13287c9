// Spool's tool policies on Cedar: the built-in defaults, user policy folders (with problems
// reported at file, line and column, and failing closed), @ask, erroring forbids, how a tool
// call becomes a Cedar request, and explanations.

#include "policy/cedarpolicyengine.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace Spool;

class tst_CedarPolicyEngine : public QObject
{
    Q_OBJECT
private slots:
    void defaultsLoad();
    void defaults_data();
    void defaults();
    void userPolicies();
    void problemsFailClosed_data();
    void problemsFailClosed();
    void erroringForbidDenies();
    void erroringPermitIsSkipped();
    void arguments_data();
    void arguments();
    void explain();
    void addPoliciesAndIds();
};

namespace {

PolicyRequest toolCall(const QString &tool, const QStringList &capabilities = {},
                       const QString &risk = QStringLiteral("low"), bool requiresApproval = false,
                       const QJsonObject &arguments = {})
{
    PolicyRequest r;
    r.principal = QStringLiteral("alice");
    r.tool = tool;
    r.capabilities = capabilities;
    r.risk = risk;
    r.toolRequiresApproval = requiresApproval;
    r.arguments = arguments;
    r.sessionId = QStringLiteral("01HSESSION");
    r.agent = QStringLiteral("default");
    r.workspace = QStringLiteral("/home/alice/project");
    return r;
}

bool writeFile(const QString &path, const QString &text)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    f.write(text.toUtf8());
    return true;
}

} // namespace

void tst_CedarPolicyEngine::defaultsLoad()
{
    CedarPolicyEngine engine;
    QVERIFY2(engine.problems().isEmpty(), qPrintable(engine.problems().value(0).toString()));
    QCOMPARE(engine.policyIds(), (QStringList{QStringLiteral("default.read-only"), QStringLiteral("default.side-effects"),
                                              QStringLiteral("default.high-risk"), QStringLiteral("default.tool-asks"),
                                              QStringLiteral("default.memory-write"), QStringLiteral("default.mcp")}));
    QCOMPARE(engine.name(), QStringLiteral("cedar"));
}

void tst_CedarPolicyEngine::defaults_data()
{
    QTest::addColumn<QStringList>("capabilities");
    QTest::addColumn<QString>("risk");
    QTest::addColumn<bool>("requiresApproval");
    QTest::addColumn<PolicyEffect>("effect");
    QTest::addColumn<QStringList>("determining");

    const QString readOnly = QStringLiteral("default.read-only");
    const QString sideEffects = QStringLiteral("default.side-effects");
    const QString highRisk = QStringLiteral("default.high-risk");
    const QString toolAsks = QStringLiteral("default.tool-asks");
    QTest::newRow("no capabilities") << QStringList() << "low" << false << PolicyEffect::Allow << QStringList{readOnly};
    QTest::newRow("reads") << QStringList{"fs.read"} << "medium" << false << PolicyEffect::Allow << QStringList{readOnly};
    QTest::newRow("writes") << QStringList{"fs.write"} << "low" << false << PolicyEffect::Ask << QStringList{sideEffects};
    QTest::newRow("reads and runs") << QStringList{"fs.read", "process"} << "low" << false << PolicyEffect::Ask << QStringList{sideEffects};
    QTest::newRow("network") << QStringList{"network"} << "low" << false << PolicyEffect::Ask << QStringList{sideEffects};
    QTest::newRow("unknown capability") << QStringList{"gpu"} << "low" << false << PolicyEffect::Ask << QStringList{sideEffects};
    QTest::newRow("reads memory") << QStringList{"memory.read"} << "low" << false << PolicyEffect::Allow << QStringList{readOnly};
    QTest::newRow("writes memory") << QStringList{"memory.write"} << "low" << false << PolicyEffect::Ask
                                   << QStringList{QStringLiteral("default.memory-write")};
    QTest::newRow("writes memory and files") << QStringList{"memory.write", "fs.write"} << "low" << false << PolicyEffect::Ask
                                             << QStringList{sideEffects, QStringLiteral("default.memory-write")};
    QTest::newRow("high-risk reader") << QStringList{"fs.read"} << "high" << false << PolicyEffect::Ask << QStringList{highRisk};
    QTest::newRow("high-risk network") << QStringList{"network"} << "high" << false << PolicyEffect::Ask << QStringList{sideEffects, highRisk};
    QTest::newRow("tool wants approval") << QStringList() << "low" << true << PolicyEffect::Ask << QStringList{toolAsks};
}

void tst_CedarPolicyEngine::defaults()
{
    QFETCH(QStringList, capabilities);
    QFETCH(QString, risk);
    QFETCH(bool, requiresApproval);
    QFETCH(PolicyEffect, effect);
    QFETCH(QStringList, determining);
    CedarPolicyEngine engine;
    const PolicyDecision d = engine.decide(toolCall(QStringLiteral("some_tool"), capabilities, risk, requiresApproval));
    QCOMPARE(d.effect, effect);
    QCOMPARE(d.determining, determining);
    QVERIFY(d.erroring.isEmpty());
    QVERIFY(d.explanation.contains(QLatin1String("some_tool")) || effect == PolicyEffect::Ask);
    if (effect == PolicyEffect::Ask)
        QVERIFY2(d.explanation.contains(QLatin1String("approval")), qPrintable(d.explanation));
}

void tst_CedarPolicyEngine::userPolicies()
{
    QTemporaryDir dir;
    QVERIFY(writeFile(dir.filePath(QStringLiteral("10-forbid.cedar")), QStringLiteral(
            "@id(\"no-delete\")\n@reason(\"Nothing is ever deleted.\")\n"
            "forbid (principal, action, resource == Tool::\"delete_file\");\n")));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("20-scratch.cedar")), QStringLiteral(
            "// Writing in the scratch folder needs no approval.\n"
            "permit (principal == User::\"alice\", action == Action::\"tool.execute\", resource == Tool::\"write_file\")\n"
            "when { context.arguments.path like \"/tmp/*\" };\n")));
    QVERIFY(writeFile(dir.filePath(QStringLiteral("notes.txt")), QStringLiteral("not a policy")));

    CedarPolicyEngine engine;
    QVERIFY(engine.loadUserPolicies(dir.path()).isEmpty());
    QCOMPARE(engine.policyIds().size(), 8);
    QVERIFY(engine.policyIds().contains(QStringLiteral("20-scratch.cedar:policy0")));

    // A forbid wins over the default permits, and its @reason is shown.
    PolicyDecision d = engine.decide(toolCall(QStringLiteral("delete_file"), {QStringLiteral("fs.write")}));
    QCOMPARE(d.effect, PolicyEffect::Deny);
    QCOMPARE(d.determining, QStringList{QStringLiteral("no-delete")});
    QVERIFY2(d.explanation.contains(QLatin1String("Nothing is ever deleted.")), qPrintable(d.explanation));

    // A user permit without @ask lets the call run at once ...
    d = engine.decide(toolCall(QStringLiteral("write_file"), {QStringLiteral("fs.write")}, QStringLiteral("low"), false,
                               QJsonObject{{QStringLiteral("path"), QStringLiteral("/tmp/notes.md")}}));
    QCOMPARE(d.effect, PolicyEffect::Allow);
    QCOMPARE(d.determining, QStringList{QStringLiteral("20-scratch.cedar:policy0")});
    // ... only where it matches; elsewhere the default still asks.
    d = engine.decide(toolCall(QStringLiteral("write_file"), {QStringLiteral("fs.write")}, QStringLiteral("low"), false,
                               QJsonObject{{QStringLiteral("path"), QStringLiteral("/etc/passwd")}}));
    QCOMPARE(d.effect, PolicyEffect::Ask);

    // Reloading an emptied folder removes the user policies.
    QVERIFY(QFile::remove(dir.filePath(QStringLiteral("10-forbid.cedar"))));
    QVERIFY(QFile::remove(dir.filePath(QStringLiteral("20-scratch.cedar"))));
    QVERIFY(engine.loadUserPolicies(dir.path()).isEmpty());
    QCOMPARE(engine.policyIds().size(), 6);
    QCOMPARE(engine.decide(toolCall(QStringLiteral("delete_file"), {QStringLiteral("fs.write")})).effect, PolicyEffect::Ask);
    // A folder that does not exist means no user policies.
    QVERIFY(engine.loadUserPolicies(dir.filePath(QStringLiteral("missing"))).isEmpty());
}

void tst_CedarPolicyEngine::problemsFailClosed_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("line");
    QTest::addColumn<int>("column");
    QTest::addColumn<QString>("message");

    QTest::newRow("syntax") << "forbid (principal, action, resource)\nwhen { context.risk == };" << 2 << 24
                            << "expected an expression";
    QTest::newRow("unknown action") << "\n  permit (principal, action == Action::\"tool.run\", resource);" << 2 << 3
                                    << "unknown action Action::\"tool.run\"";
    QTest::newRow("unknown context attribute")
            << "forbid (principal, action, resource)\nwhen { context.tool == \"x\" };" << 2 << 8
            << "the context has no attribute \"tool\"";
    QTest::newRow("ask on a forbid") << "@ask forbid (principal, action, resource);" << 1 << 1
                                     << "@ask only applies to permit";
    QTest::newRow("wrong argument count")
            << "permit (principal, action, resource)\nwhen {\n  ip(\"10.0.0.1\", \"x\").isLoopback() };" << 3 << 3
            << "ip takes 1 argument";
    QTest::newRow("wrong resource type") << "forbid (principal, action, resource == File::\"a\");" << 1 << 1
                                         << "always a Tool entity";
    QTest::newRow("id taken by a default") << "@id(\"default.read-only\") forbid (principal, action, resource);"
                                           << 1 << 1 << "already used";
}

void tst_CedarPolicyEngine::problemsFailClosed()
{
    QFETCH(QString, text);
    QFETCH(int, line);
    QFETCH(int, column);
    QFETCH(QString, message);

    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("mine.cedar"));
    QVERIFY(writeFile(file, text));
    CedarPolicyEngine engine;
    const QList<PolicyProblem> problems = engine.loadUserPolicies(dir.path());
    QCOMPARE(problems.size(), 1);
    const PolicyProblem &p = problems.front();
    QCOMPARE(p.file, QStringLiteral("mine.cedar"));
    QVERIFY2(p.message.contains(message), qPrintable(p.toString()));
    QCOMPARE(p.line, line);
    QCOMPARE(p.column, column);
    QCOMPARE(engine.problems().size(), 1);
    if (!message.contains(QLatin1String("already used")))
        QCOMPARE(CedarPolicyEngine::validate(text, QStringLiteral("mine.cedar")).size(), 1);

    // While a file has problems nothing runs, not even what the defaults allow: a forbid with a
    // typo must not silently disappear.
    const PolicyDecision d = engine.decide(toolCall(QStringLiteral("read_file"), {QStringLiteral("fs.read")}));
    QCOMPARE(d.effect, PolicyEffect::Deny);
    QVERIFY2(d.explanation.contains(QStringLiteral("mine.cedar:%1:%2").arg(line).arg(column)), qPrintable(d.explanation));

    // Fixing the file and reloading restores the defaults.
    QVERIFY(writeFile(file, QStringLiteral("// nothing yet\n")));
    QVERIFY(engine.loadUserPolicies(dir.path()).isEmpty());
    QVERIFY(engine.problems().isEmpty());
    QCOMPARE(engine.decide(toolCall(QStringLiteral("read_file"), {QStringLiteral("fs.read")})).effect, PolicyEffect::Allow);
}

void tst_CedarPolicyEngine::erroringForbidDenies()
{
    CedarPolicyEngine engine;
    QVERIFY(engine.addPolicies(QStringLiteral("@id(\"size-limit\")\nforbid (principal, action, resource)\n"
                                              "when { context.arguments.size > 1000 };"),
                               QStringLiteral("limits.cedar")).isEmpty());
    // Without a size argument the forbid errors; Cedar would skip it and allow, Spool denies.
    PolicyDecision d = engine.decide(toolCall(QStringLiteral("read_file"), {QStringLiteral("fs.read")}));
    QCOMPARE(d.effect, PolicyEffect::Deny);
    QCOMPARE(d.determining, QStringList{QStringLiteral("size-limit")});
    QCOMPARE(d.erroring, QStringList{QStringLiteral("size-limit")});
    QVERIFY2(d.explanation.contains(QLatin1String("could not be evaluated")), qPrintable(d.explanation));
    QVERIFY2(d.explanation.contains(QLatin1String("size")), qPrintable(d.explanation));

    d = engine.decide(toolCall(QStringLiteral("read_file"), {QStringLiteral("fs.read")}, QStringLiteral("low"), false,
                               QJsonObject{{QStringLiteral("size"), 10}}));
    QCOMPARE(d.effect, PolicyEffect::Allow);
    QVERIFY(d.erroring.isEmpty());
}

void tst_CedarPolicyEngine::erroringPermitIsSkipped()
{
    CedarPolicyEngine engine(CedarPolicyEngine::Defaults::None);
    QVERIFY(engine.addPolicies(QStringLiteral("permit (principal, action, resource) when { context.arguments.x };\n"
                                              "permit (principal, action, resource == Tool::\"clock\");"),
                               QStringLiteral("p.cedar")).isEmpty());
    PolicyDecision d = engine.decide(toolCall(QStringLiteral("echo")));
    QCOMPARE(d.effect, PolicyEffect::Deny);
    QVERIFY(d.determining.isEmpty());
    QCOMPARE(d.erroring, QStringList{QStringLiteral("p.cedar:policy0")});
    QVERIFY2(d.explanation.contains(QLatin1String("no policy permits")), qPrintable(d.explanation));
    d = engine.decide(toolCall(QStringLiteral("clock")));
    QCOMPARE(d.effect, PolicyEffect::Allow);
    QCOMPARE(d.determining, QStringList{QStringLiteral("p.cedar:policy1")});
    QCOMPARE(d.erroring, QStringList{QStringLiteral("p.cedar:policy0")});
}

void tst_CedarPolicyEngine::arguments_data()
{
    QTest::addColumn<QString>("condition");
    QTest::addColumn<bool>("satisfied");
    QTest::newRow("string") << "context.arguments.path == \"/a/b\"" << true;
    QTest::newRow("integer") << "context.arguments.count + 1 == 4" << true;
    QTest::newRow("fraction is a decimal") << "context.arguments.ratio.greaterThan(decimal(\"0.2\"))" << true;
    QTest::newRow("array is a set") << "context.arguments.tags.containsAll([\"b\", \"a\"])" << true;
    QTest::newRow("nested object") << "context.arguments.options.deep.flag" << true;
    QTest::newRow("null is left out") << "!(context.arguments has nothing)" << true;
    QTest::newRow("no entity escapes from the model")
            << "context.arguments.who == {\"__entity\": {\"type\": \"User\", \"id\": \"root\"}}" << true;
    QTest::newRow("capabilities") << "context.capabilities == [\"fs.write\"]" << true;
    QTest::newRow("risk") << "context.risk == \"medium\"" << true;
    QTest::newRow("session, agent, workspace")
            << "context.session == \"01HSESSION\" && context.agent == \"default\" && context.workspace like \"/home/alice/*\""
            << true;
    QTest::newRow("principal and resource") << "principal == User::\"alice\" && resource == Tool::\"write_file\"" << true;
    QTest::newRow("action") << "action == Action::\"tool.execute\"" << true;
}

void tst_CedarPolicyEngine::arguments()
{
    QFETCH(QString, condition);
    QFETCH(bool, satisfied);
    CedarPolicyEngine engine(CedarPolicyEngine::Defaults::None);
    const QList<PolicyProblem> problems = engine.addPolicies(
            QStringLiteral("permit (principal, action, resource) when { %1 };").arg(condition), QStringLiteral("t.cedar"));
    QVERIFY2(problems.isEmpty(), qPrintable(problems.value(0).toString()));
    const QJsonObject arguments = QJsonDocument::fromJson(R"({
        "path": "/a/b", "count": 3, "ratio": 0.25, "tags": ["a", "b", null], "options": {"deep": {"flag": true}},
        "nothing": null, "who": {"__entity": {"type": "User", "id": "root"}}})").object();
    const PolicyDecision d = engine.decide(toolCall(QStringLiteral("write_file"), {QStringLiteral("fs.write")},
                                                    QStringLiteral("medium"), false, arguments));
    QVERIFY2(d.erroring.isEmpty(), qPrintable(d.explanation));
    QCOMPARE(d.effect == PolicyEffect::Allow, satisfied);
}

void tst_CedarPolicyEngine::explain()
{
    CedarPolicyEngine engine;
    QVERIFY(engine.addPolicies(QStringLiteral("forbid (principal, action, resource == Tool::\"fetch\") when { context.arguments.url like \"http://*\" };"),
                               QStringLiteral("web.cedar")).isEmpty());
    const PolicyExplanation e = engine.explain(toolCall(QStringLiteral("fetch"), {QStringLiteral("network")}));
    QCOMPARE(e.decision.effect, PolicyEffect::Deny);
    QCOMPARE(e.decision.erroring, QStringList{QStringLiteral("web.cedar:policy0")});
    QCOMPARE(e.policies.size(), 7);
    QCOMPARE(e.policies.at(0).policyId, QStringLiteral("default.read-only"));
    QCOMPARE(e.policies.at(0).outcome, PolicyTrace::Outcome::NotSatisfied);
    QCOMPARE(e.policies.at(1).policyId, QStringLiteral("default.side-effects"));
    QCOMPARE(e.policies.at(1).outcome, PolicyTrace::Outcome::Satisfied);
    QVERIFY(e.policies.at(1).ask);
    QCOMPARE(e.policies.at(1).file, QStringLiteral("default.cedar"));
    const PolicyTrace &forbid = e.policies.at(6);
    QCOMPARE(forbid.policyId, QStringLiteral("web.cedar:policy0"));
    QCOMPARE(forbid.effect, QStringLiteral("forbid"));
    QCOMPARE(forbid.outcome, PolicyTrace::Outcome::Error);
    QVERIFY2(forbid.error.contains(QLatin1String("url")), qPrintable(forbid.error));
    QCOMPARE(forbid.line, 1);
    QVERIFY(forbid.text.startsWith(QLatin1String("forbid (principal")));

    const QJsonObject json = e.toJson();
    QCOMPARE(json.value(QLatin1String("decision")).toString(), QStringLiteral("deny"));
    QCOMPARE(json.value(QLatin1String("policies")).toArray().size(), 7);
    QCOMPARE(json.value(QLatin1String("policies")).toArray().at(6).toObject().value(QLatin1String("outcome")).toString(),
             QStringLiteral("error"));
    // explain() and decide() agree.
    const PolicyDecision d = engine.decide(toolCall(QStringLiteral("fetch"), {QStringLiteral("network")}));
    QCOMPARE(d.effect, e.decision.effect);
    QCOMPARE(d.determining, e.decision.determining);
}

void tst_CedarPolicyEngine::addPoliciesAndIds()
{
    CedarPolicyEngine engine(CedarPolicyEngine::Defaults::None);
    QVERIFY(engine.policyIds().isEmpty());
    QCOMPARE(engine.decide(toolCall(QStringLiteral("clock"))).effect, PolicyEffect::Deny);
    QVERIFY(engine.addPolicies(QStringLiteral("@id(\"a\") permit (principal, action, resource);\n"
                                              "@ask(\"Check first.\") permit (principal, action, resource == Tool::\"clock\");"),
                               QStringLiteral("grants.cedar")).isEmpty());
    QCOMPARE(engine.policyIds(), (QStringList{QStringLiteral("a"), QStringLiteral("grants.cedar:policy1")}));
    // A plain permit that matches wins over an @ask one.
    PolicyDecision d = engine.decide(toolCall(QStringLiteral("clock")));
    QCOMPARE(d.effect, PolicyEffect::Allow);
    QCOMPARE(d.determining, QStringList{QStringLiteral("a")});
    // A second text reusing an id is refused as a whole, and the engine fails closed.
    const QList<PolicyProblem> problems = engine.addPolicies(QStringLiteral("@id(\"a\") forbid (principal, action, resource);"),
                                                             QStringLiteral("more.cedar"));
    QCOMPARE(problems.size(), 1);
    QCOMPARE(engine.policyIds().size(), 2);
    QCOMPARE(engine.decide(toolCall(QStringLiteral("clock"))).effect, PolicyEffect::Deny);
}

QTEST_GUILESS_MAIN(tst_CedarPolicyEngine)
#include "tst_cedarpolicyengine.moc"
