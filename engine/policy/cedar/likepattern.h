#pragma once

#include <QString>
#include <QStringList>
#include <QStringView>

#include <vector>

namespace Spool::Cedar {

// A compiled `like` pattern: literal text with `*` wildcards (a literal star is written `\*`).
// Matching runs in time linear in the text plus the pattern, whatever the pattern: the text is
// scanned once, left to right, and each literal piece is found with Knuth-Morris-Pratt, so a
// pattern such as `*a*a*a*a*b` cannot make it backtrack.
class LikePattern
{
public:
    LikePattern() = default;
    // `pieces` are the literal runs between wildcards: a pattern with n stars has n + 1
    // pieces, some possibly empty ("*a*" is {"", "a", ""}).
    explicit LikePattern(const QStringList &pieces);

    bool matches(QStringView text) const;

    // Cedar source form, without quotes: `a\*b*`.
    QString toString() const;

private:
    struct Piece
    {
        QString text;
        std::vector<int> failure; // KMP failure function of text
    };
    std::vector<Piece> m_pieces;
};

} // namespace Spool::Cedar
