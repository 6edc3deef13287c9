#include "tools/textdiff.h"

#include <QHash>
#include <QList>
#include <QStringList>

#include <vector>

namespace Spool {

namespace {

struct Line
{
    QStringView text;   // without its newline
    bool newline = true; // false only for a last line with no newline at the end of the file
};

QList<Line> splitLines(const QString &text)
{
    QList<Line> lines;
    qsizetype start = 0;
    while (start < text.size()) {
        const qsizetype nl = text.indexOf(QLatin1Char('\n'), start);
        if (nl < 0) {
            lines.append(Line{QStringView(text).mid(start), false});
            break;
        }
        lines.append(Line{QStringView(text).mid(start, nl - start), true});
        start = nl + 1;
    }
    return lines;
}

enum class Op : char { Equal, Delete, Insert };

struct Edit
{
    Op op;
    int oldIndex; // index in the old lines (Equal, Delete)
    int newIndex; // index in the new lines (Equal, Insert)
};

// Myers' greedy forward algorithm. Each round keeps the slice of V it can read back in the
// backtrack (diagonals -d-1..d+1), so the trace costs O(D^2) ints rather than O(D * (N + M)).
// Returns false when the distance exceeds `maxD`, leaving `edits` untouched.
bool myers(const std::vector<int> &a, const std::vector<int> &b, int maxD, int aOffset,
           int bOffset, QList<Edit> &edits)
{
    const int n = int(a.size());
    const int m = int(b.size());
    const int max = qMin(n + m, maxD);
    const int offset = max + 1;
    std::vector<int> v(size_t(2 * max + 3), 0);
    std::vector<std::vector<int>> trace;
    int found = -1;
    for (int d = 0; d <= max && found < 0; ++d) {
        trace.emplace_back(v.begin() + (offset - d - 1), v.begin() + (offset + d + 2));
        for (int k = -d; k <= d; k += 2) {
            int x;
            if (k == -d || (k != d && v[size_t(offset + k - 1)] < v[size_t(offset + k + 1)]))
                x = v[size_t(offset + k + 1)];
            else
                x = v[size_t(offset + k - 1)] + 1;
            int y = x - k;
            while (x < n && y < m && a[size_t(x)] == b[size_t(y)]) {
                ++x;
                ++y;
            }
            v[size_t(offset + k)] = x;
            if (x >= n && y >= m) {
                found = d;
                break;
            }
        }
    }
    if (found < 0)
        return false;

    QList<Edit> backwards;
    int x = n;
    int y = m;
    for (int d = found; d >= 0; --d) {
        const std::vector<int> &slice = trace[size_t(d)];
        auto vd = [&slice, d](int diagonal) { return slice[size_t(diagonal + d + 1)]; };
        const int k = x - y;
        int prevK;
        if (k == -d || (k != d && vd(k - 1) < vd(k + 1)))
            prevK = k + 1;
        else
            prevK = k - 1;
        const int prevX = d == 0 ? 0 : vd(prevK);
        const int prevY = prevX - prevK;
        while (x > prevX && y > prevY) {
            --x;
            --y;
            backwards.append(Edit{Op::Equal, aOffset + x, bOffset + y});
        }
        if (d == 0)
            break;
        if (x == prevX)
            backwards.append(Edit{Op::Insert, -1, bOffset + prevY});
        else
            backwards.append(Edit{Op::Delete, aOffset + prevX, -1});
        x = prevX;
        y = prevY;
    }
    for (auto it = backwards.crbegin(); it != backwards.crend(); ++it)
        edits.append(*it);
    return true;
}

QString hunkRange(int start, int count)
{
    // GNU diff: an empty range is named by the line before it.
    if (count == 0)
        return QStringLiteral("%1,0").arg(start);
    if (count == 1)
        return QString::number(start + 1);
    return QStringLiteral("%1,%2").arg(start + 1).arg(count);
}

} // namespace

TextDiff::Unified TextDiff::unified(const QString &oldText, const QString &newText,
                                    const QString &oldLabel, const QString &newLabel)
{
    return unified(oldText, newText, oldLabel, newLabel, Limits{});
}

TextDiff::Unified TextDiff::unified(const QString &oldText, const QString &newText,
                                    const QString &oldLabel, const QString &newLabel,
                                    const Limits &limits)
{
    Unified out;
    if (oldText == newText)
        return out;
    const QList<Line> a = splitLines(oldText);
    const QList<Line> b = splitLines(newText);

    // Lines become small integers so that the inner loop compares ints, not strings.
    QHash<QString, int> ids;
    auto idOf = [&ids](const Line &line) {
        QString key = line.text.toString();
        if (!line.newline)
            key.append(QChar(0xFFFF)); // "x" and "x" without newline differ
        auto it = ids.find(key);
        if (it == ids.end())
            it = ids.insert(key, int(ids.size()));
        return *it;
    };
    std::vector<int> ia;
    std::vector<int> ib;
    ia.reserve(size_t(a.size()));
    ib.reserve(size_t(b.size()));
    for (const Line &l : a)
        ia.push_back(idOf(l));
    for (const Line &l : b)
        ib.push_back(idOf(l));

    int prefix = 0;
    while (prefix < int(ia.size()) && prefix < int(ib.size()) && ia[size_t(prefix)] == ib[size_t(prefix)])
        ++prefix;
    int suffix = 0;
    while (suffix < int(ia.size()) - prefix && suffix < int(ib.size()) - prefix
           && ia[ia.size() - 1 - size_t(suffix)] == ib[ib.size() - 1 - size_t(suffix)])
        ++suffix;

    QList<Edit> edits;
    for (int i = 0; i < prefix; ++i)
        edits.append(Edit{Op::Equal, i, i});
    const std::vector<int> midA(ia.begin() + prefix, ia.end() - suffix);
    const std::vector<int> midB(ib.begin() + prefix, ib.end() - suffix);
    if (!myers(midA, midB, limits.maxEditDistance, prefix, prefix, edits)) {
        out.minimal = false;
        for (int i = 0; i < int(midA.size()); ++i)
            edits.append(Edit{Op::Delete, prefix + i, -1});
        for (int j = 0; j < int(midB.size()); ++j)
            edits.append(Edit{Op::Insert, -1, prefix + j});
    }
    for (int i = 0; i < suffix; ++i)
        edits.append(Edit{Op::Equal, int(a.size()) - suffix + i, int(b.size()) - suffix + i});

    // Old and new positions before each edit, for the hunk headers.
    QList<int> oldPos;
    QList<int> newPos;
    oldPos.reserve(edits.size() + 1);
    newPos.reserve(edits.size() + 1);
    int op = 0;
    int np = 0;
    for (const Edit &e : edits) {
        oldPos.append(op);
        newPos.append(np);
        if (e.op != Op::Insert)
            ++op;
        if (e.op != Op::Delete)
            ++np;
        if (e.op == Op::Insert)
            ++out.added;
        else if (e.op == Op::Delete)
            ++out.removed;
    }
    oldPos.append(op);
    newPos.append(np);

    QStringList lines;
    lines << QStringLiteral("--- ") + oldLabel << QStringLiteral("+++ ") + newLabel;
    const int ctx = qMax(0, limits.contextLines);
    const int count = int(edits.size());
    int i = 0;
    while (i < count) {
        if (edits[i].op == Op::Equal) {
            ++i;
            continue;
        }
        // A hunk: from ctx lines before this change to ctx lines after the last change that is
        // at most 2*ctx equal lines away from the previous one.
        int start = qMax(0, i - ctx);
        int end = i;
        int j = i;
        while (j < count) {
            if (edits[j].op != Op::Equal) {
                end = j + 1;
                ++j;
                continue;
            }
            int run = 0;
            while (j + run < count && edits[j + run].op == Op::Equal)
                ++run;
            if (j + run >= count || run > 2 * ctx) {
                end = qMin(count, j + qMin(run, ctx));
                break;
            }
            j += run;
        }
        int oldCount = 0;
        int newCount = 0;
        for (int k = start; k < end; ++k) {
            if (edits[k].op != Op::Insert)
                ++oldCount;
            if (edits[k].op != Op::Delete)
                ++newCount;
        }
        lines << QStringLiteral("@@ -%1 +%2 @@")
                         .arg(hunkRange(oldPos[start], oldCount), hunkRange(newPos[start], newCount));
        for (int k = start; k < end; ++k) {
            const Edit &e = edits[k];
            const Line &l = e.op == Op::Insert ? b[e.newIndex] : a[e.oldIndex];
            const QChar sign = e.op == Op::Equal ? QLatin1Char(' ')
                                                 : e.op == Op::Delete ? QLatin1Char('-')
                                                                      : QLatin1Char('+');
            lines << QString(sign + l.text.toString());
            if (!l.newline)
                lines << QStringLiteral("\\ No newline at end of file");
        }
        i = end;
        if (lines.size() > limits.maxOutputLines)
            break;
    }
    if (lines.size() > limits.maxOutputLines) {
        lines = lines.mid(0, limits.maxOutputLines);
        out.truncated = true;
        lines << QStringLiteral("[diff truncated after %1 lines: +%2 -%3 lines in all]")
                         .arg(limits.maxOutputLines)
                         .arg(out.added)
                         .arg(out.removed);
    }
    out.text = lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
    return out;
}

} // namespace Spool
