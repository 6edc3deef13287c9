// Streaming equals rendering (issue 14): a reply streamed in deltas must end up exactly as the
// same text rendered once, as after reloading the session; and at every update on the way the
// view must show what the text received so far renders to. Checked on generated Markdown split
// at random points, driven through the real path: TranscriptModel::appendDelta and its
// coalesced updates into a TranscriptView, compared with a second view that gets the whole text
// the way a reload does.

#include "markdownrenderer.h"
#include "transcriptmodel.h"
#include "transcriptview.h"

#include "journal/tapeevent.h"
#include "runs/runinfo.h"

#include <QDebug>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTest>
#include <QTextBlock>
#include <QTextDocument>
#include <QTextFrame>
#include <QTextList>
#include <QTextTable>

#include <functional>

using namespace Spool;

namespace {

// ---------------------------------------------------------------------------------------------
// Generated Markdown, from the pieces model replies are made of.

class MarkdownGenerator
{
public:
    explicit MarkdownGenerator(quint64 seed) : m_random(seed) { }

    QString text()
    {
        const bool big = chance(2); // now and then a reply long enough for continuation frames
        const int pieces = big ? between(40, 70) : between(1, 7);
        QString md;
        for (int i = 0; i < pieces; ++i) {
            if (i > 0)
                md += separator();
            md += piece(i == pieces - 1);
        }
        if (chance(60))
            md += QLatin1Char('\n');
        if (chance(15))
            md.replace(QLatin1Char('\n'), QStringLiteral("\r\n"));
        else if (chance(5))
            md.replace(QStringLiteral("a\n"), QStringLiteral("a\r\n")); // mixed line ends
        return md;
    }

    // Random cut points in [1, size), sorted and distinct.
    QList<int> cuts(const QString &text)
    {
        QList<int> result;
        if (text.size() < 2)
            return result;
        const int mode = between(0, 9);
        if (mode == 0 && text.size() < 200) {
            for (int i = 1; i < text.size(); ++i)
                result.append(i); // one character per delta
            return result;
        }
        // Usually token-sized deltas; sometimes a few large ones.
        const int count = mode <= 2 ? between(1, 4) : qMax(1, int(text.size()) / between(3, 12));
        for (int i = 0; i < count; ++i)
            result.append(between(1, int(text.size()) - 1));
        std::sort(result.begin(), result.end());
        result.erase(std::unique(result.begin(), result.end()), result.end());
        return result;
    }

    int between(int low, int high) { return low + int(m_random.bounded(high - low + 1)); }
    bool chance(int percent) { return int(m_random.bounded(100)) < percent; }

private:
    QString pick(const QStringList &list) { return list.at(between(0, int(list.size()) - 1)); }

    QString word()
    {
        static const QStringList words{
                QStringLiteral("the"), QStringLiteral("result"), QStringLiteral("file"),
                QStringLiteral("naïve"), QStringLiteral("Grüße"), QStringLiteral("日本語"),
                QStringLiteral("😀"), QStringLiteral("café→bar"), QStringLiteral("𝔘nicode"),
                QStringLiteral("ok"), QStringLiteral("value"), QStringLiteral("2024"),
                QStringLiteral("x_y"), QStringLiteral("a*b"), QStringLiteral("<tag>"),
                QStringLiteral("&amp;"), QStringLiteral("Tool"), QStringLiteral("résumé")};
        return pick(words);
    }

    QString inlineSpan()
    {
        switch (between(0, 11)) {
        case 0: return QStringLiteral("*%1*").arg(word());
        case 1: return QStringLiteral("**%1 %2**").arg(word(), word());
        case 2: return QStringLiteral("`%1`").arg(word());
        case 3: return QStringLiteral("[%1](https://example.org/%2)").arg(word(), QString::number(between(0, 99)));
        case 4: return QStringLiteral("<https://example.org/p>");
        case 5: return QStringLiteral("~~%1~~").arg(word());
        case 6: return QStringLiteral("<b>%1</b>").arg(word());
        case 7: return QStringLiteral("_%1_").arg(word());
        case 8: return QStringLiteral("[%1](javascript:alert(1))").arg(word());
        default: return word();
        }
    }

    QString inlineLine(int minWords = 1)
    {
        QStringList parts;
        const int n = between(minWords, 6);
        for (int i = 0; i < n; ++i)
            parts << inlineSpan();
        return parts.join(QLatin1Char(' '));
    }

    QString paragraph()
    {
        const int lines = between(1, 3);
        QStringList result;
        for (int i = 0; i < lines; ++i)
            result << inlineLine();
        if (lines > 1 && chance(30)) // emphasis that spans a line break
            result[0] += QStringLiteral(" *starts"), result[1].prepend(QStringLiteral("ends* "));
        if (chance(10))
            result.last() += QStringLiteral("  "); // a hard break before whatever follows
        return result.join(QLatin1Char('\n'));
    }

    QString listItemBody(int depth, const QString &indent)
    {
        QString body;
        if (chance(20))
            body += pick(QStringList{QStringLiteral("[ ] "), QStringLiteral("[x] "), QStringLiteral("[X] ")});
        body += inlineLine();
        if (chance(10))
            body += QLatin1Char('\n') + inlineLine(); // lazy continuation, not indented
        if (chance(10))
            body += QLatin1Char('\n') + indent + inlineLine(); // indented continuation
        if (chance(15)) // a second paragraph in the item, after a blank line
            body += blankLine() + indent + inlineLine();
        if (chance(12)) { // a fence inside the item, perhaps with a blank line inside
            const QString fence = chance(70) ? QStringLiteral("```") : QStringLiteral("~~~");
            body += QLatin1Char('\n');
            if (chance(40))
                body += blankLine();
            body += indent + fence + (chance(50) ? QStringLiteral("sh") : QString()) + QLatin1Char('\n')
                    + indent + QStringLiteral("echo 1\n");
            if (chance(50))
                body += QStringLiteral("\n") + indent + QStringLiteral("echo 2\n");
            body += indent + fence;
        }
        if (depth < 2 && chance(20)) {
            if (chance(30))
                body += blankLine();
            else
                body += QLatin1Char('\n');
            body += list(depth + 1, indent);
        }
        return body;
    }

    QString list(int depth = 0, const QString &outer = QString())
    {
        const int kind = between(0, 4);
        const QString bullet = pick(QStringList{QStringLiteral("-"), QStringLiteral("*"), QStringLiteral("+")});
        const int start = chance(20) ? between(0, 12) : 1;
        const bool loose = chance(25);
        const int items = between(1, 4);
        QString result;
        for (int i = 0; i < items; ++i) {
            if (i > 0)
                result += loose ? blankLine() : QStringLiteral("\n");
            QString marker = kind <= 2 ? bullet
                                       : QString::number(start + i) + (kind == 3 ? QLatin1Char('.') : QLatin1Char(')'));
            marker += QLatin1Char(' ');
            const QString indent = outer + QString(marker.size(), QLatin1Char(' '));
            result += outer + marker + listItemBody(depth, indent);
        }
        return result;
    }

    QString fence(bool last)
    {
        const QString marker = pick(QStringList{QStringLiteral("```"), QStringLiteral("~~~"), QStringLiteral("````")});
        const QString indent(chance(20) ? between(1, 3) : 0, QLatin1Char(' '));
        QString result = indent + marker;
        if (chance(50))
            result += pick(QStringList{QStringLiteral("python"), QStringLiteral("cpp"), QStringLiteral(" json"),
                                       QStringLiteral("c++ {.x}")});
        result += QLatin1Char('\n');
        const int lines = between(0, 4);
        for (int i = 0; i < lines; ++i) {
            switch (between(0, 6)) {
            case 0: result += QLatin1Char('\n'); break;
            case 1: result += QStringLiteral("   \n"); break;
            case 2: result += QStringLiteral("``\n"); break; // too short to close
            case 3: result += QStringLiteral("    indented <x> & y\n"); break;
            case 4: result += QStringLiteral("# not a heading\n"); break;
            default: result += QStringLiteral("print(\"%1\")\n").arg(word()); break;
            }
        }
        if (!last || chance(60))
            result += indent + marker + (chance(30) ? marker.left(1) : QString());
        else
            result.chop(1); // unclosed at the end of the reply
        return result;
    }

    QString table()
    {
        const int columns = between(1, 4);
        const bool pipes = chance(70);
        auto row = [&](const std::function<QString(int)> &cell) {
            QStringList cells;
            for (int c = 0; c < columns; ++c)
                cells << cell(c);
            const QString inner = cells.join(QStringLiteral(" | "));
            return pipes || columns == 1 ? QString(QStringLiteral("| ") + inner + QStringLiteral(" |")) : inner;
        };
        QString result = row([&](int) { return word(); });
        result += QLatin1Char('\n') + row([&](int) {
            return pick(QStringList{QStringLiteral("---"), QStringLiteral(":---"), QStringLiteral("---:"), QStringLiteral(":-:")});
        });
        const int rows = between(0, 3);
        for (int r = 0; r < rows; ++r)
            result += QLatin1Char('\n') + row([&](int) { return inlineSpan(); });
        return result;
    }

    QString quote()
    {
        QString result = QStringLiteral("> ") + inlineLine();
        if (chance(30))
            result += QLatin1Char('\n') + inlineLine(); // lazy continuation
        if (chance(30))
            result += QStringLiteral("\n>\n> ") + inlineLine();
        if (chance(20))
            result += QStringLiteral("\n> - ") + inlineLine() + QStringLiteral("\n> - ") + inlineLine();
        if (chance(15))
            result += QStringLiteral("\n>> ") + inlineLine();
        return result;
    }

    QString indentedCode()
    {
        QString result = QStringLiteral("    int x = 1;");
        const int lines = between(0, 3);
        for (int i = 0; i < lines; ++i) {
            if (chance(40))
                result += blankLine().chopped(1);
            result += QStringLiteral("\n    ") + word();
        }
        return result;
    }

    QString html()
    {
        switch (between(0, 4)) {
        case 0: return QStringLiteral("<div>\n") + inlineLine() + QStringLiteral("\n</div>");
        case 1: return QStringLiteral("<!-- a note\n\nstill the note -->");
        case 2: return QStringLiteral("<pre>\nx\n\ny\n</pre>");
        case 3: return QStringLiteral("<details>\n<summary>") + word() + QStringLiteral("</summary>\n\n") + inlineLine() + QStringLiteral("\n</details>");
        default: return QStringLiteral("<br>");
        }
    }

    QString blankLine()
    {
        switch (between(0, 5)) {
        case 0: return QStringLiteral("\n  \n");
        case 1: return QStringLiteral("\n\t\n");
        default: return QStringLiteral("\n\n");
        }
    }

    QString separator()
    {
        switch (between(0, 9)) {
        case 0: case 1: case 2: return QStringLiteral("\n");
        case 3: return QStringLiteral("\n\n\n");
        case 4: return QStringLiteral("\n   \n");
        case 5: return QStringLiteral("\n\u00a0\n"); // not blank for Markdown
        default: return QStringLiteral("\n\n");
        }
    }

    QString piece(bool last)
    {
        switch (between(0, 16)) {
        case 0: case 1: case 2: return paragraph();
        case 3: return pick(QStringList{QStringLiteral("Tool results:"), QStringLiteral("Here is what I found:"),
                                        QStringLiteral("Steps:")})
                    + QLatin1Char('\n') + list();
        case 4: case 5: return list();
        case 6: return QString(between(1, 6), QLatin1Char('#')) + QLatin1Char(' ') + inlineLine()
                    + (chance(20) ? QStringLiteral(" ##") : QString());
        case 7: return paragraph() + QLatin1Char('\n')
                    + QString(between(1, 5), chance(50) ? QLatin1Char('=') : QLatin1Char('-'));
        case 8: case 9: return fence(last);
        case 10: return indentedCode();
        case 11: return table();
        case 12: return quote();
        case 13: return pick(QStringList{QStringLiteral("***"), QStringLiteral("---"), QStringLiteral("___"), QStringLiteral("- - -")});
        case 14: return html();
        case 15: return QStringLiteral("1. ") + inlineLine() + QStringLiteral("\n2. ") + inlineLine();
        default: return paragraph();
        }
    }

    QRandomGenerator m_random;
};

// ---------------------------------------------------------------------------------------------
// What the user sees: the blocks, lists, tables and character formats of a message's frames.

QString formatText(const QTextFormat &format, const QList<int> &skip = {})
{
    static const QRegularExpression copyIndex(QStringLiteral("spool-copy:-?\\d+"));
    QStringList parts;
    const QMap<int, QVariant> properties = format.properties();
    for (auto it = properties.cbegin(); it != properties.cend(); ++it) {
        if (it.key() == QTextFormat::ObjectIndex || skip.contains(it.key()))
            continue;
        // An indent or margin of 0 looks as none: Qt's importer sets one where it takes a
        // block out of a list, and whether it does depends on where the block starts a fragment.
        const bool spacing = it.key() == QTextFormat::BlockIndent || it.key() == QTextFormat::TextIndent
                || (it.key() >= QTextFormat::BlockTopMargin && it.key() <= QTextFormat::BlockRightMargin);
        if (spacing && it.value().toDouble() == 0)
            continue;
        QString value;
        QDebug(&value).nospace() << it.value();
        // The copy link of a code block still being written has a placeholder index (nothing to
        // copy yet); its number is no part of what the user sees.
        value.replace(copyIndex, QStringLiteral("spool-copy:N"));
        parts << QString::number(it.key(), 16) + QLatin1Char('=') + value;
    }
    return parts.join(QLatin1Char(' '));
}

class DocumentDump
{
public:
    QString text;

    void frameContents(QTextFrame::iterator it, int depth)
    {
        for (; !it.atEnd(); ++it) {
            if (QTextFrame *child = it.currentFrame())
                frame(child, depth);
            else
                block(it.currentBlock(), depth);
        }
    }

private:
    void line(int depth, const QString &s) { text += QString(depth * 2, QLatin1Char(' ')) + s + QLatin1Char('\n'); }

    void frame(QTextFrame *frame, int depth)
    {
        if (QTextTable *table = qobject_cast<QTextTable *>(frame)) {
            line(depth, QStringLiteral("table %1x%2 {%3}").arg(table->rows()).arg(table->columns()).arg(formatText(table->format())));
            for (int r = 0; r < table->rows(); ++r) {
                for (int c = 0; c < table->columns(); ++c) {
                    const QTextTableCell cell = table->cellAt(r, c);
                    if (cell.row() != r || cell.column() != c)
                        continue; // spanned
                    line(depth + 1, QStringLiteral("cell %1,%2 {%3}").arg(r).arg(c).arg(formatText(cell.format())));
                    frameContents(cell.begin(), depth + 2);
                }
            }
            return;
        }
        line(depth, QStringLiteral("frame {%1}").arg(formatText(frame->frameFormat())));
        frameContents(frame->begin(), depth + 1);
    }

    void block(const QTextBlock &block, int depth)
    {
        QString head = QStringLiteral("block {%1}").arg(formatText(block.blockFormat()));
        if (QTextList *list = block.textList()) {
            if (!m_lists.contains(list))
                m_lists.insert(list, int(m_lists.size()));
            head += QStringLiteral(" list#%1 {%2} item %3 \"%4\"")
                            .arg(m_lists.value(list))
                            .arg(formatText(list->format()))
                            .arg(list->itemNumber(block))
                            .arg(list->itemText(block));
        }
        line(depth, head);
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            const QTextFragment fragment = it.fragment();
            line(depth + 1, QStringLiteral("\"%1\" {%2}").arg(fragment.text(), formatText(fragment.charFormat())));
        }
    }

    QHash<QTextList *, int> m_lists;
};

// The message as shown: the contents of the top-level frames (a streaming reply may continue
// over several), without the frames' own format, which the streaming view sets per frame.
QString shownMessage(const TranscriptView &view)
{
    DocumentDump dump;
    const QList<QTextFrame *> frames = view.document()->rootFrame()->childFrames();
    for (QTextFrame *frame : frames)
        dump.frameContents(frame->begin(), 0);
    return dump.text;
}

// ---------------------------------------------------------------------------------------------

QString escaped(const QString &text)
{
    QString out;
    for (const QChar c : text) {
        if (c == QLatin1Char('\n'))
            out += QStringLiteral("\\n");
        else if (c == QLatin1Char('\r'))
            out += QStringLiteral("\\r");
        else if (c == QLatin1Char('\t'))
            out += QStringLiteral("\\t");
        else if (c == QLatin1Char('"') || c == QLatin1Char('\\'))
            out += QLatin1Char('\\') + c;
        else if (c.unicode() < 0x20 || c.unicode() > 0x7e)
            out += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return QLatin1Char('"') + out + QLatin1Char('"');
}

QString firstDifference(const QString &expected, const QString &actual)
{
    const QString dumpTo = qEnvironmentVariable("SPOOL_STREAM_DUMP"); // a folder, for debugging
    if (!dumpTo.isEmpty()) {
        for (const auto &[name, text] : {std::pair{"once.txt", expected}, std::pair{"streamed.txt", actual}}) {
            QFile file(dumpTo + QLatin1Char('/') + QLatin1String(name));
            if (file.open(QIODevice::WriteOnly))
                file.write(text.toUtf8());
        }
    }
    const QStringList e = expected.split(QLatin1Char('\n'));
    const QStringList a = actual.split(QLatin1Char('\n'));
    for (int i = 0; i < qMax(e.size(), a.size()); ++i) {
        const QString el = e.value(i, QStringLiteral("<none>"));
        const QString al = a.value(i, QStringLiteral("<none>"));
        if (el != al)
            return QStringLiteral("line %1\n  rendered once: %2\n  streamed:      %3").arg(i + 1).arg(el, al);
    }
    return QString();
}

// A streamed reply: its text and the delta boundaries, each with whether the model announces
// the text there (its coalescing timer fires) before the next delta arrives.
struct StreamCase
{
    QString text;
    QList<int> cuts;
    QList<bool> flushes; // parallel to cuts

    QString describe() const
    {
        QStringList points;
        for (int i = 0; i < cuts.size(); ++i)
            points << QString::number(cuts.at(i)) + (flushes.at(i) ? QStringLiteral("!") : QString());
        return QStringLiteral("text %1 (%2 chars)\ncuts [%3] (! = the view was updated there)")
                .arg(escaped(text))
                .arg(text.size())
                .arg(points.join(QStringLiteral(", ")));
    }
};

// Drives one streamed reply and one rendered-once reply through real models and views.
class StreamHarness
{
public:
    StreamHarness() : m_streamed(nullptr), m_loaded(nullptr)
    {
        m_streamedView.resize(700, 500);
        m_loadedView.resize(700, 500);
        m_streamedView.setModel(&m_streamed);
        m_loadedView.setModel(&m_loaded);
    }

    // The reply as a reloaded session shows it.
    QString rendered(const QString &text)
    {
        start(m_loaded);
        m_loaded.applyEvent(responseEvent(text));
        return shownMessage(m_loadedView);
    }

    // Empty when streaming showed, at each update and at the end, what rendering once shows.
    // `compared`: how many of the updates on the way are compared (spread evenly; -1: all).
    QString check(const StreamCase &c, int compared = -1)
    {
        const int updates = int(c.flushes.count(true));
        const int stride = compared < 0 || updates <= compared ? 1 : (updates + compared - 1) / qMax(1, compared);
        int updateIndex = 0;
        if (c.text.isEmpty())
            return QString(); // no reply at all
        start(m_streamed);
        int from = 0;
        for (int i = 0; i <= c.cuts.size(); ++i) {
            const int to = i < c.cuts.size() ? c.cuts.at(i) : int(c.text.size());
            m_streamed.appendDelta(kRun, c.text.mid(from, to - from));
            from = to;
            const bool update = i == c.cuts.size() || c.flushes.at(i);
            if (!update)
                continue;
            m_streamed.flushDeltas();
            if (i < c.cuts.size() && (compared == 0 || updateIndex++ % stride != 0))
                continue;
            const QString prefix = c.text.left(to);
            if (m_streamed.rowCount() != 1 || !m_streamed.entryAt(0).streaming
                || m_streamed.entryAt(0).text != prefix)
                return QStringLiteral("the model does not hold the streamed text");
            const QString shown = shownMessage(m_streamedView);
            const QString expected = rendered(prefix);
            if (shown != expected)
                return QStringLiteral("while streaming, after %1 of %2 chars: %3")
                        .arg(to).arg(c.text.size()).arg(firstDifference(expected, shown));
        }
        // The reply ends: its provider.response arrives with the whole text.
        m_streamed.applyEvent(responseEvent(c.text, 2));
        const QString shown = shownMessage(m_streamedView);
        const QString expected = rendered(c.text);
        if (shown != expected)
            return QStringLiteral("after the reply ended: %1").arg(firstDifference(expected, shown));
        return QString();
    }

private:
    static inline const QString kRun = QStringLiteral("run-1");

    static void start(TranscriptModel &model)
    {
        model.setSession(QString()); // a reset: the view starts from an empty document
        RunInfo run;
        run.id = kRun;
        model.applyRun(run);
    }

    static TapeEvent responseEvent(const QString &text, qint64 seq = 1)
    {
        TapeEvent e;
        e.runId = kRun;
        e.seq = seq;
        e.kind = TapeKind::ProviderResponse;
        e.payload = QJsonObject{{QStringLiteral("text"), text}};
        return e;
    }

    TranscriptModel m_streamed;
    TranscriptModel m_loaded;
    TranscriptView m_streamedView;
    TranscriptView m_loadedView;
};

// Removes text[at, at + length) from a case, moving the cuts with it.
StreamCase without(const StreamCase &c, int at, int length)
{
    StreamCase r;
    r.text = c.text;
    r.text.remove(at, length);
    for (int i = 0; i < c.cuts.size(); ++i) {
        int cut = c.cuts.at(i);
        if (cut >= at + length)
            cut -= length;
        else if (cut > at)
            cut = at;
        if (cut <= 0 || cut >= r.text.size() || (!r.cuts.isEmpty() && r.cuts.constLast() == cut))
            continue;
        r.cuts.append(cut);
        r.flushes.append(c.flushes.at(i));
    }
    return r;
}

StreamCase shrinkWith(StreamCase c, const std::function<bool(const StreamCase &)> &fails, int &budget);

// Greedy shrinking: fewer cuts, then fewer lines, then fewer characters, while it still fails.
StreamCase shrink(StreamCase c, const std::function<bool(const StreamCase &)> &fails)
{
    int budget = 3000;
    QElapsedTimer clock; // and at most 30 s, so that a failure is reported before any timeout
    clock.start();
    const std::function<bool(const StreamCase &)> failsInTime = [&](const StreamCase &t) {
        if (clock.elapsed() > 30000) {
            budget = 0;
            return false;
        }
        return fails(t);
    };
    return shrinkWith(std::move(c), failsInTime, budget);
}

StreamCase shrinkWith(StreamCase c, const std::function<bool(const StreamCase &)> &fails, int &budget)
{
    bool progress = true;
    while (progress && budget > 0) {
        progress = false;
        for (int i = 0; i < c.cuts.size() && budget > 0; --budget) {
            StreamCase t = c;
            t.cuts.removeAt(i);
            t.flushes.removeAt(i);
            if (fails(t)) {
                c = t;
                progress = true;
            } else {
                ++i;
            }
        }
        for (int i = 0; i < c.flushes.size() && budget > 0; ++i) {
            if (!c.flushes.at(i))
                continue;
            StreamCase t = c;
            t.flushes[i] = false;
            --budget;
            if (fails(t)) {
                c = t;
                progress = true;
            }
        }
        for (int at = 0; at < c.text.size() && budget > 0; --budget) {
            int end = c.text.indexOf(QLatin1Char('\n'), at);
            end = end < 0 ? int(c.text.size()) : end + 1;
            const StreamCase t = without(c, at, end - at);
            if (fails(t)) {
                c = t;
                progress = true;
            } else {
                at = end;
            }
        }
        for (int at = 0; at < c.text.size() && budget > 0; --budget) {
            const StreamCase t = without(c, at, 1);
            if (fails(t)) {
                c = t;
                progress = true;
            } else {
                ++at;
            }
        }
    }
    return c;
}

quint64 seedFromEnvironment()
{
    bool ok = false;
    const quint64 seed = qEnvironmentVariable("SPOOL_STREAM_SEED").toULongLong(&ok);
    return ok ? seed : 20261201;
}

int casesFromEnvironment()
{
    bool ok = false;
    const int cases = qEnvironmentVariableIntValue("SPOOL_STREAM_CASES", &ok);
    return ok && cases > 0 ? cases : 2500;
}

} // namespace

class tst_StreamRender : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void regressions_data();
    void regressions();
    void rendererPiecesAddUpToTheWhole();
    void streamingEqualsRendering_data();
    void streamingEqualsRendering();

private:
    QList<StreamCase> generate(quint64 seed, int count);
    quint64 m_seed = 0;
    int m_cases = 0;
};

void tst_StreamRender::initTestCase()
{
    m_seed = seedFromEnvironment();
    m_cases = casesFromEnvironment();
    qInfo("seed %llu (SPOOL_STREAM_SEED), %d cases (SPOOL_STREAM_CASES)", m_seed, m_cases);
}

QList<StreamCase> tst_StreamRender::generate(quint64 seed, int count)
{
    MarkdownGenerator generator(seed);
    QList<StreamCase> cases;
    for (int i = 0; i < count; ++i) {
        StreamCase c;
        c.text = generator.text();
        c.cuts = generator.cuts(c.text);
        for (int j = 0; j < c.cuts.size(); ++j)
            c.flushes.append(generator.chance(40));
        cases.append(c);
    }
    return cases;
}

void tst_StreamRender::regressions_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QList<int>>("cuts"); // the view is updated at every cut

    // The bug users saw: while streaming, "Tool results:" became a bullet like the list after it.
    QTest::newRow("line ending in a colon, then a list")
            << QStringLiteral("Tool results:\n- one\n- two\n") << QList<int>{6, 14, 20, 25};
    QTest::newRow("rule after a paragraph") << QStringLiteral(")\n___\n") << QList<int>{};
    QTest::newRow("rule alone, then the reply ends") << QStringLiteral("___") << QList<int>{1, 2};
    QTest::newRow("nested empty item") << QStringLiteral(":\n1) *\n") << QList<int>{};
    QTest::newRow("paragraph after code blocks") << QStringLiteral("~~~\n~~~\n```\n```\ns\n") << QList<int>{};
    QTest::newRow("paragraph after a code block") << QStringLiteral("~~~\ng\n~~~\n_\n") << QList<int>{};
    // A streaming reply continues in a new frame after 6000 characters: not before a rule.
    const QString longParagraph = QStringLiteral("word ").repeated(1300);
    QTest::newRow("rule after a long paragraph")
            << QString(longParagraph + QStringLiteral("\n\n***\n\nend\n"))
            << QList<int>{int(longParagraph.size()) + 6, int(longParagraph.size()) + 11};
    QTest::newRow("code block after a long paragraph")
            << QString(longParagraph + QStringLiteral("\n\n```\nx\n```\nend\n"))
            << QList<int>{int(longParagraph.size()) + 8, int(longParagraph.size()) + 16};
    QTest::newRow("table after an empty code block") << QStringLiteral("```\n```\ne\n-|") << QList<int>{10};
    QTest::newRow("paragraph after a list ending in an empty code block") << QStringLiteral("* ~~~\n``\n``\n~~~") << QList<int>{};
    QTest::newRow("paragraph after an empty list item") << QStringLiteral(">;\n-\ne\n") << QList<int>{};
    QTest::newRow("paragraph after code ending in blank lines") << QStringLiteral("```\n`\n\n\n```\n`\n") << QList<int>{};
}

void tst_StreamRender::regressions()
{
    QFETCH(QString, text);
    QFETCH(QList<int>, cuts);
    StreamCase c{text, cuts, QList<bool>(cuts.size(), true)};
    StreamHarness harness;
    const QString failure = harness.check(c);
    QVERIFY2(failure.isEmpty(), qPrintable(c.describe() + QLatin1Char('\n') + failure));
    if (text.size() > 200)
        return;
    // Every delta boundary, one character at a time.
    StreamCase each{text, {}, {}};
    for (int i = 1; i < text.size(); ++i)
        each.cuts << i, each.flushes << true;
    const QString eachFailure = harness.check(each);
    QVERIFY2(eachFailure.isEmpty(), qPrintable(each.describe() + QLatin1Char('\n') + eachFailure));
}

// The contract the streaming view relies on: the finished blocks, rendered piece by piece as
// they complete, followed by the open tail rendered alone, give the HTML of the whole text.
void tst_StreamRender::rendererPiecesAddUpToTheWhole()
{
    const QList<StreamCase> cases = generate(m_seed, m_cases);
    auto failure = [](const StreamCase &c) -> QString {
        QString pieces;
        int completed = 0;
        int codeBlocks = 0;
        QList<int> ends = c.cuts;
        ends.append(int(c.text.size()));
        // completedLength at every cut, as the view calls it; the HTML compared at some 8.
        const int stride = qMax(1, int(ends.size()) / 8);
        for (int k = 0; k < ends.size(); ++k) {
            const int end = ends.at(k);
            const QString prefix = c.text.left(end);
            const int now = MarkdownRenderer::completedLength(prefix, completed);
            if (now < completed || now > end)
                return QStringLiteral("completedLength went from %1 to %2").arg(completed).arg(now);
            if (now != MarkdownRenderer::completedLength(prefix))
                return QStringLiteral("completedLength resumed at %1 gives %2, from the start %3")
                        .arg(completed).arg(now).arg(MarkdownRenderer::completedLength(prefix));
            if (now > completed) {
                const MarkdownRenderer::Output piece = MarkdownRenderer::render(prefix.mid(completed, now - completed), {}, codeBlocks);
                pieces += piece.html;
                codeBlocks += int(piece.codeBlocks.size());
                completed = now;
            }
            if (k % stride != 0 && k != ends.size() - 1)
                continue;
            const QString shown = pieces + MarkdownRenderer::render(prefix.mid(completed), {}, codeBlocks).html;
            const QString whole = MarkdownRenderer::render(prefix, {}).html;
            if (shown != whole)
                return QStringLiteral("after %1 chars, finished up to %2:\n  whole:  %3\n  pieces: %4")
                        .arg(end).arg(completed).arg(escaped(whole), escaped(shown));
        }
        return QString();
    };
    for (const StreamCase &c : cases) {
        if (failure(c).isEmpty())
            continue;
        const StreamCase small = shrink(c, [&](const StreamCase &t) { return !failure(t).isEmpty(); });
        QFAIL(qPrintable(QStringLiteral("seed %1\noriginal %2\nshrunk to %3\n%4")
                                 .arg(m_seed).arg(c.describe(), small.describe(), failure(small))));
    }
}

void tst_StreamRender::streamingEqualsRendering_data()
{
    QTest::addColumn<bool>("overSeveralFrames");
    QTest::newRow("replies in one frame") << false;
    // Past 6000 characters a streaming reply continues in further frames. These are compared
    // at the end of the stream only, and not shrunk: both would take minutes.
    QTest::newRow("replies over several frames") << true;
}

void tst_StreamRender::streamingEqualsRendering()
{
    QFETCH(bool, overSeveralFrames);
    constexpr int kFrameChars = 6000; // TranscriptView's kCharsPerFrame
    const QList<StreamCase> cases = generate(m_seed, m_cases);
    StreamHarness harness;
    QElapsedTimer timer;
    timer.start();
    int count = 0;
    qsizetype chars = 0;
    int updates = 0;
    for (int i = 0; i < cases.size(); ++i) {
        const StreamCase &c = cases.at(i);
        if ((c.text.size() > kFrameChars) != overSeveralFrames)
            continue;
        ++count;
        chars += c.text.size();
        // Every update is streamed; some are compared, each costing a whole rendering.
        const int compared = overSeveralFrames ? 0 : 2;
        updates += qMin(compared, int(c.flushes.count(true))) + 2;
        const QString failure = harness.check(c, compared);
        if (failure.isEmpty())
            continue;
        if (overSeveralFrames)
            QFAIL(qPrintable(QStringLiteral("seed %1, case %2\n%3\n%4").arg(m_seed).arg(i).arg(c.describe(), failure)));
        qWarning("seed %llu, case %d fails; shrinking:\n%s\n%s", m_seed, i, qPrintable(c.describe()),
                 qPrintable(failure));
        const StreamCase small = shrink(c, [&](const StreamCase &t) { return !harness.check(t).isEmpty(); });
        QFAIL(qPrintable(QStringLiteral("seed %1, case %2\noriginal %3\n%4\nshrunk to %5\n%6")
                                 .arg(m_seed).arg(i).arg(c.describe(), failure, small.describe(), harness.check(small))));
    }
    QVERIFY(count > 0);
    qInfo("%d cases, %lld characters, %d states compared, %lld ms", count, qlonglong(chars), updates,
          qlonglong(timer.elapsed()));
}

QTEST_MAIN(tst_StreamRender)
#include "tst_streamrender.moc"
