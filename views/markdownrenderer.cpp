#include "markdownrenderer.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>

#include <QUrl>

#include <cstdlib>
#include <mutex>
#include <vector>

namespace Spool {

namespace {

void registerExtensions()
{
    static std::once_flag once;
    std::call_once(once, [] { cmark_gfm_core_extensions_ensure_registered(); });
}

bool safeUrl(const char *url)
{
    if (!url || !*url)
        return false;
    const QUrl u(QString::fromUtf8(url));
    const QString scheme = u.scheme().toLower();
    return scheme == QLatin1String("http") || scheme == QLatin1String("https")
            || scheme == QLatin1String("mailto") || (scheme.isEmpty() && url[0] == '#');
}

QString codeBlockHtml(const QString &code, const QString &language, int index,
                      const MarkdownRenderer::Style &style)
{
    // A one-cell table is the frame QTextDocument can draw around a block. One arg() call for
    // all: chained calls would read a "%1" inside the (model-written) language as a
    // placeholder, and a fence info string like "d%0" broke the copy link (found by
    // fuzz/fuzz_markdown).
    QString html = QStringLiteral(
                           "<table width=\"100%\" cellspacing=\"0\" cellpadding=\"6\" border=\"1\" "
                           "style=\"border-color:%1; border-style:solid; background-color:%2;\">"
                           "<tr><td><span style=\"color:%3; font-size:small;\">%4</span>"
                           "&nbsp;&nbsp;<a href=\"spool-copy:%5\" style=\"font-size:small;\">%6</a>"
                           "<pre style=\"margin:0;\">")
                           .arg(style.codeBorder.name(), style.codeBackground.name(),
                                style.muted.name(), language.toHtmlEscaped(),
                                QString::number(index), QStringLiteral("Copy"));
    QString text = code;
    if (text.endsWith(QLatin1Char('\n')))
        text.chop(1);
    html += text.toHtmlEscaped();
    html += QStringLiteral("</pre></td></tr></table>\n");
    return html;
}

// The parser both render() and completedLength() use: block structure depends on the
// extensions (a table takes lines a paragraph would).
cmark_parser *newParser()
{
    registerExtensions();
    cmark_parser *parser = cmark_parser_new(CMARK_OPT_DEFAULT);
    for (const char *name : {"table", "strikethrough", "autolink", "tasklist"}) {
        if (cmark_syntax_extension *ext = cmark_find_syntax_extension(name))
            cmark_parser_attach_syntax_extension(parser, ext);
    }
    return parser;
}

} // namespace

MarkdownRenderer::Output MarkdownRenderer::render(const QString &markdown, const Style &style,
                                                  int codeIndexBase)
{
    Output out;
    cmark_parser *parser = newParser();
    const QByteArray utf8 = markdown.toUtf8();
    cmark_parser_feed(parser, utf8.constData(), size_t(utf8.size()));
    cmark_node *document = cmark_parser_finish(parser);

    // Collect first, change after: the iterator must not see nodes it is walking replaced.
    std::vector<cmark_node *> nodes;
    cmark_iter *iter = cmark_iter_new(document);
    cmark_event_type event;
    while ((event = cmark_iter_next(iter)) != CMARK_EVENT_DONE) {
        if (event != CMARK_EVENT_ENTER)
            continue;
        cmark_node *node = cmark_iter_get_node(iter);
        switch (cmark_node_get_type(node)) {
        case CMARK_NODE_HTML_BLOCK:
        case CMARK_NODE_HTML_INLINE:
        case CMARK_NODE_CODE_BLOCK:
        case CMARK_NODE_LINK:
        case CMARK_NODE_IMAGE:
            nodes.push_back(node);
            break;
        default:
            break;
        }
    }
    cmark_iter_free(iter);

    for (cmark_node *node : nodes) {
        const cmark_node_type type = cmark_node_get_type(node);
        if (type == CMARK_NODE_HTML_INLINE || type == CMARK_NODE_HTML_BLOCK) {
            // Shown as the text it is, never interpreted.
            cmark_node *text = cmark_node_new(CMARK_NODE_TEXT);
            cmark_node_set_literal(text, cmark_node_get_literal(node));
            if (type == CMARK_NODE_HTML_BLOCK) {
                cmark_node *paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH);
                cmark_node_append_child(paragraph, text);
                cmark_node_replace(node, paragraph);
            } else {
                cmark_node_replace(node, text);
            }
            cmark_node_free(node);
        } else if (type == CMARK_NODE_CODE_BLOCK) {
            const QString code = QString::fromUtf8(cmark_node_get_literal(node));
            const QString language = QString::fromUtf8(cmark_node_get_fence_info(node)).section(QLatin1Char(' '), 0, 0);
            const int index = codeIndexBase + int(out.codeBlocks.size());
            out.codeBlocks.append(code.endsWith(QLatin1Char('\n')) ? code.chopped(1) : code);
            cmark_node *html = cmark_node_new(CMARK_NODE_HTML_BLOCK);
            cmark_node_set_literal(html, codeBlockHtml(code, language, index, style).toUtf8().constData());
            cmark_node_replace(node, html);
            cmark_node_free(node);
        } else if (type == CMARK_NODE_IMAGE) {
            // An image becomes a link to it: nothing is fetched to show it.
            const char *url = cmark_node_get_url(node);
            cmark_node *link = cmark_node_new(safeUrl(url) ? CMARK_NODE_LINK : CMARK_NODE_EMPH);
            if (safeUrl(url))
                cmark_node_set_url(link, url);
            cmark_node *label = cmark_node_new(CMARK_NODE_TEXT);
            cmark_node_set_literal(label, "image: ");
            cmark_node_append_child(link, label);
            while (cmark_node *child = cmark_node_first_child(node))
                cmark_node_append_child(link, child);
            cmark_node_replace(node, link);
            cmark_node_free(node);
        } else if (type == CMARK_NODE_LINK && !safeUrl(cmark_node_get_url(node))) {
            // javascript:, file:, data: ...: keep the words, drop the link.
            while (cmark_node *child = cmark_node_first_child(node))
                cmark_node_insert_before(node, child);
            cmark_node_free(node);
        }
    }

    // UNSAFE only lets our own code-block HTML through: every raw HTML node from the input was
    // turned into text above, and links were checked.
    char *html = cmark_render_html(document, CMARK_OPT_DEFAULT | CMARK_OPT_UNSAFE,
                                   cmark_parser_get_syntax_extensions(parser));
    out.html = QString::fromUtf8(html);
    std::free(html);
    cmark_node_free(document);
    cmark_parser_free(parser);
    return out;
}

int MarkdownRenderer::completedLength(const QString &markdown, int from)
{
    // Only whole lines are parsed: a partial last line may still become anything. Parsing with
    // the renderer's own parser, not a line scanner of our own, is what keeps this true for
    // lists that go on after blank lines, fences inside list items, setext underlines, tables
    // and HTML blocks that span blank lines.
    const int end = int(markdown.lastIndexOf(QLatin1Char('\n'))) + 1;
    if (end <= from)
        return from;
    const QStringView region = QStringView(markdown).mid(from, end - from);

    // Every top-level block but the last is closed: nothing that follows can change it. The last
    // one may go on (a list after a blank line, a paragraph turned into a setext heading or a
    // table header), so the finished prefix ends on the line before it starts. (Not where the
    // block before it ends: a table made of a paragraph's last lines leaves the lines before
    // it a paragraph without lines, 0-0.) When that line ends with a lone \r, which cmark counts
    // as a line end but a cut is never made at, the start of an earlier block serves: any block
    // start is a cut, and the one the text had before it grew stays one, so more text never
    // completes less.
    cmark_parser *parser = newParser();
    const QByteArray utf8 = region.toUtf8();
    cmark_parser_feed(parser, utf8.constData(), size_t(utf8.size()));
    cmark_node *document = cmark_parser_finish(parser);
    std::vector<int> cutLines; // 1-based, in `region`, ascending: each ends before a block
    for (cmark_node *child = cmark_node_first_child(document); child; child = cmark_node_next(child)) {
        if (cmark_node_previous(child))
            cutLines.push_back(cmark_node_get_start_line(child) - 1);
    }
    cmark_node_free(document);
    cmark_parser_free(parser);

    // The offset after the last of those lines that ends with \n, with line ends counted as
    // cmark counts them: \n, \r and \r\n.
    int cut = from;
    int line = 1;
    auto next = cutLines.cbegin();
    for (int i = 0; i < region.size() && next != cutLines.cend(); ++i) {
        const QChar c = region.at(i);
        if (c == QLatin1Char('\r') && i + 1 < region.size() && region.at(i + 1) == QLatin1Char('\n'))
            continue; // counted at its \n
        if (c == QLatin1Char('\n') || c == QLatin1Char('\r')) {
            while (next != cutLines.cend() && *next < line)
                ++next;
            if (next != cutLines.cend() && *next == line && c == QLatin1Char('\n'))
                cut = from + i + 1;
            ++line;
        }
    }
    return cut;
}

} // namespace Spool
