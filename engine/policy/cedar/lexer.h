#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <optional>

namespace Spool::Cedar {

// Splits Cedar source (policies and human-readable schemas share the same tokens) into
// tokens with 1-based line and column. Comments (`// ...`) and white space are dropped.
class Lexer
{
public:
    struct Token
    {
        enum class Kind : quint8 { End, Identifier, Integer, String, Symbol, Invalid };
        Kind kind = Kind::End;
        QStringView text; // the token as written; a String keeps its quotes
        int line = 1;
        int column = 1;
        qsizetype offset = 0;

        bool is(Kind k, QLatin1StringView t) const { return kind == k && text == t; }
        bool isSymbol(QLatin1StringView t) const { return is(Kind::Symbol, t); }
        bool isIdentifier(QLatin1StringView t) const { return is(Kind::Identifier, t); }
    };

    // `source` must outlive the tokens, which point into it. The last token is End; a
    // character that starts no token, or a string without its closing quote, gives an Invalid
    // token.
    static QList<Token> tokenize(const QString &source);

    // The contents of a string token with escapes resolved (`\n`, `\t`, `\r`, `\0`, `\\`,
    // `\'`, `\"`, `\xHH` up to 7F, `\u{H..H}`). On a bad escape, returns std::nullopt and
    // sets `error` and `errorOffset` (the offset of the backslash within `quoted`).
    static std::optional<QString> unescape(QStringView quoted, QString *error,
                                           qsizetype *errorOffset);
    // The same for a `like` pattern, where `\*` is a literal star and a bare `*` a wildcard:
    // returns the literal pieces between wildcards.
    static std::optional<QStringList> unescapePattern(QStringView quoted, QString *error,
                                                      qsizetype *errorOffset);
};

} // namespace Spool::Cedar
