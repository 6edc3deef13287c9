#include "policy/cedar/lexer.h"

namespace Spool::Cedar {

namespace {

bool isIdentStart(char16_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool isIdentPart(char16_t c)
{
    return isIdentStart(c) || (c >= '0' && c <= '9');
}

bool isDigit(char16_t c)
{
    return c >= '0' && c <= '9';
}

int hexValue(char16_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Shared by unescape() and unescapePattern(): `pieces` is null for a plain string.
std::optional<QString> unescapeImpl(QStringView quoted, QStringList *pieces, QString *error,
                                    qsizetype *errorOffset)
{
    QStringView body = quoted;
    qsizetype base = 0;
    if (body.size() >= 2 && body.front() == QLatin1Char('"') && body.back() == QLatin1Char('"')) {
        body = body.mid(1, body.size() - 2);
        base = 1;
    }
    QString out;
    out.reserve(body.size());
    auto fail = [&](qsizetype at, const QString &message) -> std::optional<QString> {
        if (error)
            *error = message;
        if (errorOffset)
            *errorOffset = base + at;
        return std::nullopt;
    };
    for (qsizetype i = 0; i < body.size(); ++i) {
        const char16_t c = body.at(i).unicode();
        if (c == '*' && pieces) {
            pieces->append(out);
            out.clear();
            continue;
        }
        if (c != '\\') {
            out += QChar(c);
            continue;
        }
        const qsizetype start = i;
        if (i + 1 >= body.size())
            return fail(start, QStringLiteral("a backslash must be followed by an escape"));
        const char16_t e = body.at(++i).unicode();
        switch (e) {
        case 'n': out += QLatin1Char('\n'); break;
        case 'r': out += QLatin1Char('\r'); break;
        case 't': out += QLatin1Char('\t'); break;
        case '0': out += QChar(0); break;
        case '\\': out += QLatin1Char('\\'); break;
        case '\'': out += QLatin1Char('\''); break;
        case '"': out += QLatin1Char('"'); break;
        case '*':
            if (!pieces)
                return fail(start, QStringLiteral("\\* is only allowed in a like pattern"));
            out += QLatin1Char('*');
            break;
        case 'x': {
            const int h1 = i + 1 < body.size() ? hexValue(body.at(i + 1).unicode()) : -1;
            const int h2 = i + 2 < body.size() ? hexValue(body.at(i + 2).unicode()) : -1;
            if (h1 < 0 || h2 < 0)
                return fail(start, QStringLiteral("\\x needs two hex digits"));
            const int v = h1 * 16 + h2;
            if (v > 0x7f)
                return fail(start, QStringLiteral("\\x escapes stop at \\x7F; use \\u{...}"));
            out += QChar(char16_t(v));
            i += 2;
            break;
        }
        case 'u': {
            if (i + 1 >= body.size() || body.at(i + 1) != QLatin1Char('{'))
                return fail(start, QStringLiteral("a unicode escape is written \\u{hex}"));
            qsizetype j = i + 2;
            char32_t v = 0;
            int digits = 0;
            while (j < body.size() && hexValue(body.at(j).unicode()) >= 0) {
                if (++digits > 6)
                    return fail(start, QStringLiteral("a unicode escape has at most 6 digits"));
                v = v * 16 + char32_t(hexValue(body.at(j).unicode()));
                ++j;
            }
            if (digits == 0 || j >= body.size() || body.at(j) != QLatin1Char('}'))
                return fail(start, QStringLiteral("a unicode escape is written \\u{hex}"));
            if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                return fail(start, QStringLiteral("\\u{%1} is not a unicode scalar value")
                                           .arg(quint32(v), 0, 16));
            if (v > 0xffff) {
                out += QChar(QChar::highSurrogate(v));
                out += QChar(QChar::lowSurrogate(v));
            } else {
                out += QChar(char16_t(v));
            }
            i = j;
            break;
        }
        default:
            return fail(start, QStringLiteral("unknown escape \\%1").arg(QChar(e)));
        }
    }
    if (pieces)
        pieces->append(out);
    return out;
}

} // namespace

QList<Lexer::Token> Lexer::tokenize(const QString &source)
{
    QList<Token> tokens;
    const qsizetype n = source.size();
    qsizetype i = 0;
    int line = 1;
    int column = 1;

    // Advances over one character, keeping line and column; a surrogate pair is one column.
    auto advance = [&]() {
        const char16_t c = source.at(i).unicode();
        ++i;
        if (c == '\n') {
            ++line;
            column = 1;
        } else if (!(QChar::isHighSurrogate(c) && i < n && QChar::isLowSurrogate(source.at(i).unicode()))) {
            ++column;
        }
    };

    static const char *const twoCharSymbols[] = {"==", "!=", "<=", ">=", "&&", "||", "::"};
    while (true) {
        // White space and comments.
        while (i < n) {
            const QChar c = source.at(i);
            if (c.isSpace()) {
                advance();
            } else if (c == QLatin1Char('/') && i + 1 < n && source.at(i + 1) == QLatin1Char('/')) {
                while (i < n && source.at(i) != QLatin1Char('\n'))
                    advance();
            } else {
                break;
            }
        }
        Token t;
        t.line = line;
        t.column = column;
        t.offset = i;
        if (i >= n) {
            t.kind = Token::Kind::End;
            t.text = QStringView(source).mid(n, 0);
            tokens.append(t);
            return tokens;
        }
        const char16_t c = source.at(i).unicode();
        const qsizetype start = i;
        if (isIdentStart(c)) {
            while (i < n && isIdentPart(source.at(i).unicode()))
                advance();
            t.kind = Token::Kind::Identifier;
        } else if (isDigit(c)) {
            while (i < n && isDigit(source.at(i).unicode()))
                advance();
            t.kind = Token::Kind::Integer;
        } else if (c == '"') {
            advance();
            bool closed = false;
            while (i < n) {
                const char16_t d = source.at(i).unicode();
                if (d == '\\') {
                    advance();
                    if (i < n)
                        advance();
                    continue;
                }
                advance();
                if (d == '"') {
                    closed = true;
                    break;
                }
            }
            t.kind = closed ? Token::Kind::String : Token::Kind::Invalid;
        } else {
            bool two = false;
            if (i + 1 < n) {
                for (const char *sym : twoCharSymbols) {
                    if (c == char16_t(sym[0]) && source.at(i + 1).unicode() == char16_t(sym[1])) {
                        two = true;
                        break;
                    }
                }
            }
            if (two) {
                advance();
                advance();
                t.kind = Token::Kind::Symbol;
            } else if (QStringView(u"()[]{},;.:@?<>+-*/%!=").contains(QChar(c))) {
                advance();
                t.kind = Token::Kind::Symbol;
            } else {
                advance();
                if (QChar::isHighSurrogate(c) && i < n && QChar::isLowSurrogate(source.at(i).unicode()))
                    advance();
                t.kind = Token::Kind::Invalid;
            }
        }
        t.text = QStringView(source).mid(start, i - start);
        tokens.append(t);
        if (t.kind == Token::Kind::Invalid) {
            Token end;
            end.kind = Token::Kind::End;
            end.line = line;
            end.column = column;
            end.offset = i;
            end.text = QStringView(source).mid(i, 0);
            tokens.append(end);
            return tokens;
        }
    }
}

std::optional<QString> Lexer::unescape(QStringView quoted, QString *error, qsizetype *errorOffset)
{
    return unescapeImpl(quoted, nullptr, error, errorOffset);
}

std::optional<QStringList> Lexer::unescapePattern(QStringView quoted, QString *error,
                                                  qsizetype *errorOffset)
{
    QStringList pieces;
    if (!unescapeImpl(quoted, &pieces, error, errorOffset))
        return std::nullopt;
    return pieces;
}

} // namespace Spool::Cedar
