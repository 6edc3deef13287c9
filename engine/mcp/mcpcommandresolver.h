#pragma once

#include "core/result.h"

#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace Spool {

// Finds a stdio server's command the way a terminal would, from a desktop session that has no
// login-shell PATH: the configured PATH first, then the environment's PATH, then the places
// node and python tools are usually installed (nvm, volta, fnm, asdf, npm's global prefix,
// ~/.local/bin, Homebrew, /usr/local/bin). When nothing matches, the error names the command and
// every folder searched, instead of the bare "spawn npx ENOENT" users complain about.
class McpCommandResolver
{
public:
    struct Resolved
    {
        QString program;   // absolute path
        QString childPath; // PATH for the child: the program's folder first (npx needs node)
    };

    McpCommandResolver(QStringList configuredPath = {},
                       QProcessEnvironment environment = QProcessEnvironment::systemEnvironment());

    // Every folder searched, in order, existing or not, without duplicates.
    QStringList searchFolders() const;
    Result<Resolved> resolve(const QString &command) const;

private:
    QStringList m_configuredPath;
    QProcessEnvironment m_environment;
};

} // namespace Spool
