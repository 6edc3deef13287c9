#include "spoolprocess.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

// The `spool` command line end to end: real processes on a real journal in a temporary folder.
class tst_Cli : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void chatStreamsTheReply();
    void chatJsonIsOneEventPerLine();
    void chatReadsStdin();
    void tapeShowsEveryStep();
    void usageErrors_data();
    void usageErrors();
    void notFound_data();
    void notFound();
    void unusableJournalExitsThreeAndIsUntouched();
    void sessionLifecycle();
    void approvalDecidedFromAnotherTerminal();
    void approvalFlags();
    void cancelFromAnotherTerminal();
    void ctrlCCancels();
    void killNineIsRepairedOnNextStart();
    void statusAndDemo();
    void toolsListAndRun();

private:
    using Output = Spool::Test::SpoolOutput;
    QProcessEnvironment environment(int delayMs = 0) const;
    Output spool(const QStringList &args, const QByteArray &stdinData = {}, int delayMs = 0);
    QProcess *startSpool(const QStringList &args, int delayMs);
    QJsonValue json(const QStringList &args);
    QString waitForActiveRun(int timeoutMs = Spool::Test::kProcessTimeoutMs);

    std::unique_ptr<QTemporaryDir> m_dir;
    QList<QProcess *> m_background;
};

void tst_Cli::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void tst_Cli::cleanup()
{
    Spool::Test::stopAll(m_background);
    m_dir.reset();
}

QProcessEnvironment tst_Cli::environment(int delayMs) const
{
    return Spool::Test::spoolEnvironment(m_dir->path(), delayMs);
}

tst_Cli::Output tst_Cli::spool(const QStringList &args, const QByteArray &stdinData, int delayMs)
{
    return Spool::Test::runSpool(environment(delayMs), args, stdinData);
}

QProcess *tst_Cli::startSpool(const QStringList &args, int delayMs)
{
    QProcess *p = Spool::Test::startSpool(environment(delayMs), args);
    m_background.append(p);
    return p;
}

QJsonValue tst_Cli::json(const QStringList &args)
{
    const Output o = spool(args + QStringList{QStringLiteral("--json")});
    const QJsonDocument doc = QJsonDocument::fromJson(o.out.toUtf8());
    if (doc.isArray())
        return doc.array();
    return doc.object();
}

QString tst_Cli::waitForActiveRun(int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeoutMs) {
        const QJsonArray active = json({QStringLiteral("runs"), QStringLiteral("list"), QStringLiteral("--active")}).toArray();
        if (!active.isEmpty() && active.at(0).toObject().value(QStringLiteral("state")).toString() == QLatin1String("running"))
            return active.at(0).toObject().value(QStringLiteral("id")).toString();
        QTest::qWait(50);
    }
    return QString();
}

void tst_Cli::chatStreamsTheReply()
{
    const Output o = spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("demo"), QStringLiteral("hello"), QStringLiteral("world")});
    QCOMPARE(o.code, 0);
    QCOMPARE(o.out, QStringLiteral("Echo: hello world\n"));
    const Output again = spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("demo"), QStringLiteral("again")});
    QCOMPARE(again.code, 0);
    QVERIFY2(again.out.contains(QStringLiteral("1 earlier turn")), qPrintable(again.out));
}

void tst_Cli::chatJsonIsOneEventPerLine()
{
    const Output o = spool({QStringLiteral("chat"), QStringLiteral("--json"), QStringLiteral("--new"), QStringLiteral("json please")});
    QCOMPARE(o.code, 0);
    const QStringList lines = o.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QVERIFY(lines.size() > 5);
    QStringList types;
    QString text;
    for (const QString &line : lines) {
        QJsonParseError error{};
        const QJsonObject obj = QJsonDocument::fromJson(line.toUtf8(), &error).object();
        QCOMPARE(error.error, QJsonParseError::NoError);
        types.append(obj.value(QStringLiteral("type")).toString());
        if (types.constLast() == QLatin1String("delta"))
            text += obj.value(QStringLiteral("text")).toString();
    }
    QCOMPARE(types.constFirst(), QStringLiteral("run"));
    QCOMPARE(types.constLast(), QStringLiteral("result"));
    QVERIFY(types.contains(QStringLiteral("delta")));
    QVERIFY(types.contains(QStringLiteral("event")));
    const QJsonObject result = QJsonDocument::fromJson(lines.constLast().toUtf8()).object();
    QCOMPARE(result.value(QStringLiteral("run")).toObject().value(QStringLiteral("state")).toString(), QStringLiteral("succeeded"));
    QCOMPARE(result.value(QStringLiteral("text")).toString(), text);
}

void tst_Cli::chatReadsStdin()
{
    const Output o = spool({QStringLiteral("chat"), QStringLiteral("-")}, QByteArrayLiteral("from a pipe\nsecond line\n"));
    QCOMPARE(o.code, 0);
    QVERIFY2(o.out.startsWith(QStringLiteral("Echo: from a pipe\nsecond line")), qPrintable(o.out));
}

void tst_Cli::tapeShowsEveryStep()
{
    QCOMPARE(spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("t"), QStringLiteral("--approve"),
                    QStringLiteral("[[tool echo {\"text\": \"taped\"}]]")}).code, 0);
    const QJsonArray runs = json({QStringLiteral("runs"), QStringLiteral("list")}).toArray();
    QCOMPARE(runs.size(), 1);
    const QString id = runs.at(0).toObject().value(QStringLiteral("id")).toString();
    const Output o = spool({QStringLiteral("tape"), id.left(10), QStringLiteral("--json")});
    QCOMPARE(o.code, 0);
    const QStringList lines = o.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QStringList kinds;
    for (int i = 0; i < lines.size(); ++i) {
        const QJsonObject e = QJsonDocument::fromJson(lines.at(i).toUtf8()).object();
        QCOMPARE(e.value(QStringLiteral("seq")).toInt(), i + 1);
        QCOMPARE(e.value(QStringLiteral("run_id")).toString(), id);
        kinds.append(e.value(QStringLiteral("kind")).toString());
    }
    for (const char *k : {"run.status", "input", "context", "provider.request", "provider.response", "tool.call",
                          "policy.decision", "approval.request", "approval.decision", "tool.output", "assistant.message"})
        QVERIFY2(kinds.contains(QLatin1String(k)), k);
    const Output human = spool({QStringLiteral("tape"), id, QStringLiteral("--kind"), QStringLiteral("tool.output")});
    QCOMPARE(human.code, 0);
    QVERIFY(human.out.contains(QStringLiteral("echo ok")));
    QVERIFY(!human.out.contains(QStringLiteral("provider.request")));
}

void tst_Cli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")};
    QTest::newRow("unknown flag") << QStringList{QStringLiteral("chat"), QStringLiteral("--bogus"), QStringLiteral("hi")};
    QTest::newRow("no message") << QStringList{QStringLiteral("chat")};
    QTest::newRow("conflicting flags") << QStringList{QStringLiteral("chat"), QStringLiteral("--approve"), QStringLiteral("--deny"), QStringLiteral("x")};
    QTest::newRow("new and session") << QStringList{QStringLiteral("chat"), QStringLiteral("--new"), QStringLiteral("--session"), QStringLiteral("a"), QStringLiteral("x")};
    QTest::newRow("unknown action") << QStringList{QStringLiteral("runs"), QStringLiteral("explode")};
    QTest::newRow("missing id") << QStringList{QStringLiteral("runs"), QStringLiteral("cancel")};
    QTest::newRow("bad limit") << QStringList{QStringLiteral("sessions"), QStringLiteral("list"), QStringLiteral("--limit"), QStringLiteral("many")};
    QTest::newRow("bad decision") << QStringList{QStringLiteral("approvals"), QStringLiteral("decide"), QStringLiteral("X"), QStringLiteral("maybe")};
    QTest::newRow("invalid key") << QStringList{QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("no spaces"), QStringLiteral("x")};
}

void tst_Cli::usageErrors()
{
    QFETCH(QStringList, args);
    const Output o = spool(args);
    QCOMPARE(o.code, 2);
    QVERIFY(o.out.isEmpty());
    const QStringList lines = o.err.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QVERIFY(!lines.isEmpty());
    QVERIFY2(lines.constFirst().startsWith(QStringLiteral("spool: ")), qPrintable(o.err));
}

void tst_Cli::notFound_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("tape") << QStringList{QStringLiteral("tape"), QStringLiteral("01ZZZZZZZZZZZZZZZZZZZZZZZZ")};
    QTest::newRow("session") << QStringList{QStringLiteral("sessions"), QStringLiteral("show"), QStringLiteral("nope")};
    QTest::newRow("approval") << QStringList{QStringLiteral("approvals"), QStringLiteral("decide"), QStringLiteral("01ZZZZZZ"), QStringLiteral("allow")};
    QTest::newRow("session id") << QStringList{QStringLiteral("chat"), QStringLiteral("--session-id"), QStringLiteral("01ZZZZZZZZZZZZZZZZZZZZZZZZ"), QStringLiteral("x")};
}

void tst_Cli::notFound()
{
    QFETCH(QStringList, args);
    const Output o = spool(args);
    QCOMPARE(o.code, 4);
    QVERIFY(o.err.startsWith(QStringLiteral("spool: ")));
    const Output j = spool(args + QStringList{QStringLiteral("--json")});
    QCOMPARE(j.code, 4);
    QCOMPARE(QJsonDocument::fromJson(j.out.toUtf8()).object().value(QStringLiteral("error")).toObject()
                     .value(QStringLiteral("code")).toString(),
             QStringLiteral("not_found"));
}

void tst_Cli::unusableJournalExitsThreeAndIsUntouched()
{
    QDir().mkpath(m_dir->filePath(QStringLiteral("data")));
    const QString path = m_dir->filePath(QStringLiteral("data/journal.sqlite3"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("SQLite format 2 -- no, this is a shopping list\n");
    f.close();
    const QByteArray before = QCryptographicHash::hash(QByteArrayLiteral("SQLite format 2 -- no, this is a shopping list\n"), QCryptographicHash::Sha256);
    for (const QStringList &args : {QStringList{QStringLiteral("status")}, QStringList{QStringLiteral("chat"), QStringLiteral("hi")}}) {
        const Output o = spool(args);
        QCOMPARE(o.code, 3);
        QVERIFY2(o.err.contains(path), qPrintable(o.err));
        QVERIFY(o.err.contains(QStringLiteral("not an SQLite database")));
    }
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256), before);
    QVERIFY(!QFile::exists(path + QStringLiteral("-wal")));
}

void tst_Cli::sessionLifecycle()
{
    QCOMPARE(spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("life"), QStringLiteral("first words")}).code, 0);
    QJsonObject s = json({QStringLiteral("sessions"), QStringLiteral("show"), QStringLiteral("life")}).toObject();
    QCOMPARE(s.value(QStringLiteral("title")).toString(), QStringLiteral("first words"));
    const QString id = s.value(QStringLiteral("id")).toString();
    QCOMPARE(s.value(QStringLiteral("run_list")).toArray().size(), 1);

    QCOMPARE(spool({QStringLiteral("sessions"), QStringLiteral("rename"), QStringLiteral("life"), QStringLiteral("My"), QStringLiteral("talk")}).code, 0);
    QCOMPARE(json({QStringLiteral("sessions"), QStringLiteral("show"), id}).toObject().value(QStringLiteral("title")).toString(), QStringLiteral("My talk"));
    const Output search = spool({QStringLiteral("sessions"), QStringLiteral("list"), QStringLiteral("--search"), QStringLiteral("words")});
    QVERIFY(search.out.contains(id));

    QCOMPARE(spool({QStringLiteral("sessions"), QStringLiteral("archive"), QStringLiteral("life")}).code, 0);
    QCOMPARE(json({QStringLiteral("sessions"), QStringLiteral("list")}).toArray().size(), 0);
    QCOMPARE(json({QStringLiteral("sessions"), QStringLiteral("list"), QStringLiteral("--archived")}).toArray().size(), 1);
    // The key is free again: a new session takes it; the old one cannot be restored over it.
    QCOMPARE(spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("life"), QStringLiteral("new life")}).code, 0);
    QCOMPARE(spool({QStringLiteral("sessions"), QStringLiteral("restore"), id}).code, 5);
    QCOMPARE(spool({QStringLiteral("sessions"), QStringLiteral("archive"), QStringLiteral("life")}).code, 0);
    QCOMPARE(spool({QStringLiteral("sessions"), QStringLiteral("restore"), id}).code, 0);

    QCOMPARE(spool({QStringLiteral("sessions"), QStringLiteral("reset"), id}).code, 0);
    QCOMPARE(json({QStringLiteral("sessions"), QStringLiteral("show"), id}).toObject().value(QStringLiteral("context_floor")).toInt(), 1);
    QCOMPARE(spool({QStringLiteral("sessions"), QStringLiteral("delete"), id}).code, 2); // needs --yes off a terminal
    QCOMPARE(spool({QStringLiteral("sessions"), QStringLiteral("delete"), id, QStringLiteral("--yes")}).code, 0);
    QCOMPARE(spool({QStringLiteral("sessions"), QStringLiteral("show"), id}).code, 4);
}

void tst_Cli::approvalDecidedFromAnotherTerminal()
{
    QProcess *chat = startSpool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("ask"),
                                 QStringLiteral("[[tool echo {\"text\": \"decided elsewhere\"}]]")}, 0);
    QJsonArray pending;
    QElapsedTimer clock;
    clock.start();
    while (pending.isEmpty() && clock.elapsed() < Spool::Test::kProcessTimeoutMs) {
        QTest::qWait(50);
        pending = json({QStringLiteral("approvals"), QStringLiteral("list")}).toArray();
    }
    QCOMPARE(pending.size(), 1);
    const QJsonObject a = pending.at(0).toObject();
    QCOMPARE(a.value(QStringLiteral("tool")).toString(), QStringLiteral("echo"));
    const QString id = a.value(QStringLiteral("id")).toString();
    const Output decided = spool({QStringLiteral("approvals"), QStringLiteral("decide"), id.left(12), QStringLiteral("allow")});
    QCOMPARE(decided.code, 0);
    QVERIFY(Spool::Test::waitForExit(chat));
    QCOMPARE(chat->exitCode(), 0);
    const QString out = QString::fromUtf8(chat->readAllStandardOutput());
    QVERIFY2(out.contains(QStringLiteral("decided elsewhere")), qPrintable(out));
    QVERIFY(QString::fromUtf8(chat->readAllStandardError()).contains(QStringLiteral("spool approvals decide")));
    // Deciding twice is a conflict.
    QCOMPARE(spool({QStringLiteral("approvals"), QStringLiteral("decide"), id, QStringLiteral("deny")}).code, 5);
}

void tst_Cli::approvalFlags()
{
    const Output denied = spool({QStringLiteral("chat"), QStringLiteral("--deny"), QStringLiteral("[[tool echo {\"text\": \"nope\"}]]")});
    QCOMPARE(denied.code, 0);
    QVERIFY(denied.out.contains(QStringLiteral("did not run")));
    QVERIFY(denied.err.contains(QStringLiteral("deny")));
    const Output allowed = spool({QStringLiteral("chat"), QStringLiteral("--approve"), QStringLiteral("[[tool echo {\"text\": \"yes\"}]]")});
    QCOMPARE(allowed.code, 0);
    QVERIFY(allowed.out.contains(QStringLiteral("`echo` returned: yes")));
}

void tst_Cli::cancelFromAnotherTerminal()
{
    QProcess *chat = startSpool({QStringLiteral("chat"), QStringLiteral("[[words 2000]]")}, 30);
    const QString id = waitForActiveRun();
    QVERIFY(!id.isEmpty());
    const Output cancel = spool({QStringLiteral("runs"), QStringLiteral("cancel"), id});
    QCOMPARE(cancel.code, 0);
    QVERIFY2(cancel.out.contains(QStringLiteral("cancelled")), qPrintable(cancel.out + cancel.err));
    // Exit code 6 is the cancel reaching the chat (its run alone would stream for a minute and
    // end with 0); how soon the owner notices is counted in tst_gateway, in streamed chunks.
    QVERIFY(Spool::Test::waitForExit(chat));
    QCOMPARE(chat->exitCode(), 6);
    const QJsonObject run = json({QStringLiteral("runs"), QStringLiteral("show"), id}).toObject();
    QCOMPARE(run.value(QStringLiteral("state")).toString(), QStringLiteral("cancelled"));
}

void tst_Cli::ctrlCCancels()
{
    QProcess *chat = startSpool({QStringLiteral("chat"), QStringLiteral("[[words 2000]]")}, 30);
    const QString id = waitForActiveRun();
    QVERIFY(!id.isEmpty());
    ::kill(pid_t(chat->processId()), SIGINT);
    QVERIFY(Spool::Test::waitForExit(chat));
    QCOMPARE(chat->exitStatus(), QProcess::NormalExit);
    QCOMPARE(chat->exitCode(), 130);
    QCOMPARE(json({QStringLiteral("runs"), QStringLiteral("show"), id}).toObject().value(QStringLiteral("state")).toString(),
             QStringLiteral("cancelled"));
}

void tst_Cli::killNineIsRepairedOnNextStart()
{
    QCOMPARE(spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("k"), QStringLiteral("before the crash")}).code, 0);
    QProcess *chat = startSpool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("k"), QStringLiteral("[[words 5000]]")}, 5);
    const QString id = waitForActiveRun();
    QVERIFY(!id.isEmpty());
    // Killed mid-stream: part of the reply has reached the terminal.
    QByteArray streamed;
    QTRY_VERIFY_WITH_TIMEOUT((streamed += chat->readAllStandardOutput()).size() > 200,
                             Spool::Test::kProcessTimeoutMs);
    ::kill(pid_t(chat->processId()), SIGKILL);
    QVERIFY(Spool::Test::waitForExit(chat));

    // The next start repairs: the run is failed/interrupted, the journal is healthy.
    const QJsonObject status = json({QStringLiteral("status"), QStringLiteral("--check")}).toObject();
    QCOMPARE(status.value(QStringLiteral("journal")).toObject().value(QStringLiteral("check")).toString(), QStringLiteral("ok"));
    const QJsonObject run = json({QStringLiteral("runs"), QStringLiteral("show"), id}).toObject();
    QCOMPARE(run.value(QStringLiteral("state")).toString(), QStringLiteral("failed"));
    QCOMPARE(run.value(QStringLiteral("reason")).toString(), QStringLiteral("interrupted"));

    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("inspect"));
        db.setDatabaseName(m_dir->filePath(QStringLiteral("data/journal.sqlite3")));
        QVERIFY(db.open());
        QSqlQuery q(db);
        QVERIFY(q.exec(QStringLiteral("PRAGMA integrity_check")) && q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("ok"));
        // No gaps in any run's tape, and nothing is left non-terminal.
        QVERIFY(q.exec(QStringLiteral("SELECT run_id, COUNT(*), MAX(seq) FROM orchestrator_tape GROUP BY run_id")));
        int runs = 0;
        while (q.next()) {
            ++runs;
            QCOMPARE(q.value(1).toInt(), q.value(2).toInt());
        }
        QCOMPARE(runs, 2);
        QVERIFY(q.exec(QStringLiteral("SELECT COUNT(*) FROM runs WHERE state IN ('accepted', 'running')")) && q.next());
        QCOMPARE(q.value(0).toInt(), 0);
    }
    QSqlDatabase::removeDatabase(QStringLiteral("inspect"));
    // The earlier run is intact, and the session goes on.
    const Output again = spool({QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("k"), QStringLiteral("after")});
    QCOMPARE(again.code, 0);
    QVERIFY(again.out.contains(QStringLiteral("earlier turn")));
}

void tst_Cli::statusAndDemo()
{
    const Output demo = spool({QStringLiteral("demo")});
    QCOMPARE(demo.code, 0);
    QVERIFY2(demo.out.contains(QStringLiteral("`clock` returned")), qPrintable(demo.out));
    QVERIFY(demo.out.contains(QStringLiteral("approval.decision")));
    const QJsonObject status = json({QStringLiteral("status")}).toObject();
    QCOMPARE(status.value(QStringLiteral("runs_by_state")).toObject().value(QStringLiteral("succeeded")).toInt(), 3);
    QCOMPARE(status.value(QStringLiteral("sessions")).toInt(), 1);
    QVERIFY(status.value(QStringLiteral("journal")).toObject().value(QStringLiteral("tape_events")).toInt() > 20);
    const Output version = spool({QStringLiteral("--version")});
    QCOMPARE(version.code, 0);
    QVERIFY(version.out.startsWith(QStringLiteral("spool ")));
    const Output help = spool({QStringLiteral("--help")});
    QCOMPARE(help.code, 0);
    QVERIFY(help.out.contains(QStringLiteral("Exit codes")));
}

void tst_Cli::toolsListAndRun()
{
    const QJsonArray tools = json({QStringLiteral("tools"), QStringLiteral("list")}).toArray();
    QStringList names;
    for (const QJsonValue &t : tools)
        names.append(t.toObject().value(QStringLiteral("name")).toString());
    for (const char *name : {"clock", "echo", "fs.read", "fs.write", "fs.list", "fs.search", "shell.exec", "http.fetch"})
        QVERIFY2(names.contains(QLatin1String(name)), name);

    const QString workspace = m_dir->filePath(QStringLiteral("ws"));
    QDir().mkpath(workspace);
    const Output written = spool({QStringLiteral("tools"), QStringLiteral("run"), QStringLiteral("fs.write"),
                                  QStringLiteral("--args"), QStringLiteral("{\"path\": \"hello.txt\", \"content\": \"hi\\n\"}"),
                                  QStringLiteral("--workspace"), workspace, QStringLiteral("--approve")});
    QCOMPARE(written.code, 0);
    QVERIFY(written.out.contains(QStringLiteral("hello.txt")));
    QFile file(workspace + QStringLiteral("/hello.txt"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("hi\n"));

    // Denied: exit 1, nothing written. The session keeps its workspace.
    const Output denied = spool({QStringLiteral("tools"), QStringLiteral("run"), QStringLiteral("fs.write"),
                                 QStringLiteral("--args"), QStringLiteral("{\"path\": \"no.txt\", \"content\": \"x\"}"),
                                 QStringLiteral("--deny")});
    QCOMPARE(denied.code, 1);
    QVERIFY(!QFile::exists(workspace + QStringLiteral("/no.txt")));
    QVERIFY(denied.err.contains(QStringLiteral("denied")));
    const Output shown = spool({QStringLiteral("sessions"), QStringLiteral("workspace"), QStringLiteral("tools")});
    QCOMPARE(shown.code, 0);
    QCOMPARE(shown.out.trimmed(), QDir(workspace).canonicalPath());

    // A sandboxed command: its output is what the command printed.
    const Output command = spool({QStringLiteral("tools"), QStringLiteral("run"), QStringLiteral("shell.exec"),
                                  QStringLiteral("--args"), QStringLiteral("{\"command\": \"cat hello.txt; pwd\"}"),
                                  QStringLiteral("--approve")});
    QCOMPARE(command.code, 0);
    QCOMPARE(command.out, QStringLiteral("hi\n/workspace\n"));

    QCOMPARE(spool({QStringLiteral("tools"), QStringLiteral("run"), QStringLiteral("nope")}).code, 4);
    QCOMPARE(spool({QStringLiteral("tools"), QStringLiteral("run"), QStringLiteral("fs.read"), QStringLiteral("--args"), QStringLiteral("[1]")}).code, 2);
}

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
