#pragma once

#include <QColor>
#include <QString>
#include <QStringList>

namespace Spool {

// Markdown to the HTML subset QTextDocument understands, through cmark-gfm (GitHub-flavoured:
// tables, strikethrough, autolinks and task lists, which model replies use a lot).
//
// Model output is untrusted: raw HTML is shown as text, links other than http(s)/mailto are
// dropped, images become links and are never loaded. Code blocks get a framed monospace block
// with a "Copy" link (href "spool-copy:N", N counted from `codeIndexBase`).
class MarkdownRenderer
{
public:
    struct Style
    {
        QColor codeBackground = QColor(0xf3, 0xf4, 0xf6);
        QColor codeBorder = QColor(0xd0, 0xd4, 0xda);
        QColor muted = QColor(0x6b, 0x72, 0x80);
    };

    struct Output
    {
        QString html;
        QStringList codeBlocks; // the text each copy link copies
    };

    static Output render(const QString &markdown, const Style &style, int codeIndexBase = 0);

    // For streaming: the length of the prefix of `markdown` made of finished blocks, which
    // nothing that may follow can change: every top-level block but the last (a list goes on
    // after a blank line, a paragraph can still become a setext heading or a table header).
    // Rendering that prefix and the rest separately gives the HTML of rendering the whole
    // (link reference definitions aside: they reach across the whole text).
    // `from` must itself be such a boundary (0, or an earlier result): parsing resumes there,
    // so a long streamed reply is not reparsed from its start on every update.
    static int completedLength(const QString &markdown, int from = 0);
};

} // namespace Spool
