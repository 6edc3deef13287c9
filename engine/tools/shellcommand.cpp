#include "tools/shellcommand.h"

#include <QJsonArray>
#include <QSet>

#include <algorithm>

namespace Spool {

namespace {

const QSet<QString> &shellKeywords()
{
    static const QSet<QString> words{
        QStringLiteral("if"),     QStringLiteral("then"),  QStringLiteral("else"),
        QStringLiteral("elif"),   QStringLiteral("fi"),    QStringLiteral("for"),
        QStringLiteral("while"),  QStringLiteral("until"), QStringLiteral("do"),
        QStringLiteral("done"),   QStringLiteral("case"),  QStringLiteral("esac"),
        QStringLiteral("function"), QStringLiteral("select"), QStringLiteral("time"),
        QStringLiteral("coproc"), QStringLiteral("!"),     QStringLiteral("{"),
        QStringLiteral("}"),      QStringLiteral("[["),    QStringLiteral("]]"),
    };
    return words;
}

// First words whose job is to run other commands: allowing them allows anything.
const QSet<QString> &commandRunners()
{
    static const QSet<QString> words{
        QStringLiteral("sh"),      QStringLiteral("bash"),   QStringLiteral("dash"),
        QStringLiteral("zsh"),     QStringLiteral("ksh"),    QStringLiteral("fish"),
        QStringLiteral("env"),     QStringLiteral("exec"),   QStringLiteral("eval"),
        QStringLiteral("command"), QStringLiteral("builtin"), QStringLiteral("source"),
        QStringLiteral("."),       QStringLiteral("xargs"),  QStringLiteral("sudo"),
        QStringLiteral("doas"),    QStringLiteral("su"),     QStringLiteral("nohup"),
        QStringLiteral("nice"),    QStringLiteral("ionice"), QStringLiteral("timeout"),
        QStringLiteral("stdbuf"),  QStringLiteral("setsid"), QStringLiteral("chroot"),
        QStringLiteral("unshare"), QStringLiteral("nsenter"), QStringLiteral("strace"),
        QStringLiteral("watch"),   QStringLiteral("parallel"), QStringLiteral("flock"),
        QStringLiteral("python"),  QStringLiteral("python3"), QStringLiteral("perl"),
        QStringLiteral("ruby"),    QStringLiteral("node"),   QStringLiteral("awk"),
        QStringLiteral("find"),    QStringLiteral("make"),   QStringLiteral("git"),
    };
    return words;
}

bool isNameChar(QChar c)
{
    return c.isLetterOrNumber() || c == QLatin1Char('_');
}

} // namespace

QJsonObject ShellCommandFacts::toJson() const
{
    return QJsonObject{
        {QStringLiteral("argv0"), argv0},
        {QStringLiteral("is_compound"), isCompound},
        {QStringLiteral("runs_other_commands"), runsOtherCommands},
        {QStringLiteral("compound_reasons"), QJsonArray::fromStringList(reasons)},
    };
}

ShellCommandFacts ShellCommandFacts::analyze(const QString &command)
{
    ShellCommandFacts facts;
    QSet<QString> reasons;
    auto flag = [&reasons](const QString &why) { reasons.insert(why); };

    // One pass over the text with the quoting state a POSIX shell keeps. Words are split on
    // unquoted blanks; only the first word is kept, in its raw (unexpanded) spelling.
    enum class Quote { None, Single, Double };
    Quote quote = Quote::None;
    QString firstWord;
    bool firstWordDone = false;
    bool firstWordQuoted = false;
    bool inWord = false;
    const qsizetype n = command.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = command.at(i);
        const QChar next = i + 1 < n ? command.at(i + 1) : QChar();
        if (quote == Quote::Single) {
            if (c == QLatin1Char('\''))
                quote = Quote::None;
            else if (!firstWordDone && inWord)
                firstWord.append(c);
            continue;
        }
        if (c == QLatin1Char('\n') || c == QLatin1Char('\r'))
            flag(QStringLiteral("newline"));
        if (c == QLatin1Char('`'))
            flag(QStringLiteral("backtick command substitution"));
        if (c == QLatin1Char('$') && (next == QLatin1Char('(') || next == QLatin1Char('{')))
            flag(next == QLatin1Char('(') ? QStringLiteral("$( ) command substitution")
                                          : QStringLiteral("${ } parameter expansion"));
        if (quote == Quote::Double) {
            if (c == QLatin1Char('\\') && i + 1 < n) {
                if (!firstWordDone && inWord)
                    firstWord.append(next);
                ++i;
            } else if (c == QLatin1Char('"')) {
                quote = Quote::None;
            } else if (!firstWordDone && inWord) {
                firstWord.append(c);
            }
            continue;
        }
        // Unquoted.
        if (c == QLatin1Char('\\')) {
            if (i + 1 < n) {
                if (next == QLatin1Char('\n'))
                    flag(QStringLiteral("newline"));
                if (!firstWordDone) {
                    inWord = true;
                    firstWordQuoted = true;
                    firstWord.append(next);
                }
                ++i;
            }
            continue;
        }
        if (c == QLatin1Char(';'))
            flag(QStringLiteral("; sequence"));
        else if (c == QLatin1Char('&'))
            flag(next == QLatin1Char('&') ? QStringLiteral("&& sequence")
                                          : QStringLiteral("& background"));
        else if (c == QLatin1Char('|'))
            flag(next == QLatin1Char('|') ? QStringLiteral("|| sequence") : QStringLiteral("| pipe"));
        else if (c == QLatin1Char('<') || c == QLatin1Char('>'))
            flag(next == QLatin1Char('(') ? QStringLiteral("process substitution")
                                          : QStringLiteral("redirection"));
        else if (c == QLatin1Char('(') || c == QLatin1Char(')'))
            flag(QStringLiteral("subshell"));
        else if (c == QLatin1Char('#') && !inWord)
            flag(QStringLiteral("comment")); // hides the rest of the line from a reader

        const bool blank = c == QLatin1Char(' ') || c == QLatin1Char('\t') || c == QLatin1Char('\n')
                || c == QLatin1Char('\r');
        const bool operatorChar = QStringLiteral(";&|<>()").contains(c);
        if (blank || operatorChar) {
            if (inWord && !firstWordDone)
                firstWordDone = true;
            inWord = false;
            continue;
        }
        if (c == QLatin1Char('\'')) {
            quote = Quote::Single;
            if (!firstWordDone) {
                inWord = true;
                firstWordQuoted = true;
            }
            continue;
        }
        if (c == QLatin1Char('"')) {
            quote = Quote::Double;
            if (!firstWordDone) {
                inWord = true;
                firstWordQuoted = true;
            }
            continue;
        }
        if (!firstWordDone) {
            inWord = true;
            firstWord.append(c);
        }
    }
    if (quote != Quote::None)
        flag(QStringLiteral("unbalanced quotes"));

    if (firstWord.isEmpty()) {
        flag(QStringLiteral("no command"));
    } else {
        if (firstWordQuoted)
            flag(QStringLiteral("quoted command name"));
        // NAME=value before the command changes what the command does (LD_PRELOAD=..., PAGER=...).
        const qsizetype eq = firstWord.indexOf(QLatin1Char('='));
        if (eq > 0 && std::all_of(firstWord.cbegin(), firstWord.cbegin() + eq, isNameChar))
            flag(QStringLiteral("variable assignment"));
        for (QChar c : std::as_const(firstWord)) {
            if (QStringLiteral("$*?[~{").contains(c)) {
                flag(QStringLiteral("command name is expanded by the shell"));
                break;
            }
        }
        if (shellKeywords().contains(firstWord))
            flag(QStringLiteral("shell keyword"));
    }

    facts.argv0 = firstWord;
    facts.reasons = QStringList(reasons.cbegin(), reasons.cend());
    facts.reasons.sort();
    facts.isCompound = !facts.reasons.isEmpty();
    // "/usr/bin/env" runs things just like "env".
    const QString base = firstWord.mid(firstWord.lastIndexOf(QLatin1Char('/')) + 1);
    facts.runsOtherCommands = commandRunners().contains(base)
            || base.startsWith(QLatin1String("python")) || base.startsWith(QLatin1String("perl"));
    return facts;
}

bool isCompoundCommand(const QString &command)
{
    return ShellCommandFacts::analyze(command).isCompound;
}

} // namespace Spool
