// fs.read, fs.write, fs.list, fs.search as the model uses them, and the diff the user approves.

#include "tools/builtin/fslisttool.h"
#include "tools/builtin/fsreadtool.h"
#include "tools/builtin/fssearchtool.h"
#include "tools/builtin/fswritetool.h"
#include "tools/textdiff.h"
#include "threadcputimer.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Spool;

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

void writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
}

QByteArray numberedLines(int count, int width = 0)
{
    QByteArray out;
    for (int i = 1; i <= count; ++i)
        out += "line" + QByteArray::number(i).rightJustified(width, '0') + '\n';
    return out;
}

// Applies a unified diff made by TextDiff to `oldText`; returns the result, or a null string
// when the diff does not fit the text.
QString applyUnified(const QString &oldText, const QString &diff)
{
    QStringList old; // lines with their newline, if any
    qsizetype start = 0;
    while (start < oldText.size()) {
        const qsizetype nl = oldText.indexOf(QLatin1Char('\n'), start);
        const qsizetype end = nl < 0 ? oldText.size() : nl + 1;
        old << oldText.mid(start, end - start);
        start = end;
    }
    const QStringList lines = diff.split(QLatin1Char('\n'));
    QStringList out;
    int oldPos = 0;
    static const QRegularExpression hunk(QStringLiteral("^@@ -(\\d+)(?:,(\\d+))? \\+(\\d+)(?:,(\\d+))? @@$"));
    for (qsizetype i = 2; i < lines.size(); ++i) {
        const QString &l = lines[i];
        if (l.isEmpty())
            continue;
        const auto m = hunk.match(l);
        if (m.hasMatch()) {
            const int a = m.captured(1).toInt();
            const int b = m.captured(2).isEmpty() ? 1 : m.captured(2).toInt();
            const int firstOld = b == 0 ? a : a - 1; // 0-based index of the hunk's first old line
            while (oldPos < firstOld && oldPos < old.size())
                out << old[oldPos++];
            continue;
        }
        const bool noNewline = i + 1 < lines.size() && lines[i + 1].startsWith(QLatin1Char('\\'));
        const QString text = l.mid(1) + (noNewline ? QString() : QStringLiteral("\n"));
        switch (l.at(0).unicode()) {
        case ' ':
        case '-':
            if (oldPos >= old.size() || old[oldPos] != text)
                return QString();
            if (l.at(0) == QLatin1Char(' '))
                out << text;
            ++oldPos;
            break;
        case '+':
            out << text;
            break;
        case '\\':
            break;
        default:
            return QString();
        }
    }
    while (oldPos < old.size())
        out << old[oldPos++];
    return out.join(QString());
}

int lcs(const QStringList &a, const QStringList &b)
{
    QList<QList<int>> t(a.size() + 1, QList<int>(b.size() + 1, 0));
    for (qsizetype i = 1; i <= a.size(); ++i)
        for (qsizetype j = 1; j <= b.size(); ++j)
            t[i][j] = a[i - 1] == b[j - 1] ? t[i - 1][j - 1] + 1 : qMax(t[i - 1][j], t[i][j - 1]);
    return t[a.size()][b.size()];
}

} // namespace

class tst_FsTools : public QObject
{
    Q_OBJECT
private slots:
    void init();

    void read_data();
    void read();
    void readErrors();
    void write();
    void writeEdits_data();
    void writeEdits();
    void writePreview();
    void list();
    void search_data();
    void search();

    void diffExamples();
    void diffRoundTrip();
    void diffCaps();

private:
    QString ws(const QString &rel = QString()) const
    {
        return rel.isEmpty() ? m_dir->filePath(QStringLiteral("ws"))
                             : m_dir->filePath(QStringLiteral("ws/") + rel);
    }
    Workspace workspace() const { return *Workspace::open(ws()); }
    ToolResult runWrite(const QJsonObject &arguments)
    {
        FsWriteTool tool{ToolOptions{}};
        ToolInvocation call;
        call.workspace = ws();
        call.arguments = arguments;
        QObject parent;
        ToolJob *job = tool.start(call, &parent);
        QSignalSpy spy(job, &ToolJob::finished);
        if (!spy.wait(30000))
            return ToolResult::failure(QStringLiteral("<no result>"));
        return spy.first().first().value<ToolResult>();
    }
    QJsonObject preview(const QJsonObject &arguments)
    {
        FsWriteTool tool{ToolOptions{}};
        ToolInvocation call;
        call.workspace = ws();
        call.arguments = arguments;
        return tool.approvalPreview(call);
    }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_FsTools::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(QDir().mkpath(ws()));
}

void tst_FsTools::read_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QJsonObject>("arguments");
    QTest::addColumn<int>("capBytes");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<bool>("truncated");
    QTest::newRow("whole") << QByteArray("a\nb\n") << QJsonObject{} << 1000 << "a\nb\n" << false;
    QTest::newRow("no final newline") << QByteArray("a\nb") << QJsonObject{} << 1000 << "a\nb" << false;
    QTest::newRow("empty") << QByteArray() << QJsonObject{} << 1000 << "[f.txt is empty]" << false;
    QTest::newRow("offset and limit") << numberedLines(10) << QJsonObject{{"offset", 3}, {"limit", 2}} << 1000
                                      << "line3\nline4\n[f.txt: lines 3-4 of 10 shown; continue with offset=5]" << false;
    QTest::newRow("to the end") << numberedLines(10) << QJsonObject{{"offset", 9}} << 1000
                                << "line9\nline10\n[f.txt: lines 9-10 of 10 shown]" << false;
    QTest::newRow("last line without newline") << QByteArray("x\ny\nz") << QJsonObject{{"offset", 3}} << 1000
                                               << "z\n[f.txt: lines 3-3 of 3 shown]" << false;
    QTest::newRow("default limit") << numberedLines(2500, 4) << QJsonObject{} << 1000000
                                   << QString(QString::fromLatin1(numberedLines(2000, 4))
                                              + QStringLiteral("[f.txt: lines 1-2000 of 2500 shown; continue with offset=2001]"))
                                   << false;
    QTest::newRow("byte cap at whole lines") << numberedLines(50, 2) << QJsonObject{} << 40
                                             << "line01\nline02\nline03\nline04\nline05\n"
                                                "[f.txt: lines 1-5 of 50 shown; continue with offset=6; stopped at the 40-byte cap]"
                                             << true;
    QTest::newRow("first line over the cap") << QByteArray(100, 'x') + '\n' << QJsonObject{} << 10
                                             << QString(QString(10, QLatin1Char('x'))
                                                        + QStringLiteral("\n[f.txt: line 1 is longer than 10 bytes; only its beginning is shown; stopped at the 10-byte cap]"))
                                             << true;
    QTest::newRow("invalid utf-8") << QByteArray("caf\xe9\n") << QJsonObject{} << 1000
                                   << QStringLiteral("caf\uFFFD\n[f.txt: the file is not valid UTF-8; invalid bytes are shown as U+FFFD]")
                                   << false;
}

void tst_FsTools::read()
{
    QFETCH(QByteArray, content);
    QFETCH(QJsonObject, arguments);
    QFETCH(int, capBytes);
    QFETCH(QString, expected);
    QFETCH(bool, truncated);
    writeFile(ws(QStringLiteral("f.txt")), content);
    arguments.insert(QStringLiteral("path"), QStringLiteral("f.txt"));
    ToolOptions::Files limits;
    limits.readMaxBytes = capBytes;
    const ToolResult r = FsReadTool::read(workspace(), arguments, limits);
    QVERIFY2(r.ok, qPrintable(r.output));
    QCOMPARE(r.output, expected);
    QCOMPARE(r.truncated, truncated);
}

void tst_FsTools::readErrors()
{
    writeFile(ws(QStringLiteral("bin.dat")), QByteArray("\x7f" "ELF\0\0\0", 7));
    writeFile(ws(QStringLiteral("ten.txt")), numberedLines(10));
    writeFile(ws(QStringLiteral("long.txt")), numberedLines(1000, 4));
    QVERIFY(QDir().mkpath(ws(QStringLiteral("folder"))));
    const Workspace w = workspace();
    const ToolOptions::Files limits;
    auto err = [&](const QJsonObject &args, const ToolOptions::Files &l = ToolOptions::Files{}) {
        const ToolResult r = FsReadTool::read(w, args, l);
        return r.ok ? QStringLiteral("<ok: %1>").arg(r.output.left(80)) : r.output;
    };
    QVERIFY(err({{"path", "bin.dat"}}).contains(QLatin1String("is a binary file (7 bytes)")));
    QVERIFY(err({{"path", "ten.txt"}, {"offset", 11}}).contains(QLatin1String("has 10 lines; offset 11 is past the end")));
    QVERIFY(err({{"path", "folder"}}).contains(QLatin1String("is a folder; use fs.list")));
    QVERIFY(err({{"path", "missing.txt"}}).contains(QLatin1String("does not exist")));
    QVERIFY(err({{"path", "../ten.txt"}}).contains(QLatin1String("'..'")));
    ToolOptions::Files scan;
    scan.readMaxScanBytes = 64 * 1024; // the file is 10,000 bytes: scanned in one read
    scan.readMaxScanBytes = 4000;
    QVERIFY(err({{"path", "long.txt"}, {"offset", 900}}, scan).contains(QLatin1String("beyond the first")));
    const ToolResult head = FsReadTool::read(w, {{"path", "long.txt"}, {"limit", 2}}, scan);
    QVERIFY2(head.ok, qPrintable(head.output));
    QVERIFY2(head.output.endsWith(QLatin1String("[long.txt: lines 1-2 of at least 444 shown; continue with offset=3]")),
             qPrintable(head.output));
}

void tst_FsTools::write()
{
    const ToolResult created = runWrite({{"path", "src/new.txt"}, {"content", "one\ntwo\n"}});
    QVERIFY2(created.ok, qPrintable(created.output));
    QCOMPARE(created.output, QStringLiteral("Created src/new.txt (8 bytes, 2 lines)."));
    QCOMPARE(readFile(ws(QStringLiteral("src/new.txt"))), QByteArray("one\ntwo\n"));

    const ToolResult replaced = runWrite({{"path", "src/new.txt"}, {"content", "one\n2\nthree\n"}});
    QVERIFY2(replaced.ok, qPrintable(replaced.output));
    QCOMPARE(replaced.output, QStringLiteral("Wrote src/new.txt (8 -> 12 bytes, +2 -1 lines)."));
    const ToolResult same = runWrite({{"path", "src/new.txt"}, {"content", "one\n2\nthree\n"}});
    QVERIFY(same.output.contains(QLatin1String("nothing changed")));

    const ToolResult noDirs = runWrite({{"path", "other/x.txt"}, {"content", "x"}, {"create_directories", false}});
    QVERIFY(!noDirs.ok);
    QVERIFY(!QFileInfo::exists(ws(QStringLiteral("other"))));
    const ToolResult both = runWrite({{"path", "a.txt"}, {"content", "x"}, {"edits", QJsonArray{}}});
    QVERIFY(!both.ok);
    QVERIFY(both.output.contains(QLatin1String("either `content`")));
    const ToolResult neither = runWrite({{"path", "a.txt"}});
    QVERIFY(!neither.ok);
    QVERIFY(!QFileInfo::exists(ws(QStringLiteral("a.txt"))));
}

void tst_FsTools::writeEdits_data()
{
    QTest::addColumn<QByteArray>("before");
    QTest::addColumn<QJsonArray>("edits");
    QTest::addColumn<QByteArray>("after"); // empty: the call fails and the file is unchanged
    QTest::addColumn<QString>("message");
    auto edit = [](const QString &o, const QString &n, bool all = false) {
        QJsonObject e{{"old_text", o}, {"new_text", n}};
        if (all)
            e.insert(QStringLiteral("replace_all"), true);
        return e;
    };
    QTest::newRow("one") << QByteArray("int x = 1;\nint y = 2;\n") << QJsonArray{edit("x = 1", "x = 10")}
                         << QByteArray("int x = 10;\nint y = 2;\n") << "+1 -1 lines";
    QTest::newRow("in order") << QByteArray("a\nb\nc\n") << QJsonArray{edit("a\n", ""), edit("c", "C\nD")}
                              << QByteArray("b\nC\nD\n") << "+2 -2 lines";
    QTest::newRow("sees earlier edits") << QByteArray("foo\n") << QJsonArray{edit("foo", "bar"), edit("bar", "baz")}
                                        << QByteArray("baz\n") << "+1 -1 lines";
    QTest::newRow("replace all") << QByteArray("a a a\n") << QJsonArray{edit("a", "b", true)}
                                 << QByteArray("b b b\n") << "+1 -1 lines";
    QTest::newRow("not found") << QByteArray("hello\n") << QJsonArray{edit("hallo", "x")} << QByteArray()
                               << "edit 1: old_text \"hallo\" was not found in f.txt; read the file again";
    QTest::newRow("whitespace matters") << QByteArray("    indented\n") << QJsonArray{edit("\tindented", "x")}
                                        << QByteArray() << "was not found";
    QTest::newRow("ambiguous") << QByteArray("x\nx\n") << QJsonArray{edit("x", "y")} << QByteArray()
                               << "edit 1: old_text \"x\" occurs 2 times in f.txt";
    QTest::newRow("second fails, none applied") << QByteArray("a\nb\n") << QJsonArray{edit("a", "A"), edit("zzz", "q")}
                                                << QByteArray() << "edit 2: old_text \"zzz\" was not found in f.txt (after the earlier edits)";
    QTest::newRow("binary") << QByteArray("a\0b", 3) << QJsonArray{edit("a", "b")} << QByteArray()
                            << "binary file";
}

void tst_FsTools::writeEdits()
{
    QFETCH(QByteArray, before);
    QFETCH(QJsonArray, edits);
    QFETCH(QByteArray, after);
    QFETCH(QString, message);
    writeFile(ws(QStringLiteral("f.txt")), before);
    // The preview, shown before the call runs, predicts its outcome.
    const QJsonObject p = preview({{"path", "f.txt"}, {"edits", edits}});
    QCOMPARE(p.value(QStringLiteral("kind")).toString(),
             after.isEmpty() ? QStringLiteral("error") : QStringLiteral("diff"));
    if (!after.isEmpty())
        QCOMPARE(applyUnified(QString::fromLatin1(before), p.value(QStringLiteral("diff")).toString()),
                 QString::fromLatin1(after));
    const ToolResult r = runWrite({{"path", "f.txt"}, {"edits", edits}});
    QCOMPARE(r.ok, !after.isEmpty());
    QVERIFY2(r.output.contains(message), qPrintable(r.output));
    QCOMPARE(readFile(ws(QStringLiteral("f.txt"))), after.isEmpty() ? before : after);
}

void tst_FsTools::writePreview()
{
    const QJsonObject created = preview({{"path", "docs/new.md"}, {"content", "# Title\n\nText\n"}});
    QCOMPARE(created.value(QStringLiteral("kind")).toString(), QStringLiteral("diff"));
    QCOMPARE(created.value(QStringLiteral("action")).toString(), QStringLiteral("create"));
    QCOMPARE(created.value(QStringLiteral("diff")).toString(),
             QStringLiteral("--- /dev/null\n+++ b/docs/new.md\n@@ -0,0 +1,3 @@\n+# Title\n+\n+Text\n"));
    QCOMPARE(created.value(QStringLiteral("added")).toInt(), 3);
    QVERIFY(!QFileInfo::exists(ws(QStringLiteral("docs")))); // a preview changes nothing

    writeFile(ws(QStringLiteral("config.ini")), numberedLines(12));
    const QJsonObject modified = preview({{"path", "config.ini"},
                                          {"edits", QJsonArray{QJsonObject{{"old_text", "line6\n"}, {"new_text", "six\n"}}}}});
    QCOMPARE(modified.value(QStringLiteral("action")).toString(), QStringLiteral("modify"));
    QCOMPARE(modified.value(QStringLiteral("diff")).toString(),
             QStringLiteral("--- a/config.ini\n+++ b/config.ini\n@@ -3,7 +3,7 @@\n line3\n line4\n line5\n"
                            "-line6\n+six\n line7\n line8\n line9\n"));
    QCOMPARE(modified.value(QStringLiteral("old_bytes")).toInt(), int(numberedLines(12).size()));
    QCOMPARE(readFile(ws(QStringLiteral("config.ini"))), numberedLines(12));

    const QJsonObject unchanged = preview({{"path", "config.ini"}, {"content", QString::fromLatin1(numberedLines(12))}});
    QCOMPARE(unchanged.value(QStringLiteral("action")).toString(), QStringLiteral("unchanged"));
    QCOMPARE(unchanged.value(QStringLiteral("diff")).toString(), QString());

    const QJsonObject refused = preview({{"path", ".git/hooks/pre-commit"}, {"content", "x"}});
    QCOMPARE(refused.value(QStringLiteral("kind")).toString(), QStringLiteral("error"));
    QVERIFY(refused.value(QStringLiteral("error")).toString().contains(QLatin1String("protected")));
}

void tst_FsTools::list()
{
    writeFile(ws(QStringLiteral("src/main.cpp")), "int main() {}\n");
    writeFile(ws(QStringLiteral("src/deep/er/x.h")), "");
    writeFile(ws(QStringLiteral("README.md")), "hello");
    writeFile(ws(QStringLiteral(".git/config")), "[core]\n");
    writeFile(ws(QStringLiteral(".hidden")), "h");
    QVERIFY(QFile::link(QStringLiteral("/etc"), ws(QStringLiteral("etc-link"))));
    const Workspace w = workspace();
    const ToolOptions::Files limits;

    const ToolResult two = FsListTool::list(w, {}, limits);
    QVERIFY2(two.ok, qPrintable(two.output));
    QCOMPARE(two.output, QStringLiteral(".git/\n.hidden  (1 bytes)\nREADME.md  (5 bytes)\n"
                                        "etc-link -> /etc  (symbolic link)\nsrc/\nsrc/deep/\n"
                                        "src/main.cpp  (14 bytes)"));
    const ToolResult deep = FsListTool::list(w, {{"path", "src"}, {"depth", 5}, {"include_hidden", false}}, limits);
    QCOMPARE(deep.output, QStringLiteral("src/deep/\nsrc/deep/er/\nsrc/deep/er/x.h  (0 bytes)\nsrc/main.cpp  (14 bytes)"));
    const ToolResult capped = FsListTool::list(w, {{"max_entries", 2}}, limits);
    QVERIFY(capped.truncated);
    QCOMPARE(capped.output, QStringLiteral(".git/\n.hidden  (1 bytes)\n[stopped after 2 entries; list a subfolder or lower depth]"));
    QVERIFY(!FsListTool::list(w, {{"path", "README.md"}}, limits).ok);
    QVERIFY(!FsListTool::list(w, {{"path", "etc-link"}}, limits).ok || !Workspace::kernelHasOpenat2());
    const ToolResult viaLink = FsListTool::list(w, {{"path", "etc-link"}}, limits);
    QVERIFY(!viaLink.output.contains(QLatin1String("passwd")));
    QVERIFY(!FsListTool::list(w, {{"path", ".."}}, limits).ok);
    QVERIFY(QDir().mkpath(ws(QStringLiteral("empty"))));
    QCOMPARE(FsListTool::list(w, {{"path", "empty"}}, limits).output, QStringLiteral("[empty is empty]"));
}

void tst_FsTools::search_data()
{
    QTest::addColumn<QJsonObject>("arguments");
    QTest::addColumn<QString>("expected");
    QTest::addColumn<bool>("ok");
    QTest::newRow("literal") << QJsonObject{{"pattern", "TODO"}}
                             << "src/a.cpp:2:     // TODO: fix\nsrc/b.h:1: TODO too\n[2 matching lines in 2 files; 3 files searched; 1 binary files skipped]"
                             << true;
    QTest::newRow("case insensitive") << QJsonObject{{"pattern", "todo"}, {"case_sensitive", false}}
                                      << "notes.txt:1: a todo list\nsrc/a.cpp:2:     // TODO: fix\nsrc/b.h:1: TODO too\n"
                                         "[3 matching lines in 3 files; 3 files searched; 1 binary files skipped]"
                                      << true;
    QTest::newRow("regex") << QJsonObject{{"pattern", "^int \\w+\\(\\)"}, {"regex", true}}
                           << "src/a.cpp:1: int main() {\n[1 matching lines in 1 files; 3 files searched; 1 binary files skipped]"
                           << true;
    QTest::newRow("glob") << QJsonObject{{"pattern", "TODO"}, {"glob", "*.h"}}
                          << "src/b.h:1: TODO too\n[1 matching lines in 1 files; 1 files searched]" << true;
    QTest::newRow("max results") << QJsonObject{{"pattern", "o"}, {"max_results", 1}}
                                 << "notes.txt:1: a todo list\n[1 matching lines in 1 files; 1 files searched; 1 binary files skipped; stopped at max_results=1; narrow the search]"
                                 << true;
    QTest::newRow("one file") << QJsonObject{{"pattern", "TODO"}, {"path", "src/b.h"}}
                              << "src/b.h:1: TODO too\n[1 matching lines in 1 files; 1 files searched]" << true;
    QTest::newRow("bad regex") << QJsonObject{{"pattern", "(unclosed"}, {"regex", true}}
                               << "the regular expression is not valid at offset 9" << false;
    QTest::newRow("outside") << QJsonObject{{"pattern", "root"}, {"path", "../../../etc"}} << "'..'" << false;
}

void tst_FsTools::search()
{
    QFETCH(QJsonObject, arguments);
    QFETCH(QString, expected);
    QFETCH(bool, ok);
    writeFile(ws(QStringLiteral("src/a.cpp")), "int main() {\n    // TODO: fix\n}\n");
    writeFile(ws(QStringLiteral("src/b.h")), "TODO too\n");
    writeFile(ws(QStringLiteral("notes.txt")), "a todo list\n");
    writeFile(ws(QStringLiteral("image.png")), QByteArray("TODO\0\x89PNG", 9));
    writeFile(ws(QStringLiteral(".git/COMMIT_EDITMSG")), "TODO in git\n");
    const ToolResult r = FsSearchTool::search(workspace(), arguments, ToolOptions::Files{});
    QCOMPARE(r.ok, ok);
    if (ok)
        QCOMPARE(r.output, expected);
    else
        QVERIFY2(r.output.contains(expected), qPrintable(r.output));
}

void tst_FsTools::diffExamples()
{
    const auto d = TextDiff::unified(QStringLiteral("a\nb\nc\n"), QStringLiteral("a\nB\nc\n"),
                                     QStringLiteral("a/f"), QStringLiteral("b/f"));
    QCOMPARE(d.text, QStringLiteral("--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"));
    QCOMPARE(d.added, 1);
    QCOMPARE(d.removed, 1);
    const auto nl = TextDiff::unified(QStringLiteral("a\nb"), QStringLiteral("a\nb\n"),
                                      QStringLiteral("a/f"), QStringLiteral("b/f"));
    QCOMPARE(nl.text, QStringLiteral("--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"));
    const auto del = TextDiff::unified(QStringLiteral("x\n"), QString(), QStringLiteral("a/f"), QStringLiteral("b/f"));
    QCOMPARE(del.text, QStringLiteral("--- a/f\n+++ b/f\n@@ -1 +0,0 @@\n-x\n"));
    QCOMPARE(TextDiff::unified(QStringLiteral("same\n"), QStringLiteral("same\n"), {}, {}).text, QString());
    // Two changes far apart make two hunks.
    QString a, b;
    for (int i = 0; i < 20; ++i) {
        a += QStringLiteral("l%1\n").arg(i);
        b += (i == 2 || i == 17) ? QStringLiteral("changed%1\n").arg(i) : QStringLiteral("l%1\n").arg(i);
    }
    const auto two = TextDiff::unified(a, b, QStringLiteral("a/f"), QStringLiteral("b/f"));
    QCOMPARE(two.text.count(QLatin1String("\n@@ ")), 2);
    QVERIFY(two.text.contains(QLatin1String("@@ -1,6 +1,6 @@")));
    QVERIFY(two.text.contains(QLatin1String("@@ -15,6 +15,6 @@")));
}

void tst_FsTools::diffRoundTrip()
{
    // Random texts over a tiny alphabet (many equal lines: the hard case): the diff applies
    // back to the new text, and its size is the true minimum (from the LCS).
    QRandomGenerator rng(20240611);
    for (int round = 0; round < 400; ++round) {
        auto randomText = [&] {
            QStringList lines;
            const int n = int(rng.bounded(12));
            for (int i = 0; i < n; ++i)
                lines << QString(QChar(u'a' + char16_t(rng.bounded(3))));
            QString t = lines.join(QLatin1Char('\n'));
            if (!t.isEmpty() && rng.bounded(4) != 0)
                t += QLatin1Char('\n');
            return t;
        };
        const QString a = randomText();
        const QString b = randomText();
        const auto d = TextDiff::unified(a, b, QStringLiteral("a/f"), QStringLiteral("b/f"));
        if (a == b) {
            QVERIFY(d.text.isEmpty());
            continue;
        }
        QVERIFY(d.minimal);
        const QString applied = applyUnified(a, d.text);
        QVERIFY2(applied == b, qPrintable(QStringLiteral("round %1\nold: %2\nnew: %3\ndiff:\n%4")
                                                  .arg(round).arg(a, b, d.text)));
        auto lines = [](const QString &t) {
            QStringList l = t.split(QLatin1Char('\n'));
            if (t.endsWith(QLatin1Char('\n')))
                l.removeLast();
            else if (!l.isEmpty())
                l.last() += QChar(0xFFFF); // a last line without newline differs from one with
            if (t.isEmpty())
                l.clear();
            return l;
        };
        const QStringList la = lines(a);
        const QStringList lb = lines(b);
        const int common = lcs(la, lb);
        QCOMPARE(d.removed, int(la.size()) - common);
        QCOMPARE(d.added, int(lb.size()) - common);
    }
}

void tst_FsTools::diffCaps()
{
    QString a, b;
    for (int i = 0; i < 3000; ++i) {
        a += QStringLiteral("old %1\n").arg(i);
        b += QStringLiteral("new %1\n").arg(i);
    }
    TextDiff::Limits limits;
    limits.maxEditDistance = 100;
    limits.maxOutputLines = 50;
    // The edit-distance cap bounds the work: CPU time, so a busy machine does not count.
    Spool::Test::ThreadCpuTimer cpu;
    const auto d = TextDiff::unified(a, b, QStringLiteral("a/f"), QStringLiteral("b/f"), limits);
    const qint64 spent = cpu.elapsedMs();
    QVERIFY2(spent < 2000, qPrintable(QStringLiteral("took %1 ms of CPU").arg(spent)));
    QVERIFY(!d.minimal);
    QVERIFY(d.truncated);
    QCOMPARE(d.added, 3000);
    QCOMPARE(d.removed, 3000);
    QCOMPARE(d.text.count(QLatin1Char('\n')), 51);
    QVERIFY(d.text.contains(QLatin1String("[diff truncated after 50 lines: +3000 -3000 lines in all]")));
    // Past the edit-distance limit the diff is not minimal but still correct.
    limits.maxOutputLines = 100000;
    limits.maxEditDistance = 2;
    const QString x = QStringLiteral("1\n2\n3\n4\n5\n");
    const QString y = QStringLiteral("1\nA\n3\nB\n5\nC\n");
    const auto big = TextDiff::unified(x, y, QStringLiteral("a/f"), QStringLiteral("b/f"), limits);
    QVERIFY(!big.minimal);
    QCOMPARE(applyUnified(x, big.text), y);
}

QTEST_GUILESS_MAIN(tst_FsTools)
#include "tst_fstools.moc"
