// `spool memory` end to end (issue 11): the real binary on a temporary journal, human and
// --json output, exit codes, import with an error per bad file, embeddings from the loopback
// embeddings server, and a memory added in a terminal given to a later run.
#include "embeddingsserver.h"
#include "spoolprocess.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace Spool::Test;

namespace {

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

QJsonObject object(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).object();
}

QJsonArray array(const QString &text)
{
    return QJsonDocument::fromJson(text.toUtf8()).array();
}

} // namespace

class tst_MemoryCli : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void addListShowForget();
    void searchIsLexicalAndSaysSo();
    void usageErrors_data();
    void usageErrors();
    void importReportsEachBadFile();
    void embeddingsAndHybridSearch();
    void memoryReachesARun();

private:
    SpoolOutput spool(const QStringList &args, const QByteArray &stdinData = {})
    {
        return runSpool(spoolEnvironment(m_dir->path()), args, stdinData, 60000);
    }
    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_MemoryCli::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
}

void tst_MemoryCli::cleanup()
{
    m_dir.reset();
}

void tst_MemoryCli::addListShowForget()
{
    SpoolOutput o = spool({"memory", "add", "The", "staging", "host", "is", "stage.example.org", "--tag", "infra", "--json"});
    QCOMPARE(o.code, 0);
    const QJsonObject added = object(o.out);
    const qint64 id = added.value("id").toInteger();
    QVERIFY(id > 0);
    QCOMPARE(added.value("text").toString(), QStringLiteral("The staging host is stage.example.org"));
    QCOMPARE(added.value("tags").toArray(), QJsonArray{"infra"});
    QCOMPARE(added.value("scope").toString(), QStringLiteral("global"));

    // From stdin, into a session's scope, pinned.
    QCOMPARE(spool({"sessions", "list"}).code, 0);
    o = spool({"chat", "--session", "work", "hi"});
    QCOMPARE(o.code, 0);
    o = spool({"memory", "add", "-", "--scope", "session:work", "--pin"}, "Deploys go out on Tuesdays.\n");
    QCOMPARE(o.code, 0);
    QVERIFY2(o.out.contains(QLatin1String("Remembered")), qPrintable(o.out));
    // The same text again is refused as a conflict.
    o = spool({"memory", "add", "The staging host is stage.example.org"});
    QCOMPARE(o.code, 5);
    QVERIFY(o.err.contains(QLatin1String("already holds")));

    o = spool({"memory", "list", "--json"});
    QCOMPARE(o.code, 0);
    const QJsonArray list = array(o.out);
    QCOMPARE(list.size(), 2);
    QCOMPARE(list.at(0).toObject().value("pinned").toBool(), true); // pinned first
    QVERIFY(list.at(0).toObject().value("scope_key").toString().size() == 26);
    o = spool({"memory", "list", "--scope", "global"});
    QCOMPARE(o.code, 0);
    QVERIFY(o.out.contains(QLatin1String("stage.example.org")));
    QVERIFY(!o.out.contains(QLatin1String("Tuesdays")));

    o = spool({"memory", "show", QString::number(id)});
    QCOMPARE(o.code, 0);
    QVERIFY(o.out.contains(QLatin1String("Tags     infra")));
    QVERIFY(o.out.contains(QLatin1String("Vector   no")));
    o = spool({"memory", "pin", QString::number(id), "--json"});
    QCOMPARE(object(o.out).value("pinned").toBool(), true);
    o = spool({"memory", "forget", QString::number(id), "--json"});
    QCOMPARE(o.code, 0);
    QCOMPARE(object(o.out).value("forgotten").toInteger(), id);
    o = spool({"memory", "show", QString::number(id)});
    QCOMPARE(o.code, 4);
    QVERIFY(o.err.contains(QLatin1String("no memory")));
}

void tst_MemoryCli::searchIsLexicalAndSaysSo()
{
    QCOMPARE(spool({"memory", "add", "Kubernetes clusters are upgraded every quarter"}).code, 0);
    QCOMPARE(spool({"memory", "add", "The espresso machine needs descaling"}).code, 0);
    SpoolOutput o = spool({"memory", "search", "cluster", "upgrades", "--json"});
    QCOMPARE(o.code, 0);
    const QJsonObject r = object(o.out);
    QCOMPARE(r.value("mode").toString(), QStringLiteral("lexical"));
    QVERIFY(r.value("note").toString().contains(QLatin1String("no embedding model")));
    const QJsonArray hits = r.value("hits").toArray();
    QCOMPARE(hits.size(), 1);
    QVERIFY(hits.first().toObject().value("text").toString().startsWith(QLatin1String("Kubernetes")));
    QVERIFY(hits.first().toObject().value("score").toDouble() > 0);
    o = spool({"memory", "search", "espresso"});
    QCOMPARE(o.code, 0);
    QVERIFY(o.out.startsWith(QLatin1String("lexical search (")));
    QVERIFY(o.out.contains(QLatin1String("espresso machine")));
    o = spool({"memory", "status", "--json"});
    QCOMPARE(object(o.out).value("search_mode").toString(), QStringLiteral("lexical"));
    QCOMPARE(object(o.out).value("items").toInteger(), 2);
}

void tst_MemoryCli::usageErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("code");
    QTest::newRow("unknown action") << QStringList{"memory", "remember"} << 2;
    QTest::newRow("add without text") << QStringList{"memory", "add"} << 2;
    QTest::newRow("show without id") << QStringList{"memory", "show"} << 2;
    QTest::newRow("bad id") << QStringList{"memory", "show", "abc"} << 2;
    QTest::newRow("bad scope") << QStringList{"memory", "add", "x", "--scope", "planet:mars"} << 2;
    QTest::newRow("unknown session") << QStringList{"memory", "add", "x", "--scope", "session:nope"} << 4;
    QTest::newRow("bad limit") << QStringList{"memory", "search", "x", "--limit", "0"} << 2;
    QTest::newRow("bad source") << QStringList{"memory", "list", "--source", "web"} << 2;
    QTest::newRow("reindex without a model") << QStringList{"memory", "reindex"} << 2;
    QTest::newRow("embeddings from nowhere") << QStringList{"memory", "embeddings", "nope", "m"} << 4;
}

void tst_MemoryCli::usageErrors()
{
    QFETCH(QStringList, args);
    QFETCH(int, code);
    const SpoolOutput o = spool(args);
    QCOMPARE(o.code, code);
    QVERIFY(!o.err.isEmpty());
}

void tst_MemoryCli::importReportsEachBadFile()
{
    QTemporaryDir docs;
    QVERIFY(writeFile(docs.filePath("a.md"), "# Runbook\n\nRestart the queue with `make restart`.\n"));
    QVERIFY(writeFile(docs.filePath("b.txt"), "Plain notes about the mail relay.\n"));
    QVERIFY(writeFile(docs.filePath("c.md"), "bad \xff\xfe bytes\n"));
    SpoolOutput o = spool({"memory", "import", docs.path(), "--json"});
    QCOMPARE(o.code, 1); // one file failed, the others are in
    QJsonObject report = object(o.out);
    QCOMPARE(report.value("imported").toInt(), 2);
    QCOMPARE(report.value("errors").toArray().size(), 1);
    QVERIFY(report.value("errors").toArray().first().toObject().value("path").toString().endsWith(QLatin1String("c.md")));
    QVERIFY(o.err.contains(QLatin1String("not UTF-8")));
    // Human output, and a second import that finds nothing new.
    QVERIFY(QFile::remove(docs.filePath("c.md")));
    o = spool({"memory", "import", docs.path()});
    QCOMPARE(o.code, 0);
    QVERIFY2(o.out.contains(QLatin1String("Imported 0 files (0 passages); 2 unchanged, 0 removed, 0 failed.")), qPrintable(o.out));
    o = spool({"memory", "search", "queue restart", "--json"});
    QCOMPARE(object(o.out).value("hits").toArray().first().toObject().value("source").toString().section(':', 0, 0),
             QStringLiteral("file"));
    o = spool({"memory", "list", "--source", "file", "--json"});
    QCOMPARE(array(o.out).size(), 2);
}

void tst_MemoryCli::embeddingsAndHybridSearch()
{
    EmbeddingsServer server(48);
    QVERIFY(server.listen());
    SpoolOutput o = spool({"providers", "add", "embed", "--kind", "openai", "--base-url", server.baseUrl(), "--model",
                           server.model(), "--no-key"});
    QCOMPARE(o.code, 0);
    QCOMPARE(spool({"memory", "add", "Kubernetes clusters are upgraded every quarter"}).code, 0);
    o = spool({"memory", "embeddings", "embed", server.model(), "--json"});
    QCOMPARE(o.code, 0);
    QCOMPARE(object(o.out).value("vectors").toInteger(), 1);
    QCOMPARE(object(o.out).value("dimension").toInt(), 48);
    // New memories get their vector before the command ends.
    QCOMPARE(spool({"memory", "add", "The espresso machine needs descaling"}).code, 0);
    o = spool({"memory", "search", "kubernets", "--json"});
    QCOMPARE(o.code, 0);
    QJsonObject r = object(o.out);
    QCOMPARE(r.value("mode").toString(), QStringLiteral("hybrid"));
    QVERIFY(r.value("hits").toArray().first().toObject().value("text").toString().startsWith(QLatin1String("Kubernetes")));
    QVERIFY(r.value("hits").toArray().first().toObject().contains("vector_rank"));
    QVERIFY2(server.rejections().isEmpty(), qPrintable(server.rejections().join('\n')));
    o = spool({"memory", "reindex", "--json"});
    QCOMPARE(o.code, 0);
    QCOMPARE(object(o.out).value("vectors").toInteger(), 2);
    // The server fails: the command says so, nothing is lost, search falls back to words.
    server.failNext(1000, 503);
    o = spool({"memory", "add", "Invoices go out on the first working day"});
    QCOMPARE(o.code, 0);
    QVERIFY2(o.err.contains(QLatin1String("without a vector")), qPrintable(o.err));
    o = spool({"memory", "search", "invoices", "--json"});
    QCOMPARE(o.code, 0);
    r = object(o.out);
    QCOMPARE(r.value("mode").toString(), QStringLiteral("lexical"));
    QVERIFY(r.value("note").toString().contains(QLatin1String("503")) || r.value("note").toString().contains(QLatin1String("failed")));
    QCOMPARE(r.value("hits").toArray().size(), 1);
    o = spool({"memory", "embeddings", "none"});
    QCOMPARE(o.code, 0);
    QVERIFY(o.out.contains(QLatin1String("lexical")));
}

void tst_MemoryCli::memoryReachesARun()
{
    QCOMPARE(spool({"memory", "add", "The office wifi is called Lighthouse"}).code, 0);
    SpoolOutput o = spool({"chat", "--session", "m", "what is the wifi called?", "--json"});
    QCOMPARE(o.code, 0);
    o = spool({"runs", "list", "--json"});
    const QString runId = array(o.out).first().toObject().value("id").toString();
    o = spool({"tape", runId, "--kind", "context", "--json"});
    QCOMPARE(o.code, 0);
    const QJsonObject context = object(o.out.section('\n', 0, 0)).value("payload").toObject();
    const QJsonArray hits = context.value("memory_hits").toArray();
    QCOMPARE(hits.size(), 1);
    QVERIFY(hits.first().toObject().value("snippet").toString().contains(QLatin1String("Lighthouse")));
    QCOMPARE(hits.first().toObject().value("source").toString(), QStringLiteral("user"));
    // `spool tape` shows them in its summary line too.
    o = spool({"tape", runId, "--kind", "context"});
    QVERIFY2(o.out.contains(QLatin1String("1 memory (lexical)")), qPrintable(o.out));
}

QTEST_GUILESS_MAIN(tst_MemoryCli)
#include "tst_memorycli.moc"
