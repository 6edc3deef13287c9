// The policy side of the `spool` command line end to end: real processes on a real journal and
// config folder in a temporary directory. `spool policy test|explain|check|list`, broken
// policies made loud, and "always" grants decided, listed and revoked from the terminal.

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include "spoolprocess.h"
#include <QTest>

class tst_PolicyCli : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void usageErrors_data();
    void usageErrors();
    void policyTestPassesCedarSuites_data();
    void policyTestPassesCedarSuites();
    void policyTestReportsMismatches();
    void policyCheckReportsPositions();
    void policyExplainNamesThePolicy();
    void policyListShowsWhatIsLoaded();
    void brokenPoliciesAreLoud();
    void alwaysGrantsFromTheCommandLine();

private:
    using Output = Spool::Test::SpoolOutput;
    Output spool(const QStringList &args);
    QJsonValue json(const QStringList &args);
    QProcess *startSpool(const QStringList &args);
    QString policyFolder() const { return m_dir->filePath(QStringLiteral("config/policies")); }
    void writeFile(const QString &path, const QByteArray &content);

    std::unique_ptr<QTemporaryDir> m_dir;
    QList<QProcess *> m_background;
};

void tst_PolicyCli::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void tst_PolicyCli::cleanup()
{
    Spool::Test::stopAll(m_background);
    m_dir.reset();
}

namespace {

QProcessEnvironment environmentFor(const QTemporaryDir &dir)
{
    return Spool::Test::spoolEnvironment(dir.path());
}

const QByteArray kAllowLs = "@id(\"allow-ls\")\n"
                            "permit (principal, action == Action::\"tool.execute\", resource == Tool::\"shell.exec\")\n"
                            "when { context.arguments.argv0 == \"ls\" && !context.arguments.is_compound &&\n"
                            "       !context.arguments.runs_other_commands };\n";

const QByteArray kBroken = "// a typo\nforbid (principal, action, resource)\nwhen { context.risk == };\n";

} // namespace

tst_PolicyCli::Output tst_PolicyCli::spool(const QStringList &args)
{
    return Spool::Test::runSpool(environmentFor(*m_dir), args);
}

QJsonValue tst_PolicyCli::json(const QStringList &args)
{
    const Output o = spool(args + QStringList{QStringLiteral("--json")});
    const QJsonDocument doc = QJsonDocument::fromJson(o.out.toUtf8());
    if (doc.isArray())
        return doc.array();
    return doc.object();
}

QProcess *tst_PolicyCli::startSpool(const QStringList &args)
{
    QProcess *p = Spool::Test::startSpool(environmentFor(*m_dir), args);
    m_background.append(p);
    return p;
}

void tst_PolicyCli::writeFile(const QString &path, const QByteArray &content)
{
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(content);
}

void tst_PolicyCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("no action") << QStringList{"policy"};
    QTest::newRow("unknown action") << QStringList{"policy", "frobnicate"};
    QTest::newRow("explain without a tool") << QStringList{"policy", "explain", "--args", "{}"};
    QTest::newRow("explain with bad JSON") << QStringList{"policy", "explain", "--tool", "echo", "--args", "{\"text\": "};
    QTest::newRow("explain with a list") << QStringList{"policy", "explain", "--tool", "echo", "--args", "[1]"};
    QTest::newRow("test without files") << QStringList{"policy", "test"};
    QTest::newRow("check two folders") << QStringList{"policy", "check", "a", "b"};
    QTest::newRow("tool for list") << QStringList{"policy", "list", "--tool", "echo"};
    QTest::newRow("deny always") << QStringList{"approvals", "decide", "01ZZZZZZ", "deny", "--scope", "always"};
    QTest::newRow("bad scope") << QStringList{"approvals", "decide", "01ZZZZZZ", "allow", "--scope", "forever"};
    QTest::newRow("revoke without id") << QStringList{"approvals", "revoke"};
}

void tst_PolicyCli::usageErrors()
{
    QFETCH(QStringList, args);
    const Output o = spool(args);
    QCOMPARE(o.code, 2);
    QVERIFY(o.out.isEmpty());
    QVERIFY2(o.err.startsWith(QStringLiteral("spool: ")), qPrintable(o.err));
}

void tst_PolicyCli::policyTestPassesCedarSuites_data()
{
    QTest::addColumn<QString>("suite");
    QTest::newRow("handwritten") << "tests";
    QTest::newRow("corpus part A, 00*") << "corpus";
}

void tst_PolicyCli::policyTestPassesCedarSuites()
{
    QFETCH(QString, suite);
    const QString suiteDir = QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/cedar-conformance");
    QVERIFY2(QFileInfo::exists(suiteDir), qPrintable(QStringLiteral("the Cedar suite is missing: %1").arg(suiteDir)));
    QString root = suiteDir;
    if (suite == QLatin1String("corpus")) {
        // A slice of part A, extracted for the test only.
        root = m_dir->filePath(QStringLiteral("suite"));
        QVERIFY(QDir().mkpath(root));
        QProcess tar;
        tar.setWorkingDirectory(root);
        tar.start(QStringLiteral("tar"), {QStringLiteral("xzf"), suiteDir + QStringLiteral("/corpus-tests-part-a.tar.gz"),
                                          QStringLiteral("--wildcards"), QStringLiteral("corpus-tests/00*")});
        QVERIFY(tar.waitForFinished(60000) && tar.exitCode() == 0);
    }
    QStringList files;
    QDirIterator it(QDir(root).filePath(suite == QLatin1String("corpus") ? QStringLiteral("corpus-tests") : suite),
                    {QStringLiteral("*.json")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString f = it.next();
        if (!f.endsWith(QLatin1String(".entities.json")))
            files.append(f);
    }
    files.sort();
    QVERIFY(files.size() >= 5);

    const Output o = spool(QStringList{QStringLiteral("policy"), QStringLiteral("test")} + files);
    QVERIFY2(o.code == 0, qPrintable(o.out.right(2000) + o.err));
    const QString summary = o.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts).constLast();
    QVERIFY2(summary.contains(QStringLiteral(" 0 failed, 0 skipped (%1 files)").arg(files.size())), qPrintable(summary));
    QVERIFY(!summary.startsWith(QLatin1String("0 passed")));

    const QJsonObject j = json(QStringList{QStringLiteral("policy"), QStringLiteral("test")} + files).toObject();
    QCOMPARE(j.value(QStringLiteral("failed")).toInt(), 0);
    QCOMPARE(j.value(QStringLiteral("skipped")).toInt(), 0);
    QCOMPARE(j.value(QStringLiteral("files")).toArray().size(), files.size());
    if (suite == QLatin1String("tests"))
        QCOMPARE(j.value(QStringLiteral("passed")).toInt(), 74); // the suite's 74 requests
}

void tst_PolicyCli::policyTestReportsMismatches()
{
    const QString dir = m_dir->filePath(QStringLiteral("mine"));
    writeFile(dir + QStringLiteral("/p.cedar"), "permit (principal == User::\"alice\", action, resource);\n");
    writeFile(dir + QStringLiteral("/e.json"), "[]");
    const QJsonObject request{{"principal", QJsonObject{{"type", "User"}, {"id", "alice"}}},
                              {"action", QJsonObject{{"type", "Action"}, {"id", "view"}}},
                              {"resource", QJsonObject{{"type", "Photo"}, {"id", "a.jpg"}}},
                              {"context", QJsonObject()}};
    QJsonObject alice = request;
    alice.insert(QStringLiteral("description"), QStringLiteral("alice may view"));
    alice.insert(QStringLiteral("decision"), QStringLiteral("allow"));
    alice.insert(QStringLiteral("reason"), QJsonArray{QStringLiteral("policy0")});
    alice.insert(QStringLiteral("errors"), QJsonArray());
    QJsonObject bob = request;
    bob.insert(QStringLiteral("description"), QStringLiteral("bob is wrongly expected to view"));
    bob.insert(QStringLiteral("principal"), QJsonObject{{"type", "User"}, {"id", "bob"}});
    bob.insert(QStringLiteral("decision"), QStringLiteral("allow"));
    bob.insert(QStringLiteral("reason"), QJsonArray{QStringLiteral("policy0")});
    bob.insert(QStringLiteral("errors"), QJsonArray());
    const QJsonObject test{{"policies", "p.cedar"}, {"entities", "e.json"}, {"schema", ""},
                           {"shouldValidate", false}, {"requests", QJsonArray{alice, bob}}};
    writeFile(dir + QStringLiteral("/t.json"), QJsonDocument(test).toJson());

    const Output o = spool({QStringLiteral("policy"), QStringLiteral("test"), dir + QStringLiteral("/t.json")});
    QCOMPARE(o.code, 1);
    QVERIFY2(o.out.contains(QStringLiteral("FAIL")), qPrintable(o.out));
    QVERIFY2(o.out.contains(QStringLiteral("bob is wrongly expected to view")), qPrintable(o.out));
    QVERIFY(o.out.contains(QStringLiteral("1 passed, 1 failed, 0 skipped (1 file)")));
    const QJsonObject j = json({QStringLiteral("policy"), QStringLiteral("test"), dir + QStringLiteral("/t.json")}).toObject();
    QCOMPARE(j.value(QStringLiteral("failed")).toInt(), 1);
    QCOMPARE(j.value(QStringLiteral("files")).toArray().at(0).toObject().value(QStringLiteral("failures")).toArray().size(), 1);

    QCOMPARE(spool({QStringLiteral("policy"), QStringLiteral("test"), dir + QStringLiteral("/missing.json")}).code, 4);
}

void tst_PolicyCli::policyCheckReportsPositions()
{
    // Nothing there yet: fine.
    const Output empty = spool({QStringLiteral("policy"), QStringLiteral("check")});
    QCOMPARE(empty.code, 0);
    QVERIFY2(empty.out.contains(QStringLiteral("no problems")), qPrintable(empty.out));

    writeFile(policyFolder() + QStringLiteral("/10-ls.cedar"), kAllowLs);
    writeFile(policyFolder() + QStringLiteral("/20-bad.cedar"), kBroken);
    const Output o = spool({QStringLiteral("policy"), QStringLiteral("check")});
    QCOMPARE(o.code, 1);
    const QStringList lines = o.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1);
    QVERIFY2(lines.at(0).startsWith(QDir(policyFolder()).filePath(QStringLiteral("20-bad.cedar:3:24: expected an expression"))),
             qPrintable(lines.at(0)));
    QVERIFY2(o.err.contains(QStringLiteral("denies every tool call")), qPrintable(o.err));

    const QJsonObject j = json({QStringLiteral("policy"), QStringLiteral("check")}).toObject();
    QCOMPARE(j.value(QStringLiteral("ok")).toBool(), false);
    const QJsonObject problem = j.value(QStringLiteral("problems")).toArray().at(0).toObject();
    QCOMPARE(problem.value(QStringLiteral("file")).toString(), QStringLiteral("20-bad.cedar"));
    QCOMPARE(problem.value(QStringLiteral("line")).toInt(), 3);
    QCOMPARE(problem.value(QStringLiteral("column")).toInt(), 24);

    // Another folder, given explicitly; and one that does not exist.
    const QString other = m_dir->filePath(QStringLiteral("draft"));
    writeFile(other + QStringLiteral("/ok.cedar"), kAllowLs);
    const Output good = spool({QStringLiteral("policy"), QStringLiteral("check"), other});
    QCOMPARE(good.code, 0);
    QVERIFY2(good.out.contains(QStringLiteral("1 file, 1 policy, no problems")), qPrintable(good.out));
    QCOMPARE(spool({QStringLiteral("policy"), QStringLiteral("check"), m_dir->filePath(QStringLiteral("nowhere"))}).code, 4);

    // Fixed, the folder checks clean.
    writeFile(policyFolder() + QStringLiteral("/20-bad.cedar"), "// fixed\n");
    QCOMPARE(spool({QStringLiteral("policy"), QStringLiteral("check")}).code, 0);
}

void tst_PolicyCli::policyExplainNamesThePolicy()
{
    writeFile(policyFolder() + QStringLiteral("/ls.cedar"), kAllowLs);
    const Output allowed = spool({QStringLiteral("policy"), QStringLiteral("explain"), QStringLiteral("--tool"),
                                  QStringLiteral("shell.exec"), QStringLiteral("--args"), QStringLiteral("{\"command\": \"ls -la\"}")});
    QCOMPARE(allowed.code, 0);
    QVERIFY2(allowed.out.startsWith(QStringLiteral("shell.exec {\"command\":\"ls -la\"}: allow\n")), qPrintable(allowed.out));
    QVERIFY(allowed.out.contains(QStringLiteral("deciding:  allow-ls")));
    QVERIFY(allowed.out.contains(QStringLiteral("\"is_compound\":false")));
    QVERIFY2(allowed.out.contains(QRegularExpression(QStringLiteral("\\* satisfied +permit +allow-ls +ls.cedar:1"))),
             qPrintable(allowed.out));
    QVERIFY(allowed.out.contains(QRegularExpression(QStringLiteral("not satisfied +permit +default.read-only"))));

    const Output compound = spool({QStringLiteral("policy"), QStringLiteral("explain"), QStringLiteral("--tool"),
                                   QStringLiteral("shell.exec"), QStringLiteral("--args"), QStringLiteral("{\"command\": \"ls | sh\"}")});
    QCOMPARE(compound.code, 0);
    QVERIFY2(compound.out.contains(QStringLiteral(": ask\n")), qPrintable(compound.out));
    QVERIFY(compound.out.contains(QRegularExpression(QStringLiteral("  not satisfied +permit +allow-ls"))));

    const QJsonObject j = json({QStringLiteral("policy"), QStringLiteral("explain"), QStringLiteral("--tool"), QStringLiteral("shell.exec"),
                                QStringLiteral("--args"), QStringLiteral("{\"command\": \"ls\"}")}).toObject();
    QCOMPARE(j.value(QStringLiteral("decision")).toString(), QStringLiteral("allow"));
    QCOMPARE(j.value(QStringLiteral("determining_policies")).toArray(), QJsonArray{QStringLiteral("allow-ls")});
    QCOMPARE(j.value(QStringLiteral("request")).toObject().value(QStringLiteral("arguments")).toObject()
                     .value(QStringLiteral("argv0")).toString(), QStringLiteral("ls"));
    bool found = false;
    for (const QJsonValue &v : j.value(QStringLiteral("policies")).toArray()) {
        const QJsonObject p = v.toObject();
        if (p.value(QStringLiteral("policy")).toString() == QLatin1String("allow-ls")) {
            found = true;
            QCOMPARE(p.value(QStringLiteral("outcome")).toString(), QStringLiteral("satisfied"));
            QCOMPARE(p.value(QStringLiteral("file")).toString(), QStringLiteral("ls.cedar"));
        }
    }
    QVERIFY(found);

    QCOMPARE(spool({QStringLiteral("policy"), QStringLiteral("explain"), QStringLiteral("--tool"), QStringLiteral("rm_rf")}).code, 4);
    QCOMPARE(spool({QStringLiteral("policy"), QStringLiteral("explain"), QStringLiteral("--tool"), QStringLiteral("echo"),
                    QStringLiteral("--args"), QStringLiteral("{\"text\": 1}")}).code, 2);
    QCOMPARE(spool({QStringLiteral("policy"), QStringLiteral("explain"), QStringLiteral("--tool"), QStringLiteral("clock"),
                    QStringLiteral("--session"), QStringLiteral("nope")}).code, 4);
}

void tst_PolicyCli::policyListShowsWhatIsLoaded()
{
    writeFile(policyFolder() + QStringLiteral("/ls.cedar"), kAllowLs);
    const Output o = spool({QStringLiteral("policy"), QStringLiteral("list")});
    QCOMPARE(o.code, 0);
    QVERIFY(o.out.startsWith(QStringLiteral("ID ")));
    QVERIFY2(o.out.contains(QRegularExpression(QStringLiteral("default.side-effects +permit +@ask +default.cedar:\\d+"))), qPrintable(o.out));
    QVERIFY(o.out.contains(QRegularExpression(QStringLiteral("allow-ls +permit +- +ls.cedar:1"))));
    const QJsonArray list = json({QStringLiteral("policy"), QStringLiteral("list")}).toObject().value(QStringLiteral("policies")).toArray();
    QCOMPARE(list.size(), 7); // the six defaults, then the user's
    QCOMPARE(list.at(6).toObject().value(QStringLiteral("policy")).toString(), QStringLiteral("allow-ls"));
    QCOMPARE(list.at(6).toObject().value(QStringLiteral("effect")).toString(), QStringLiteral("permit"));
}

void tst_PolicyCli::brokenPoliciesAreLoud()
{
    writeFile(policyFolder() + QStringLiteral("/bad.cedar"), kBroken);
    const Output chat = spool({QStringLiteral("chat"), QStringLiteral("[[tool clock {}]]")});
    QCOMPARE(chat.code, 0);
    QVERIFY2(chat.err.contains(QStringLiteral("every tool call is denied")), qPrintable(chat.err));
    QVERIFY(chat.err.contains(QStringLiteral("bad.cedar:3:24: expected an expression")));
    QVERIFY2(chat.out.contains(QStringLiteral("`clock` did not run")), qPrintable(chat.out));

    const QJsonObject policy = json({QStringLiteral("status")}).toObject().value(QStringLiteral("policy")).toObject();
    QCOMPARE(policy.value(QStringLiteral("denying_everything")).toBool(), true);
    QCOMPARE(policy.value(QStringLiteral("folder")).toString(), policyFolder());
    const QJsonObject problem = policy.value(QStringLiteral("problems")).toArray().at(0).toObject();
    QCOMPARE(problem.value(QStringLiteral("file")).toString(), QStringLiteral("bad.cedar"));
    QCOMPARE(problem.value(QStringLiteral("line")).toInt(), 3);
    const Output status = spool({QStringLiteral("status")});
    QVERIFY2(status.out.contains(QStringLiteral("every tool call is denied")), qPrintable(status.out));
    QVERIFY(status.out.contains(QStringLiteral("bad.cedar:3:24")));

    // Healthy policies: no warning.
    QVERIFY(QFile::remove(policyFolder() + QStringLiteral("/bad.cedar")));
    const Output fine = spool({QStringLiteral("chat"), QStringLiteral("[[tool clock {}]]")});
    QVERIFY(!fine.err.contains(QStringLiteral("warning")));
    QVERIFY(fine.out.contains(QStringLiteral("`clock` returned")));
}

void tst_PolicyCli::alwaysGrantsFromTheCommandLine()
{
    const QString same = QStringLiteral("[[tool echo {\"text\": \"granted\"}]]");
    QProcess *chat = startSpool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("g"), same});
    QJsonArray pending;
    QElapsedTimer clock;
    clock.start();
    while (pending.isEmpty() && clock.elapsed() < Spool::Test::kProcessTimeoutMs) {
        QTest::qWait(50);
        pending = json({QStringLiteral("approvals"), QStringLiteral("list")}).toArray();
    }
    QCOMPARE(pending.size(), 1);
    const QString approval = pending.at(0).toObject().value(QStringLiteral("id")).toString();
    const Output decided = spool({QStringLiteral("approvals"), QStringLiteral("decide"), approval.left(12),
                                  QStringLiteral("allow"), QStringLiteral("--scope"), QStringLiteral("always")});
    QCOMPARE(decided.code, 0);
    QVERIFY2(decided.out.contains(QStringLiteral("(always, grant ")), qPrintable(decided.out + decided.err));
    QVERIFY(Spool::Test::waitForExit(chat));
    QCOMPARE(chat->exitCode(), 0);
    QVERIFY(QString::fromUtf8(chat->readAllStandardOutput()).contains(QStringLiteral("`echo` returned: granted")));

    const QJsonArray grants = json({QStringLiteral("approvals"), QStringLiteral("grants")}).toArray();
    QCOMPARE(grants.size(), 1);
    const QJsonObject grant = grants.at(0).toObject();
    const QString grantId = grant.value(QStringLiteral("id")).toString();
    QCOMPARE(grant.value(QStringLiteral("tool")).toString(), QStringLiteral("echo"));
    QCOMPARE(grant.value(QStringLiteral("approval_id")).toString(), approval);
    QCOMPARE(grant.value(QStringLiteral("active")).toBool(), true);
    QVERIFY(grant.value(QStringLiteral("policy")).toString().contains(QStringLiteral("@id(\"grant.%1\")").arg(grantId)));
    QVERIFY(spool({QStringLiteral("approvals"), QStringLiteral("grants")}).out.contains(grantId));

    // The owner wrote the decision with its grant on the tape.
    const QString runId = json({QStringLiteral("runs"), QStringLiteral("list")}).toArray().at(0).toObject()
                                  .value(QStringLiteral("id")).toString();
    bool taped = false;
    for (const QString &line : spool({QStringLiteral("tape"), runId, QStringLiteral("--json")}).out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QJsonObject e = QJsonDocument::fromJson(line.toUtf8()).object();
        if (e.value(QStringLiteral("kind")).toString() == QLatin1String("approval.decision")) {
            const QJsonObject p = e.value(QStringLiteral("payload")).toObject();
            taped = p.value(QStringLiteral("scope")).toString() == QLatin1String("always")
                    && p.value(QStringLiteral("grant_id")).toString() == grantId;
        }
    }
    QVERIFY(taped);

    // The same call now runs without asking (--deny would refuse any ask); another one asks.
    const Output again = spool({QStringLiteral("chat"), QStringLiteral("--deny"), same});
    QCOMPARE(again.code, 0);
    QVERIFY2(again.out.contains(QStringLiteral("`echo` returned: granted")), qPrintable(again.out));
    QVERIFY(again.err.contains(QStringLiteral("grant.") + grantId));
    const Output other = spool({QStringLiteral("chat"), QStringLiteral("--deny"), QStringLiteral("[[tool echo {\"text\": \"other\"}]]")});
    QVERIFY(other.out.contains(QStringLiteral("`echo` did not run")));

    // Revoked, it asks again; revoking twice is a conflict, an unknown grant is not found.
    const Output revoked = spool({QStringLiteral("approvals"), QStringLiteral("revoke"), grantId.left(10)});
    QCOMPARE(revoked.code, 0);
    QVERIFY(revoked.out.contains(QStringLiteral("revoked ") + grantId));
    QCOMPARE(spool({QStringLiteral("approvals"), QStringLiteral("revoke"), grantId}).code, 5);
    QCOMPARE(spool({QStringLiteral("approvals"), QStringLiteral("revoke"), QStringLiteral("01ZZZZZZ")}).code, 4);
    const Output asked = spool({QStringLiteral("chat"), QStringLiteral("--deny"), same});
    QVERIFY2(asked.out.contains(QStringLiteral("`echo` did not run")), qPrintable(asked.out));
    QCOMPARE(json({QStringLiteral("approvals"), QStringLiteral("grants")}).toArray().size(), 0);
    const QJsonArray all = json({QStringLiteral("approvals"), QStringLiteral("grants"), QStringLiteral("--all")}).toArray();
    QCOMPARE(all.size(), 1);
    QCOMPARE(all.at(0).toObject().value(QStringLiteral("revoked_by")).toString(), QStringLiteral("cli"));

    // No "always" for a call whose arguments cannot be matched exactly (a list of edits): the
    // refusal says why and leaves the approval open for another answer. (The edit must apply
    // to a real file: a call the tool would refuse anyway is never put to the user.)
    const QString workspace = m_dir->filePath(QStringLiteral("ws"));
    QDir().mkpath(workspace);
    QFile target(workspace + QStringLiteral("/a.txt"));
    QVERIFY(target.open(QIODevice::WriteOnly));
    target.write("a\n");
    target.close();
    QCOMPARE(spool({QStringLiteral("sessions"), QStringLiteral("workspace"), QStringLiteral("g"), workspace}).code, 0);
    QProcess *edits = startSpool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("g"),
                                  QStringLiteral("[[tool fs.write {\"path\": \"a.txt\", \"edits\": "
                                                 "[{\"old_text\": \"a\", \"new_text\": \"b\"}]}]]")});
    pending = {};
    clock.restart();
    while (pending.isEmpty() && clock.elapsed() < Spool::Test::kProcessTimeoutMs) {
        QTest::qWait(50);
        pending = json({QStringLiteral("approvals"), QStringLiteral("list")}).toArray();
    }
    QCOMPARE(pending.size(), 1);
    const QString editApproval = pending.at(0).toObject().value(QStringLiteral("id")).toString();
    const Output refused = spool({QStringLiteral("approvals"), QStringLiteral("decide"), editApproval,
                                  QStringLiteral("allow"), QStringLiteral("--scope"), QStringLiteral("always")});
    QCOMPARE(refused.code, 2);
    QVERIFY2(refused.err.contains(QStringLiteral("is a list")), qPrintable(refused.err));
    QCOMPARE(json({QStringLiteral("approvals"), QStringLiteral("list")}).toArray().size(), 1);
    QCOMPARE(spool({QStringLiteral("approvals"), QStringLiteral("decide"), editApproval, QStringLiteral("deny")}).code, 0);
    QVERIFY(Spool::Test::waitForExit(edits));
    QCOMPARE(json({QStringLiteral("approvals"), QStringLiteral("grants"), QStringLiteral("--all")}).toArray().size(), 1);
}

QTEST_GUILESS_MAIN(tst_PolicyCli)
#include "tst_policycli.moc"
