#include "httptestclient.h"
#include "spoolprocess.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Spool::Test;

// The official OpenAI SDK for JavaScript (npm `openai`, installed by scripts/install-test-tools)
// pointed at `spool serve`, as a user's script would be: the models, a whole and a streamed
// completion, a stream the client aborts (its run must end cancelled), a streamed tool call
// approved from another terminal while the stream waits, a conversation that continues its
// session, and errors surfacing as the SDK's own exceptions. tests/api/openai-sdk.cjs drives
// the SDK; this test checks what it saw, and the engine's side through the API.
class tst_ApiOpenAiSdk : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void sdkDrivesAnAgent();

private:
    HttpReply get(const QByteArray &path);

    QTemporaryDir m_dir;
    QProcessEnvironment m_env;
    QList<QProcess *> m_processes;
    QProcess *m_serve = nullptr;
    quint16 m_port = 0;
    QString m_baseUrl;
    QString m_tokenFile;
    QByteArray m_token;
};

namespace {

QString toolsDir()
{
    return QStringLiteral(SPOOL_TEST_TOOLS_DIR);
}

} // namespace

void tst_ApiOpenAiSdk::initTestCase()
{
    if (QStandardPaths::findExecutable(QStringLiteral("node")).isEmpty())
        QSKIP("node is not installed; scripts/install-test-tools installs it with npm");
    if (!QFile::exists(toolsDir() + QStringLiteral("/node_modules/openai/package.json")))
        QSKIP("the openai npm package is not installed; run scripts/install-test-tools");
    m_env = spoolEnvironment(m_dir.path(), 5);
    m_serve = startSpool(m_env, {QStringLiteral("serve"), QStringLiteral("--port"), QStringLiteral("0"),
                                 QStringLiteral("--json")});
    m_processes.append(m_serve);
    const QJsonObject listening = readJsonLine(m_serve, 30000);
    QCOMPARE(listening.value(QStringLiteral("type")).toString(), QStringLiteral("listening"));
    m_port = quint16(listening.value(QStringLiteral("port")).toInt());
    m_baseUrl = listening.value(QStringLiteral("base_url")).toString();
    m_tokenFile = listening.value(QStringLiteral("token_file")).toString();
    QFile token(m_tokenFile);
    QVERIFY(token.open(QIODevice::ReadOnly));
    m_token = token.readAll().trimmed();
}

void tst_ApiOpenAiSdk::cleanupTestCase()
{
    stopAll(m_processes);
}

HttpReply tst_ApiOpenAiSdk::get(const QByteArray &path)
{
    HttpTestClient client(m_port);
    client.setToken(m_token);
    return client.exchange(client.request("GET", path));
}

void tst_ApiOpenAiSdk::sdkDrivesAnAgent()
{
    QProcess node;
    node.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    node.start(QStringLiteral("node"), {QStringLiteral(SPOOL_SOURCE_DIR "/tests/api/openai-sdk.cjs"), m_baseUrl,
                                        m_tokenFile, toolsDir()});
    QVERIFY(node.waitForStarted(10000));
    QHash<QString, QJsonObject> steps;
    bool approved = false;
    const bool finished = QTest::qWaitFor([&] {
        while (node.canReadLine()) {
            const QJsonObject line = QJsonDocument::fromJson(node.readLine()).object();
            steps.insert(line.value(QStringLiteral("step")).toString(), line);
        }
        // The SDK's stream waits for a tool call's approval: decide it from another process.
        if (steps.contains(QStringLiteral("approval-waiting")) && !approved) {
            const QJsonArray pending = get("/api/v1/approvals").json().value(QStringLiteral("approvals")).toArray();
            if (pending.size() == 1) {
                const QString id = pending.at(0).toObject().value(QStringLiteral("id")).toString();
                const SpoolOutput decided = runSpool(m_env, {QStringLiteral("approvals"), QStringLiteral("decide"), id,
                                                             QStringLiteral("allow")});
                approved = decided.code == 0;
                if (!approved)
                    qWarning("spool approvals decide: %s", qPrintable(decided.err));
            }
        }
        return node.state() == QProcess::NotRunning && !node.canReadLine();
    }, 240000);
    QVERIFY2(finished, "the SDK script did not finish");
    QCOMPARE(node.exitCode(), 0);
    QVERIFY2(steps.contains(QStringLiteral("done")),
             qPrintable(QStringLiteral("steps seen: ") + QStringList(steps.keys()).join(QStringLiteral(", "))));

    const QJsonObject models = steps.value(QStringLiteral("models"));
    QVERIFY(models.value(QStringLiteral("ok")).toBool());
    QVERIFY(models.value(QStringLiteral("ids")).toVariant().toStringList().contains(QStringLiteral("default")));

    const QJsonObject completion = steps.value(QStringLiteral("completion"));
    QVERIFY2(completion.value(QStringLiteral("ok")).toBool(), QJsonDocument(completion).toJson().constData());
    QCOMPARE(completion.value(QStringLiteral("content")).toString(), QStringLiteral("Echo: hello from the SDK"));
    QCOMPARE(completion.value(QStringLiteral("finish")).toString(), QStringLiteral("stop"));
    QVERIFY(completion.value(QStringLiteral("usage")).toObject().value(QStringLiteral("total_tokens")).toInt() > 0);

    const QJsonObject stream = steps.value(QStringLiteral("stream"));
    QVERIFY2(stream.value(QStringLiteral("ok")).toBool(), QJsonDocument(stream).toJson().constData());
    QVERIFY(stream.value(QStringLiteral("chunks")).toInt() > 10);
    QCOMPARE(stream.value(QStringLiteral("finish")).toString(), QStringLiteral("stop"));
    QVERIFY(stream.value(QStringLiteral("usage")).toObject().value(QStringLiteral("completion_tokens")).toInt() > 0);
    const QString streamRun = stream.value(QStringLiteral("run")).toString();
    const QJsonObject tape = get("/api/v1/runs/" + streamRun.toLatin1() + "/tape?kind=assistant.message").json();
    QCOMPARE(stream.value(QStringLiteral("content")).toString(),
             tape.value(QStringLiteral("events")).toArray().at(0).toObject().value(QStringLiteral("payload"))
                     .toObject().value(QStringLiteral("text")).toString());

    // The client gave up mid-stream: its run ends cancelled, saying why.
    const QJsonObject aborted = steps.value(QStringLiteral("aborted"));
    QVERIFY2(aborted.value(QStringLiteral("ok")).toBool(), QJsonDocument(aborted).toJson().constData());
    QVERIFY(aborted.value(QStringLiteral("received")).toInt() > 0);
    const QByteArray abortedRun = aborted.value(QStringLiteral("run")).toString().toLatin1();
    QJsonObject run;
    QVERIFY(QTest::qWaitFor([&] {
        run = get("/api/v1/runs/" + abortedRun).json().value(QStringLiteral("run")).toObject();
        return run.value(QStringLiteral("state")).toString() != QLatin1String("running");
    }, 30000));
    QCOMPARE(run.value(QStringLiteral("state")).toString(), QStringLiteral("cancelled"));
    QVERIFY2(run.value(QStringLiteral("detail")).toString().contains(QStringLiteral("client disconnected")),
             qPrintable(run.value(QStringLiteral("detail")).toString()));

    const QJsonObject approval = steps.value(QStringLiteral("approval"));
    QVERIFY(approved);
    QVERIFY2(approval.value(QStringLiteral("ok")).toBool(), QJsonDocument(approval).toJson().constData());
    QVERIFY(approval.value(QStringLiteral("content")).toString().contains(QStringLiteral("approved from another terminal")));

    const QJsonObject conversation = steps.value(QStringLiteral("conversation"));
    QVERIFY2(conversation.value(QStringLiteral("ok")).toBool(), QJsonDocument(conversation).toJson().constData());
    QCOMPARE(conversation.value(QStringLiteral("sessionB")).toString(), conversation.value(QStringLiteral("sessionA")).toString());
    QVERIFY(conversation.value(QStringLiteral("reply")).toString().contains(QStringLiteral("1 earlier turn")));

    // Errors are the SDK's own exceptions, with OpenAI's fields.
    const struct
    {
        const char *step;
        const char *name;
        int status;
        const char *code;
    } errors[] = {
            {"error-auth", "AuthenticationError", 401, "invalid_api_key"},
            {"error-model", "NotFoundError", 404, "model_not_found"},
            {"error-request", "BadRequestError", 400, "invalid_request"},
            {"error-in-stream", "APIError", 0, "provider_error"},
    };
    for (const auto &e : errors) {
        const QJsonObject step = steps.value(QLatin1String(e.step));
        QVERIFY2(!step.value(QStringLiteral("ok")).toBool(true), e.step);
        const QJsonObject error = step.value(QStringLiteral("error")).toObject();
        QVERIFY2(error.value(QStringLiteral("isApiError")).toBool(), QJsonDocument(step).toJson().constData());
        QCOMPARE(error.value(QStringLiteral("name")).toString(), QLatin1String(e.name));
        QCOMPARE(error.value(QStringLiteral("status")).toInt(), e.status);
        QCOMPARE(error.value(QStringLiteral("code")).toString(), QLatin1String(e.code));
    }
}

QTEST_GUILESS_MAIN(tst_ApiOpenAiSdk)
#include "tst_apiopenaisdk.moc"
