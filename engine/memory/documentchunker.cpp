#include "memory/documentchunker.h"

#include <QRegularExpression>
#include <QStringList>

namespace Spool {

namespace {

// Pieces of at most `max` characters, cut at the last separator before the limit when there
// is one (a newline, then a sentence end, then a space), else hard.
QStringList splitLong(const QString &text, int max)
{
    QStringList out;
    QString rest = text;
    while (rest.size() > max) {
        int cut = -1;
        for (const QString &sep : {QStringLiteral("\n"), QStringLiteral(". "), QStringLiteral(" ")}) {
            const int at = int(rest.lastIndexOf(sep, max - 1));
            if (at > max / 3) {
                cut = at + int(sep.size());
                break;
            }
        }
        if (cut <= 0)
            cut = max;
        out.append(rest.left(cut).trimmed());
        rest = rest.mid(cut);
    }
    if (!rest.trimmed().isEmpty())
        out.append(rest.trimmed());
    return out;
}

// The end of `text` to carry into the next passage: whole words, at most `chars`.
QString tail(const QString &text, int chars)
{
    if (chars <= 0 || text.size() <= chars)
        return chars <= 0 ? QString() : text;
    QString t = text.right(chars);
    const int space = int(t.indexOf(QLatin1Char(' ')));
    if (space >= 0 && space < t.size() - 1)
        t = t.mid(space + 1);
    return t;
}

} // namespace

DocumentChunker::DocumentChunker() : DocumentChunker(Options{}) {}

DocumentChunker::DocumentChunker(const Options &options) : m_options(options)
{
    m_options.maxChars = qMax(m_options.maxChars, m_options.targetChars);
    m_options.overlapChars = qBound(0, m_options.overlapChars, m_options.targetChars / 2);
}

bool DocumentChunker::isMarkdownName(const QString &fileName)
{
    const QString lower = fileName.toLower();
    return lower.endsWith(QLatin1String(".md")) || lower.endsWith(QLatin1String(".markdown"))
            || lower.endsWith(QLatin1String(".mdx"));
}

QList<DocumentChunker::Chunk> DocumentChunker::chunk(const QString &text, bool markdown) const
{
    QList<Chunk> out;
    QString normalized = text;
    normalized.replace(QStringLiteral("\r\n"), QStringLiteral("\n"));
    normalized.replace(QLatin1Char('\r'), QLatin1Char('\n'));
    if (!markdown) {
        cutSection({}, normalized, out);
        return out;
    }
    static const QRegularExpression atx(QStringLiteral("^ {0,3}(#{1,6})(?:[ \\t]+(.*?))?[ \\t#]*$"));
    static const QRegularExpression fence(QStringLiteral("^ {0,3}(```+|~~~+)"));
    QStringList path; // heading texts by level
    QString heading;
    QString body;
    QString openFence;
    const QStringList lines = normalized.split(QLatin1Char('\n'));
    for (const QString &line : lines) {
        if (const auto f = fence.match(line); f.hasMatch()) {
            const QString marker = f.captured(1);
            if (openFence.isEmpty())
                openFence = marker;
            else if (marker.at(0) == openFence.at(0) && marker.size() >= openFence.size())
                openFence.clear();
        } else if (openFence.isEmpty()) {
            if (const auto h = atx.match(line); h.hasMatch()) {
                cutSection(heading, body, out);
                body.clear();
                const int level = int(h.captured(1).size());
                while (path.size() >= level)
                    path.removeLast();
                while (path.size() < level - 1)
                    path.append(QString());
                path.append(h.captured(2).trimmed());
                QStringList named;
                for (const QString &p : std::as_const(path)) {
                    if (!p.isEmpty())
                        named.append(p);
                }
                heading = named.join(QStringLiteral(" > "));
                continue;
            }
        }
        body += line + QLatin1Char('\n');
    }
    cutSection(heading, body, out);
    return out;
}

void DocumentChunker::cutSection(const QString &heading, const QString &body, QList<Chunk> &out) const
{
    if (body.trimmed().isEmpty())
        return;
    // Paragraphs (blank-line separated), each at most maxChars.
    QStringList pieces;
    static const QRegularExpression blank(QStringLiteral("\\n[ \\t]*\\n"));
    const QStringList paragraphs = body.split(blank, Qt::SkipEmptyParts);
    for (const QString &p : paragraphs) {
        const QString t = p.trimmed();
        if (t.isEmpty())
            continue;
        if (t.size() > m_options.maxChars)
            pieces.append(splitLong(t, m_options.targetChars));
        else
            pieces.append(t);
    }
    QString current;
    bool currentHasNew = false; // holds more than the overlap carried in
    auto emitCurrent = [&] {
        if (currentHasNew && !current.trimmed().isEmpty())
            out.append(Chunk{heading, current.trimmed()});
    };
    for (const QString &piece : std::as_const(pieces)) {
        if (!current.isEmpty() && current.size() + 2 + piece.size() > m_options.targetChars) {
            emitCurrent();
            const QString carried = tail(current, m_options.overlapChars);
            current = carried;
            currentHasNew = false;
            // The overlap never pushes a passage past its maximum.
            if (current.size() + 2 + piece.size() > m_options.maxChars)
                current.clear();
        }
        current += (current.isEmpty() ? QString() : QStringLiteral("\n\n")) + piece;
        currentHasNew = true;
    }
    emitCurrent();
}

} // namespace Spool
