#include "policy/cedar/likepattern.h"

namespace Spool::Cedar {

LikePattern::LikePattern(const QStringList &pieces)
{
    m_pieces.reserve(pieces.size());
    for (const QString &p : pieces) {
        Piece piece;
        piece.text = p;
        piece.failure.assign(p.size(), 0);
        int k = 0;
        for (qsizetype i = 1; i < p.size(); ++i) {
            while (k > 0 && p.at(i) != p.at(k))
                k = piece.failure[k - 1];
            if (p.at(i) == p.at(k))
                ++k;
            piece.failure[i] = k;
        }
        m_pieces.push_back(std::move(piece));
    }
    if (m_pieces.empty())
        m_pieces.push_back(Piece{});
}

bool LikePattern::matches(QStringView text) const
{
    const qsizetype n = text.size();
    if (m_pieces.size() == 1)
        return text == m_pieces.front().text;

    // The first piece is anchored at the start and the last at the end; with at least one
    // star between them, the middle pieces may each match at their leftmost position (taking
    // the leftmost occurrence never loses a match that a later one would give).
    const QString &first = m_pieces.front().text;
    const QString &last = m_pieces.back().text;
    if (first.size() + last.size() > n || !text.startsWith(first) || !text.endsWith(last))
        return false;
    qsizetype pos = first.size();
    const qsizetype end = n - last.size();
    for (size_t i = 1; i + 1 < m_pieces.size(); ++i) {
        const Piece &piece = m_pieces[i];
        const qsizetype m = piece.text.size();
        if (m == 0)
            continue;
        int k = 0;
        qsizetype found = -1;
        for (qsizetype j = pos; j < end; ++j) {
            while (k > 0 && text.at(j) != piece.text.at(k))
                k = piece.failure[k - 1];
            if (text.at(j) == piece.text.at(k))
                ++k;
            if (k == m) {
                found = j + 1;
                break;
            }
        }
        if (found < 0)
            return false;
        pos = found;
    }
    return true;
}

QString LikePattern::toString() const
{
    QString out;
    for (size_t i = 0; i < m_pieces.size(); ++i) {
        if (i > 0)
            out += QLatin1Char('*');
        for (const QChar c : m_pieces[i].text) {
            if (c == QLatin1Char('*'))
                out += QLatin1String("\\*");
            else if (c == QLatin1Char('\\'))
                out += QLatin1String("\\\\");
            else if (c == QLatin1Char('"'))
                out += QLatin1String("\\\"");
            else
                out += c;
        }
    }
    return out;
}

} // namespace Spool::Cedar
