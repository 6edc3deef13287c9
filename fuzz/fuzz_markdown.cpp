// Fuzzes the Markdown rendering of the transcript (views/markdownrenderer, cmark-gfm
// underneath): model replies are untrusted text rendered as HTML into the window.
//
// Input: one byte placing a cut (where a streamed reply stood when the view last updated),
// then the reply. Invariants:
// - no markup from the reply reaches the HTML: every tag is one the renderer itself writes, and
//   every link goes to http(s), mailto, an anchor or a code block's copy link;
// - each code block gets one copy link, numbered from the base the caller gave;
// - completedLength() stops at a line end inside what it was given, and a scan resumed from
//   an earlier result (as the streaming view does) ends where a scan from the start ends.
#include "fuzzcheck.h"

#include "markdownrenderer.h"

#include <QRegularExpression>
#include <QSet>

#include <cstddef>
#include <cstdint>

using Spool::MarkdownRenderer;

namespace {

void checkHtml(const MarkdownRenderer::Output &out, int codeIndexBase, const QString &markdown)
{
    static const QSet<QString> allowed = {
            QStringLiteral("p"), QStringLiteral("em"), QStringLiteral("strong"),
            QStringLiteral("del"), QStringLiteral("a"), QStringLiteral("code"),
            QStringLiteral("pre"), QStringLiteral("table"), QStringLiteral("thead"),
            QStringLiteral("tbody"), QStringLiteral("tr"), QStringLiteral("td"),
            QStringLiteral("th"), QStringLiteral("ul"), QStringLiteral("ol"),
            QStringLiteral("li"), QStringLiteral("h1"), QStringLiteral("h2"),
            QStringLiteral("h3"), QStringLiteral("h4"), QStringLiteral("h5"),
            QStringLiteral("h6"), QStringLiteral("blockquote"), QStringLiteral("hr"),
            QStringLiteral("br"), QStringLiteral("span"), QStringLiteral("input"),
    };
    static const QRegularExpression tag(QStringLiteral("<(/?)([A-Za-z0-9]*)"));
    static const QRegularExpression href(QStringLiteral("href=\"([^\"]*)\""));
    static const QRegularExpression safeHref(
            QStringLiteral("^(https?:|mailto:|#|spool-copy:-?[0-9]+$)"),
            QRegularExpression::CaseInsensitiveOption);
    const QString &html = out.html;
    for (auto it = tag.globalMatch(html); it.hasNext();) {
        const QString name = it.next().captured(2).toLower();
        if (!allowed.contains(name)) {
            std::fprintf(stderr, "tag <%s> in:\n%s\nfrom:\n%s\n", qPrintable(name),
                         qPrintable(html), qPrintable(markdown));
            SPOOL_FUZZ_CHECK(false, "only the renderer's own tags reach the HTML");
        }
    }
    int copyLinks = 0;
    for (auto it = href.globalMatch(html); it.hasNext();) {
        const QString url = it.next().captured(1);
        if (!safeHref.match(url).hasMatch()) {
            std::fprintf(stderr, "link %s in:\n%s\nfrom:\n%s\n", qPrintable(url), qPrintable(html),
                         qPrintable(markdown));
            SPOOL_FUZZ_CHECK(false, "links go to http(s), mailto, anchors or copy links only");
        }
        if (url.startsWith(QLatin1String("spool-copy:"))) {
            SPOOL_FUZZ_CHECK(url == QStringLiteral("spool-copy:%1").arg(codeIndexBase + copyLinks),
                             "copy links are numbered in order from the base");
            ++copyLinks;
        }
    }
    SPOOL_FUZZ_CHECK(copyLinks == out.codeBlocks.size(), "one copy link per code block");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const MarkdownRenderer::Style style;
    const QString markdown =
            QString::fromUtf8(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    const int cut = int(qsizetype(data[0]) * markdown.size() / 255);

    const MarkdownRenderer::Output whole = MarkdownRenderer::render(markdown, style, 3);
    checkHtml(whole, 3, markdown);

    // What the streaming view does: the finished blocks of what had arrived, then the rest.
    const int early = MarkdownRenderer::completedLength(markdown.left(cut));
    SPOOL_FUZZ_CHECK(early >= 0 && early <= cut, "the completed part lies within the text");
    SPOOL_FUZZ_CHECK(early == 0 || markdown.at(early - 1) == QLatin1Char('\n'),
                     "the completed part ends at a line end");
    const int full = MarkdownRenderer::completedLength(markdown);
    SPOOL_FUZZ_CHECK(full >= early, "more text never completes less");
    SPOOL_FUZZ_CHECK(MarkdownRenderer::completedLength(markdown, early) == full,
                     "a resumed scan ends where a scan from the start ends");
    checkHtml(MarkdownRenderer::render(markdown.left(full), style), 0, markdown);
    checkHtml(MarkdownRenderer::render(markdown.mid(full), style, -1000000), -1000000, markdown);
    return 0;
}
