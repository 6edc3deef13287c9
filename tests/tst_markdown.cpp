#include "markdownrenderer.h"

#include <QTest>

using namespace Spool;

class tst_Markdown : public QObject
{
    Q_OBJECT
private slots:
    void rendersGithubFlavour_data();
    void rendersGithubFlavour();
    void untrustedInputStaysInert_data();
    void untrustedInputStaysInert();
    void codeBlocksAreFramedAndCopyable();
    void languageCannotBreakTheCopyLink_data();
    void languageCannotBreakTheCopyLink();
    void completedLength_data();
    void completedLength();
    void blockwiseRenderingMatchesWhole();
};

void tst_Markdown::rendersGithubFlavour_data()
{
    QTest::addColumn<QString>("markdown");
    QTest::addColumn<QString>("expected");
    QTest::newRow("emphasis") << QStringLiteral("**bold** and _it_") << QStringLiteral("<strong>bold</strong>");
    QTest::newRow("table") << QStringLiteral("| a | b |\n|---|---|\n| 1 | 2 |\n") << QStringLiteral("<table>");
    QTest::newRow("strikethrough") << QStringLiteral("~~gone~~") << QStringLiteral("<del>gone</del>");
    QTest::newRow("autolink") << QStringLiteral("see https://example.org now") << QStringLiteral("<a href=\"https://example.org\"");
    QTest::newRow("task list") << QStringLiteral("- [x] done\n- [ ] todo\n") << QStringLiteral("checkbox");
    QTest::newRow("heading") << QStringLiteral("## Title") << QStringLiteral("<h2>Title</h2>");
}

void tst_Markdown::rendersGithubFlavour()
{
    QFETCH(QString, markdown);
    QFETCH(QString, expected);
    const QString html = MarkdownRenderer::render(markdown, {}).html;
    QVERIFY2(html.contains(expected), qPrintable(html));
}

void tst_Markdown::untrustedInputStaysInert_data()
{
    QTest::addColumn<QString>("markdown");
    QTest::addColumn<QString>("forbidden");
    QTest::addColumn<QString>("shown");
    QTest::newRow("script tag") << QStringLiteral("<script>alert(1)</script>") << QStringLiteral("<script>") << QStringLiteral("&lt;script&gt;");
    QTest::newRow("inline html") << QStringLiteral("a <b onclick=x>b</b>") << QStringLiteral("<b onclick") << QStringLiteral("&lt;b onclick=x&gt;");
    QTest::newRow("javascript link") << QStringLiteral("[click](javascript:alert(1))") << QStringLiteral("javascript:") << QStringLiteral("click");
    QTest::newRow("file link") << QStringLiteral("[passwd](file:///etc/passwd)") << QStringLiteral("file:///") << QStringLiteral("passwd");
    QTest::newRow("image") << QStringLiteral("![logo](https://example.org/x.png)") << QStringLiteral("<img") << QStringLiteral("image: logo");
    QTest::newRow("local image") << QStringLiteral("![x](/etc/shadow)") << QStringLiteral("/etc/shadow") << QStringLiteral("image: x");
}

void tst_Markdown::untrustedInputStaysInert()
{
    QFETCH(QString, markdown);
    QFETCH(QString, forbidden);
    QFETCH(QString, shown);
    const QString html = MarkdownRenderer::render(markdown, {}).html;
    QVERIFY2(!html.contains(forbidden), qPrintable(html));
    QVERIFY2(html.contains(shown), qPrintable(html));
}

void tst_Markdown::codeBlocksAreFramedAndCopyable()
{
    const QString md = QStringLiteral("Before\n\n```python\nprint('<hi>')\n```\n\n```\nsecond\n```\n");
    const MarkdownRenderer::Output out = MarkdownRenderer::render(md, {}, 7);
    QCOMPARE(out.codeBlocks, (QStringList{QStringLiteral("print('<hi>')"), QStringLiteral("second")}));
    QVERIFY(out.html.contains(QStringLiteral("href=\"spool-copy:7\"")));
    QVERIFY(out.html.contains(QStringLiteral("href=\"spool-copy:8\"")));
    QVERIFY(out.html.contains(QStringLiteral("print(&#39;&lt;hi&gt;&#39;)")) || out.html.contains(QStringLiteral("print('&lt;hi&gt;')")));
    QVERIFY(out.html.contains(QStringLiteral("python")));
}

void tst_Markdown::languageCannotBreakTheCopyLink_data()
{
    // Found by fuzz/fuzz_markdown: the fence's info string went through QString::arg chains.
    QTest::addColumn<QString>("language");
    QTest::newRow("percent zero") << QStringLiteral("d%0");
    QTest::newRow("percent one") << QStringLiteral("%1");
    QTest::newRow("percent six") << QStringLiteral("x%6y");
    QTest::newRow("percent ninety-nine") << QStringLiteral("%99");
}

void tst_Markdown::languageCannotBreakTheCopyLink()
{
    QFETCH(QString, language);
    const QString md = QStringLiteral("```%1\ncode\n```\n").arg(language);
    const MarkdownRenderer::Output out = MarkdownRenderer::render(md, {}, 3);
    QCOMPARE(out.codeBlocks, QStringList{QStringLiteral("code")});
    QVERIFY2(out.html.contains(QStringLiteral("href=\"spool-copy:3\" style=\"font-size:small;\">Copy</a>")),
             qPrintable(out.html));
    QVERIFY2(out.html.contains(QLatin1Char('>') + language + QStringLiteral("</span>")), qPrintable(out.html));
}

void tst_Markdown::completedLength_data()
{
    // Finished: every top-level block of the whole lines but the last, which may still go on.
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("expected");
    QTest::newRow("open paragraph") << QStringLiteral("hello wor") << 0;
    QTest::newRow("one line, no blank") << QStringLiteral("hello\nworld") << 0;
    QTest::newRow("last block may go on") << QStringLiteral("hello\n\nnext") << 0;
    QTest::newRow("paragraph done") << QStringLiteral("hello\n\nnext\n") << 7;
    QTest::newRow("two paragraphs") << QStringLiteral("a\n\nb\n\nc\n") << 6;
    QTest::newRow("blank inside open fence") << QStringLiteral("x\n\n```\ncode\n\nmore") << 3;
    QTest::newRow("closed fence") << QStringLiteral("```\ncode\n\nmore\n```\ntail\n") << 19;
    QTest::newRow("tilde fence") << QStringLiteral("~~~\na\n\n~~~\nb\n") << 11;
    QTest::newRow("longer closing fence") << QStringLiteral("```\na\n````\nb\n") << 11;
    QTest::newRow("shorter fence does not close") << QStringLiteral("````\na\n```\n\nb\n") << 0;
    // Found by tst_streamrender: blank lines that do not end the block before them.
    QTest::newRow("list goes on after a blank line") << QStringLiteral("- a\n\n- b\n") << 0;
    QTest::newRow("empty items") << QStringLiteral("2)\n\n3)\n") << 0;
    QTest::newRow("item's second paragraph") << QStringLiteral("- a\n\n  more\n") << 0;
    QTest::newRow("indented code with a blank line") << QStringLiteral("    a\n\n    b\n") << 0;
    QTest::newRow("HTML comment with a blank line") << QStringLiteral("<!-- a\n\nb -->\n") << 0;
    QTest::newRow("setext underline") << QStringLiteral("a\n\nTitle\n===\n") << 3;
    QTest::newRow("table from a paragraph's last line") << QStringLiteral("```\n```\nx\ny|4\n-|-\n") << 8;
    QTest::newRow("CRLF") << QStringLiteral("a\r\n\r\nb\r\n") << 5;
    QTest::newRow("lone CR line ends") << QStringLiteral("a\r\rb\n") << 0;
    // The last block starts after a lone \r: the block before it still ends a finished part.
    QTest::newRow("lone CR before the last block") << QStringLiteral("a\n\nb\r\rc\n") << 3;
    QTest::newRow("no-break space is no blank line") << QStringLiteral("a\n\u00a0\nb\n") << 0;
}

void tst_Markdown::completedLength()
{
    QFETCH(QString, text);
    QFETCH(int, expected);
    QCOMPARE(MarkdownRenderer::completedLength(text), expected);
}

void tst_Markdown::blockwiseRenderingMatchesWhole()
{
    // What the streaming view does: render finished blocks once, as they finish, and the rest
    // again on each update. The pieces add up to the whole.
    const QString md = QStringLiteral("# Title\n\nSome *text* here.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n\nblock\n```\n\nEnd.\n\n");
    QString pieces;
    int done = 0;
    for (int i = 1; i <= md.size(); ++i) {
        const int completed = MarkdownRenderer::completedLength(md.left(i));
        if (completed > done) {
            pieces += MarkdownRenderer::render(md.mid(done, completed - done), {}).html;
            done = completed;
        }
    }
    QCOMPARE(md.mid(done), QStringLiteral("End.\n\n")); // the last block could still go on
    pieces += MarkdownRenderer::render(md.mid(done), {}).html;
    QCOMPARE(pieces, MarkdownRenderer::render(md, {}).html);
}

QTEST_GUILESS_MAIN(tst_Markdown)
#include "tst_markdown.moc"
