#pragma once

#include <QString>

namespace Spool {

// Line diffs for the approval dialog: what a file write would change, as a unified diff.
//
// Myers' O(ND) algorithm on lines, after trimming the common prefix and suffix (so the usual
// small edit to a large file costs next to nothing). Past `maxEditDistance` the middle is shown
// as removed-then-added: still a correct diff, only not the shortest one. The text is capped at
// `maxOutputLines`; the counts always cover the whole change.
class TextDiff
{
public:
    struct Limits
    {
        int maxEditDistance = 2000;
        int maxOutputLines = 2000;
        int contextLines = 3;
    };

    struct Unified
    {
        QString text;       // "--- a/...\n+++ b/...\n@@ ... @@\n..." or empty when equal
        int added = 0;      // lines
        int removed = 0;    // lines
        bool minimal = true;   // false when the edit distance passed the limit
        bool truncated = false; // the text stops at maxOutputLines
    };

    // `oldLabel` / `newLabel` go on the --- and +++ lines ("a/src/x.cpp", "/dev/null").
    static Unified unified(const QString &oldText, const QString &newText,
                           const QString &oldLabel, const QString &newLabel);
    static Unified unified(const QString &oldText, const QString &newText,
                           const QString &oldLabel, const QString &newLabel, const Limits &limits);
};

} // namespace Spool
