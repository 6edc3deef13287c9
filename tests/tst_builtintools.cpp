// The built-in tools as the engine sees them: registered by the Gateway, described by strict
// schemas that turn hostile arguments into clear errors before policy, and reachable through
// the same orchestrator path the agent uses.

#include "testsupport.h"

#include "tools/builtintools.h"
#include "tools/toolregistry.h"

#include <QDir>
#include <QJsonArray>
#include <QTest>

using namespace Spool;

class tst_BuiltinTools : public QObject
{
    Q_OBJECT
private slots:
    void registered();
    void schemasAreStrict_data();
    void schemasAreStrict();
    void hostileArgumentsRejectedBeforePolicy_data();
    void hostileArgumentsRejectedBeforePolicy();
    void throughTheGateway();
};

void tst_BuiltinTools::registered()
{
    ToolRegistry registry;
    QVERIFY(registerBuiltinTools(registry, ToolOptions{}));
    QStringList names;
    for (const ToolSpec &s : registry.specs())
        names << s.name;
    QCOMPARE(names, (QStringList{"fs.list", "fs.read", "fs.search", "fs.write", "http.fetch", "shell.exec"}));
    // Registering again (the settings changed) replaces each tool in place.
    QVERIFY(registerBuiltinTools(registry, ToolOptions{}));
    QStringList replaced;
    for (const ToolSpec &s : registry.specs())
        replaced << s.name;
    QCOMPARE(replaced, names);

    Test::TempEnvironment env;
    auto gateway = Test::openGateway(env.config);
    QVERIFY(gateway);
    QStringList all;
    for (const ToolSpec &s : gateway->tools().specs())
        all << s.name;
    for (const QString &name : {QStringLiteral("echo"), QStringLiteral("clock"), QStringLiteral("fs.read"),
                                QStringLiteral("fs.write"), QStringLiteral("shell.exec"), QStringLiteral("http.fetch")})
        QVERIFY2(all.contains(name), qPrintable(name));
    QCOMPARE(defaultToolOptions(env.dataDir()).workspaceRoot, env.dataDir() + QStringLiteral("/workspaces"));
}

void tst_BuiltinTools::schemasAreStrict_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QStringList>("capabilities");
    QTest::addColumn<QString>("risk");
    QTest::addColumn<bool>("asks");
    QTest::newRow("fs.read") << "fs.read" << QStringList{"fs.read"} << "low" << false;
    QTest::newRow("fs.list") << "fs.list" << QStringList{"fs.read"} << "low" << false;
    QTest::newRow("fs.search") << "fs.search" << QStringList{"fs.read"} << "low" << false;
    QTest::newRow("fs.write") << "fs.write" << QStringList{"fs.write"} << "medium" << true;
    QTest::newRow("shell.exec") << "shell.exec" << QStringList{"process", "fs.read", "fs.write"} << "high" << true;
    QTest::newRow("http.fetch") << "http.fetch" << QStringList{"network"} << "medium" << true;
}

void tst_BuiltinTools::schemasAreStrict()
{
    QFETCH(QString, tool);
    QFETCH(QStringList, capabilities);
    QFETCH(QString, risk);
    QFETCH(bool, asks);
    ToolRegistry registry;
    QVERIFY(registerBuiltinTools(registry, ToolOptions{}));
    const ToolSpec spec = registry.tool(tool)->spec();
    QCOMPARE(spec.capabilities, capabilities);
    QCOMPARE(toolRiskName(spec.risk), risk);
    QCOMPARE(spec.requiresApproval, asks);
    QVERIFY(!spec.description.isEmpty());
    QCOMPARE(spec.parameters.value(QStringLiteral("type")).toString(), QStringLiteral("object"));
    QCOMPARE(spec.parameters.value(QStringLiteral("additionalProperties")).toBool(true), false);
    const QJsonObject props = spec.parameters.value(QStringLiteral("properties")).toObject();
    for (auto it = props.begin(); it != props.end(); ++it) {
        const QJsonObject p = it.value().toObject();
        QVERIFY2(!p.value(QStringLiteral("description")).toString().isEmpty(), qPrintable(it.key()));
        if (p.value(QStringLiteral("type")).toString() == QLatin1String("string"))
            QVERIFY2(p.contains(QStringLiteral("maxLength")) || p.contains(QStringLiteral("enum")),
                     qPrintable(tool + QLatin1Char('.') + it.key()));
    }
}

void tst_BuiltinTools::hostileArgumentsRejectedBeforePolicy_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QJsonObject>("arguments");
    QTest::addColumn<QString>("expect");
    const QString huge(5 * 1024 * 1024, QLatin1Char('x'));
    QTest::newRow("unknown property") << "fs.read"
                                      << QJsonObject{{"path", "a"}, {"follow_symlinks", true}} << "'follow_symlinks'";
    QTest::newRow("missing path") << "fs.read" << QJsonObject{} << "path";
    QTest::newRow("path not string") << "fs.read" << QJsonObject{{"path", 12}} << "path";
    QTest::newRow("huge path") << "fs.read" << QJsonObject{{"path", huge}} << "path";
    QTest::newRow("negative offset") << "fs.read" << QJsonObject{{"path", "a"}, {"offset", -5}} << "offset";
    QTest::newRow("huge content") << "fs.write" << QJsonObject{{"path", "a"}, {"content", huge}} << "content";
    QTest::newRow("edit extra field") << "fs.write"
                                      << QJsonObject{{"path", "a"},
                                                     {"edits", QJsonArray{QJsonObject{{"old_text", "a"}, {"new_text", "b"}, {"regex", true}}}}}
                                      << "'regex'";
    QTest::newRow("empty old_text") << "fs.write"
                                    << QJsonObject{{"path", "a"}, {"edits", QJsonArray{QJsonObject{{"old_text", ""}, {"new_text", "b"}}}}}
                                    << "old_text";
    QTest::newRow("huge command") << "shell.exec" << QJsonObject{{"command", huge}} << "command";
    // Found by fuzz/fuzz_toolargs: the schema check measured strings up to their first NUL.
    const QString nul(1, QChar(0));
    QTest::newRow("huge command behind a NUL") << "shell.exec" << QJsonObject{{"command", QString("ls" + nul + huge)}} << "[command]: contains a NUL";
    QTest::newRow("NUL in a path") << "fs.read" << QJsonObject{{"path", QString("a" + nul + "b")}} << "[path]: contains a NUL";
    QTest::newRow("NUL deep inside") << "fs.write"
                                     << QJsonObject{{"path", "a"}, {"edits", QJsonArray{QJsonObject{{"old_text", "a"}, {"new_text", nul}}}}}
                                     << "[edits][0][new_text]: contains a NUL";
    QTest::newRow("NUL in a key") << "fs.read" << QJsonObject{{"path", "a"}, {QString("x" + nul), 1}} << "contains a NUL";
    QTest::newRow("env smuggling") << "shell.exec" << QJsonObject{{"command", "ls"}, {"env", QJsonObject{{"LD_PRELOAD", "x"}}}} << "'env'";
    QTest::newRow("timeout type") << "shell.exec" << QJsonObject{{"command", "ls"}, {"timeout_ms", "forever"}} << "timeout_ms";
    QTest::newRow("method") << "http.fetch" << QJsonObject{{"url", "http://x/"}, {"method", "POST"}} << "method";
    QTest::newRow("headers") << "http.fetch" << QJsonObject{{"url", "http://x/"}, {"headers", QJsonObject{}}} << "'headers'";
    QTest::newRow("search depth") << "fs.list" << QJsonObject{{"depth", 1000}} << "depth";
}

void tst_BuiltinTools::hostileArgumentsRejectedBeforePolicy()
{
    QFETCH(QString, tool);
    QFETCH(QJsonObject, arguments);
    QFETCH(QString, expect);
    ToolRegistry registry;
    QVERIFY(registerBuiltinTools(registry, ToolOptions{}));
    const Status s = registry.validateArguments(tool, arguments);
    QVERIFY(!s);
    QVERIFY2(s.errorMessage().contains(expect), qPrintable(s.errorMessage()));
    QVERIFY2(s.errorMessage().size() < 2000, "the error must not echo a huge argument");
}

void tst_BuiltinTools::throughTheGateway()
{
    // The deterministic provider asks for fs.list, fs.read and shell.exec; the orchestrator
    // runs the first two (low risk, no approval) in the session's default workspace, and holds
    // the command for approval.
    Test::TempEnvironment env;
    auto gateway = Test::openGateway(env.config);
    QVERIFY(gateway);
    RunRequest request;
    request.text = QStringLiteral("[[tool fs.list {}]] [[tool fs.read {\"path\": \"../../journal.sqlite3\"}]] "
                                  "[[tool shell.exec {\"command\": \"ls\"}]]");
    request.source = QStringLiteral("test");
    auto run = gateway->startRun(request);
    QVERIFY2(run, qPrintable(run.errorMessage()));
    QJsonObject approval;
    QList<QJsonObject> outputs;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        outputs.clear();
        auto tape = gateway->inspection().tape(run->id);
        if (!tape)
            return false;
        for (const TapeEvent &e : *tape) {
            if (e.kind == QLatin1String("tool.output"))
                outputs << e.payload;
            if (e.kind == QLatin1String("approval.request"))
                approval = e.payload;
        }
        return !approval.isEmpty();
    }()), 10000);
    QCOMPARE(outputs.size(), 2);
    QCOMPARE(outputs[0].value(QStringLiteral("tool")).toString(), QStringLiteral("fs.list"));
    QVERIFY(outputs[0].value(QStringLiteral("ok")).toBool());
    QCOMPARE(outputs[1].value(QStringLiteral("tool")).toString(), QStringLiteral("fs.read"));
    QVERIFY(!outputs[1].value(QStringLiteral("ok")).toBool());
    QVERIFY2(outputs[1].value(QStringLiteral("output")).toString().contains(QLatin1String("'..'")),
             qPrintable(outputs[1].value(QStringLiteral("output")).toString()));
    QCOMPARE(approval.value(QStringLiteral("tool")).toString(), QStringLiteral("shell.exec"));
    QCOMPARE(approval.value(QStringLiteral("risk")).toString(), QStringLiteral("high"));
    auto session = gateway->sessions().find(run->sessionId);
    QVERIFY(session);
    QVERIFY(QFileInfo(env.dataDir() + QStringLiteral("/workspaces/") + run->sessionId).isDir());
    QVERIFY(gateway->cancelRun(run->id, QStringLiteral("test")));
}

QTEST_GUILESS_MAIN(tst_BuiltinTools)
#include "tst_builtintools.moc"
