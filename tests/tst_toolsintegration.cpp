#include "testsupport.h"

#include "tools/tool.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Spool;
using namespace Spool::Test;

// The built-in tools inside the run loop: what an approval shows, what is refused before the
// user is asked, commands without a sandbox, workspaces, and what the model sees of outputs.
class tst_ToolsIntegration : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void fileWriteAsksWithADiffAndWritesOnlyWhenAllowed();
    void commandApprovalShowsTheCommandAndItsSandbox();
    void callTheToolWouldRefuseIsNotPutToTheUser_data();
    void callTheToolWouldRefuseIsNotPutToTheUser();
    void unsandboxedCommandsAlwaysAsk();
    void workspacesAreValidated();
    void modelSeesHeadAndTailOfLongOutputs();

private:
    RunInfo runTool(const QString &tool, const QJsonObject &args, const QString &session = QStringLiteral("t"));
    PendingToolApproval waitForApproval(QSignalSpy &spy, int index = 0);
    QJsonObject eventOf(const QString &runId, const QString &kind);
    void writeUserPolicy(const QString &text);

    std::unique_ptr<TempEnvironment> m_env;
    std::unique_ptr<Gateway> m_gateway;
    QTemporaryDir m_workspace;
};

void tst_ToolsIntegration::init()
{
    m_env = std::make_unique<TempEnvironment>();
}

void tst_ToolsIntegration::cleanup()
{
    m_gateway.reset();
    m_env.reset();
}

void tst_ToolsIntegration::writeUserPolicy(const QString &text)
{
    QDir().mkpath(m_env->config.configDir + QStringLiteral("/policies"));
    QFile f(m_env->config.configDir + QStringLiteral("/policies/test.cedar"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(text.toUtf8());
}

RunInfo tst_ToolsIntegration::runTool(const QString &tool, const QJsonObject &args, const QString &session)
{
    if (!m_gateway)
        m_gateway = openGateway(m_env->config);
    auto run = m_gateway->runTool(tool, args, SessionSelector{{}, session}, QStringLiteral("test"));
    if (!run)
        qWarning("runTool: %s", qPrintable(run.errorMessage()));
    return run ? *run : RunInfo{};
}

PendingToolApproval tst_ToolsIntegration::waitForApproval(QSignalSpy &spy, int index)
{
    if (!QTest::qWaitFor([&] { return spy.size() > index; }, 30000))
        return {};
    return spy.at(index).at(0).value<PendingToolApproval>();
}

QJsonObject tst_ToolsIntegration::eventOf(const QString &runId, const QString &kind)
{
    auto events = m_gateway->inspection().tape(runId);
    if (events) {
        for (const TapeEvent &e : *events) {
            if (e.kind == kind)
                return e.payload;
        }
    }
    return {};
}

void tst_ToolsIntegration::fileWriteAsksWithADiffAndWritesOnlyWhenAllowed()
{
    m_gateway = openGateway(m_env->config);
    QVERIFY(m_gateway->sessions().resolve(SessionSelector{{}, QStringLiteral("t")}, true));
    QVERIFY(m_gateway->sessions().setWorkspace(QStringLiteral("t"), m_workspace.path()));
    QFile existing(m_workspace.filePath(QStringLiteral("plan.md")));
    QVERIFY(existing.open(QIODevice::WriteOnly));
    existing.write("step one\nstep two\n");
    existing.close();

    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = runTool(QStringLiteral("fs.write"),
                                {{QStringLiteral("path"), QStringLiteral("plan.md")},
                                 {QStringLiteral("content"), QStringLiteral("step one\nstep 2\nstep three\n")}});
    const PendingToolApproval approval = waitForApproval(requested);
    QCOMPARE(approval.preview.value(QStringLiteral("kind")).toString(), QStringLiteral("diff"));
    QCOMPARE(approval.preview.value(QStringLiteral("action")).toString(), QStringLiteral("modify"));
    const QString diff = approval.preview.value(QStringLiteral("diff")).toString();
    QVERIFY2(diff.contains(QStringLiteral("-step two")) && diff.contains(QStringLiteral("+step 2"))
                     && diff.contains(QStringLiteral("+step three")),
             qPrintable(diff));
    // The same preview is on the tape, before any decision, and the file is untouched.
    QCOMPARE(eventOf(run.id, TapeKind::ApprovalRequest).value(QStringLiteral("preview")).toObject().value(QStringLiteral("diff")).toString(), diff);
    QVERIFY(existing.open(QIODevice::ReadOnly));
    QCOMPARE(existing.readAll(), QByteArray("step one\nstep two\n"));
    existing.close();
    // It survives in the journal with the approval (another front end shows it too).
    QCOMPARE(m_gateway->findApproval(approval.id)->preview.value(QStringLiteral("diff")).toString(), diff);

    QVERIFY(m_gateway->decideApproval(approval.id, true, ApprovalScope::Once, QStringLiteral("test")));
    QCOMPARE(waitForRun(*m_gateway, run.id).state, RunState::Succeeded);
    QVERIFY(existing.open(QIODevice::ReadOnly));
    QCOMPARE(existing.readAll(), QByteArray("step one\nstep 2\nstep three\n"));
    existing.close();

    // Denied: nothing is written.
    const RunInfo denied = runTool(QStringLiteral("fs.write"),
                                   {{QStringLiteral("path"), QStringLiteral("other.md")},
                                    {QStringLiteral("content"), QStringLiteral("x")}});
    const PendingToolApproval second = waitForApproval(requested, 1);
    QCOMPARE(second.preview.value(QStringLiteral("action")).toString(), QStringLiteral("create"));
    QVERIFY(m_gateway->decideApproval(second.id, false, ApprovalScope::Once, QStringLiteral("test")));
    QCOMPARE(waitForRun(*m_gateway, denied.id).state, RunState::Succeeded);
    QVERIFY(!QFile::exists(m_workspace.filePath(QStringLiteral("other.md"))));
}

void tst_ToolsIntegration::commandApprovalShowsTheCommandAndItsSandbox()
{
    m_gateway = openGateway(m_env->config);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = runTool(QStringLiteral("shell.exec"),
                                {{QStringLiteral("command"), QStringLiteral("echo ok && ls /workspace")}});
    const PendingToolApproval approval = waitForApproval(requested);
    QCOMPARE(approval.preview.value(QStringLiteral("kind")).toString(), QStringLiteral("command"));
    QCOMPARE(approval.preview.value(QStringLiteral("command")).toString(), QStringLiteral("echo ok && ls /workspace"));
    QCOMPARE(approval.preview.value(QStringLiteral("sandbox")).toString(), QStringLiteral("bwrap"));
    QVERIFY(approval.preview.value(QStringLiteral("is_compound")).toBool());
    QVERIFY(m_gateway->decideApproval(approval.id, true, ApprovalScope::Once, QStringLiteral("test")));
    QCOMPARE(waitForRun(*m_gateway, run.id).state, RunState::Succeeded);
    const QJsonObject output = eventOf(run.id, TapeKind::ToolOutput);
    QVERIFY(output.value(QStringLiteral("ok")).toBool());
    QCOMPARE(output.value(QStringLiteral("sandbox")).toString(), QStringLiteral("bwrap"));
    QCOMPARE(output.value(QStringLiteral("exit_code")).toInt(), 0);
    QVERIFY(output.value(QStringLiteral("output")).toString().startsWith(QStringLiteral("ok")));
}

void tst_ToolsIntegration::callTheToolWouldRefuseIsNotPutToTheUser_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QJsonObject>("args");
    QTest::addColumn<QString>("reason");
    QTest::newRow("path out of the workspace") << QStringLiteral("fs.write")
            << QJsonObject{{QStringLiteral("path"), QStringLiteral("../../etc/passwd")}, {QStringLiteral("content"), QStringLiteral("x")}}
            << QStringLiteral("..");
    QTest::newRow("git hooks") << QStringLiteral("fs.write")
            << QJsonObject{{QStringLiteral("path"), QStringLiteral(".git/hooks/pre-commit")}, {QStringLiteral("content"), QStringLiteral("x")}}
            << QStringLiteral(".git");
    QTest::newRow("edit that does not match") << QStringLiteral("fs.write")
            << QJsonObject{{QStringLiteral("path"), QStringLiteral("missing.txt")},
                           {QStringLiteral("edits"), QJsonArray{QJsonObject{{QStringLiteral("old_text"), QStringLiteral("a")}, {QStringLiteral("new_text"), QStringLiteral("b")}}}}}
            << QStringLiteral("missing.txt");
}

void tst_ToolsIntegration::callTheToolWouldRefuseIsNotPutToTheUser()
{
    QFETCH(QString, tool);
    QFETCH(QJsonObject, args);
    QFETCH(QString, reason);
    m_gateway = openGateway(m_env->config);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo run = runTool(tool, args);
    QCOMPARE(waitForRun(*m_gateway, run.id).state, RunState::Succeeded);
    QCOMPARE(requested.size(), 0);
    QVERIFY(eventOf(run.id, TapeKind::ApprovalRequest).isEmpty());
    QVERIFY(!eventOf(run.id, TapeKind::PolicyDecision).isEmpty()); // policy was still asked
    const QJsonObject output = eventOf(run.id, TapeKind::ToolOutput);
    QVERIFY(!output.value(QStringLiteral("ok")).toBool());
    QVERIFY2(output.value(QStringLiteral("output")).toString().contains(reason),
             qPrintable(output.value(QStringLiteral("output")).toString()));
}

void tst_ToolsIntegration::unsandboxedCommandsAlwaysAsk()
{
    // A user policy that lets shell.exec run without asking...
    writeUserPolicy(QStringLiteral("@id(\"test.commands-run\")\npermit(principal, action == Action::\"tool.execute\", "
                                   "resource == Tool::\"shell.exec\");\n"));
    m_gateway = openGateway(m_env->config);
    QSignalSpy requested(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo sandboxed = runTool(QStringLiteral("shell.exec"), {{QStringLiteral("command"), QStringLiteral("echo in the sandbox")}});
    QCOMPARE(waitForRun(*m_gateway, sandboxed.id).state, RunState::Succeeded);
    QCOMPARE(requested.size(), 0); // ...is obeyed while commands are sandboxed
    QCOMPARE(eventOf(sandboxed.id, TapeKind::ToolOutput).value(QStringLiteral("sandbox")).toString(), QStringLiteral("bwrap"));
    m_gateway.reset();

    // Without bubblewrap, and unsandboxed commands allowed: every such call asks.
    const QByteArray path = qgetenv("PATH");
    qputenv("PATH", QByteArray("/nonexistent"));
    m_env->config.allowUnsandboxedCommands = true;
    m_gateway = openGateway(m_env->config);
    QSignalSpy again(m_gateway.get(), &Gateway::approvalRequested);
    const RunInfo bare = runTool(QStringLiteral("shell.exec"), {{QStringLiteral("command"), QStringLiteral("echo bare")}});
    const PendingToolApproval approval = waitForApproval(again);
    qputenv("PATH", path);
    QCOMPARE(approval.preview.value(QStringLiteral("sandbox")).toString(), QStringLiteral("none"));
    const QJsonObject decision = eventOf(bare.id, TapeKind::PolicyDecision);
    QCOMPARE(decision.value(QStringLiteral("decision")).toString(), QStringLiteral("ask"));
    QVERIFY(decision.value(QStringLiteral("determining_policies")).toVariant().toStringList().contains(QStringLiteral("spool.unsandboxed")));
    // Even "for this session" does not stop the next one from asking.
    QVERIFY(m_gateway->decideApproval(approval.id, true, ApprovalScope::Session, QStringLiteral("test")));
    QCOMPARE(waitForRun(*m_gateway, bare.id).state, RunState::Succeeded);
    QCOMPARE(eventOf(bare.id, TapeKind::ToolOutput).value(QStringLiteral("sandbox")).toString(), QStringLiteral("none"));
    qputenv("PATH", QByteArray("/nonexistent"));
    const RunInfo next = runTool(QStringLiteral("shell.exec"), {{QStringLiteral("command"), QStringLiteral("echo again")}});
    const PendingToolApproval second = waitForApproval(again, 1);
    qputenv("PATH", path);
    QVERIFY(second.isValid());
    QVERIFY(m_gateway->cancelRun(next.id, QStringLiteral("test")));
}

void tst_ToolsIntegration::workspacesAreValidated()
{
    m_gateway = openGateway(m_env->config);
    auto session = m_gateway->sessions().resolve(SessionSelector{{}, QStringLiteral("w")}, true);
    QVERIFY(session);
    // By default each session works in its own folder under the data folder.
    QCOMPARE(m_gateway->sessions().effectiveWorkspace(session->session),
             QDir(m_env->config.dataDir).filePath(QStringLiteral("workspaces/") + session->session.id));
    QCOMPARE(m_gateway->sessions().setWorkspace(QStringLiteral("w"), QStringLiteral("relative/dir")).error().code, ErrorCode::InvalidArgument);
    QCOMPARE(m_gateway->sessions().setWorkspace(QStringLiteral("w"), m_workspace.filePath(QStringLiteral("missing"))).error().code, ErrorCode::InvalidArgument);
    QDir(m_workspace.path()).mkdir(QStringLiteral("real"));
    auto set = m_gateway->sessions().setWorkspace(QStringLiteral("w"), m_workspace.filePath(QStringLiteral("real/../real")));
    QVERIFY(set);
    QCOMPARE(set->workspace, QDir(m_workspace.filePath(QStringLiteral("real"))).canonicalPath());
    QCOMPARE(m_gateway->sessions().effectiveWorkspace(*set), set->workspace);
    auto reset = m_gateway->sessions().setWorkspace(QStringLiteral("w"), QString());
    QVERIFY(reset);
    QVERIFY(reset->workspace.isEmpty());
}

void tst_ToolsIntegration::modelSeesHeadAndTailOfLongOutputs()
{
    QString output;
    for (int i = 0; i < 5000; ++i)
        output += QStringLiteral("line %1\n").arg(i);
    output += QStringLiteral("error: the build failed at the very end\n");
    const QString seen = ToolResult::forModel(output, 2000);
    QVERIFY(seen.size() < 2300);
    QVERIFY(seen.startsWith(QStringLiteral("line 0\n")));
    QVERIFY(seen.contains(QStringLiteral("error: the build failed at the very end")));
    QVERIFY(seen.contains(QStringLiteral("truncated")) || seen.contains(QStringLiteral("omitted")));
    QCOMPARE(ToolResult::forModel(QStringLiteral("short"), 2000), QStringLiteral("short"));
}

QTEST_GUILESS_MAIN(tst_ToolsIntegration)
#include "tst_toolsintegration.moc"
