#include "mcp/mcpcommandresolver.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

namespace Spool {

McpCommandResolver::McpCommandResolver(QStringList configuredPath, QProcessEnvironment environment)
    : m_configuredPath(std::move(configuredPath)), m_environment(std::move(environment))
{
}

namespace {

// nvm and fnm keep one folder per node version; the newest version is the likeliest intent.
QStringList versionFolders(const QString &root, const QString &suffix)
{
    QDir dir(root);
    QStringList versions = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    // "v20.11.1" > "v9.0.0": compare the numbers, not the text.
    auto numbers = [](const QString &v) {
        QList<int> out;
        for (const QString &part : v.mid(v.startsWith(QLatin1Char('v')) ? 1 : 0).split(QLatin1Char('.')))
            out.append(part.toInt());
        return out;
    };
    std::sort(versions.begin(), versions.end(),
              [&numbers](const QString &a, const QString &b) { return numbers(a) > numbers(b); });
    QStringList out;
    for (const QString &v : versions)
        out.append(dir.filePath(v) + suffix);
    return out;
}

} // namespace

QStringList McpCommandResolver::searchFolders() const
{
    QStringList folders;
    auto add = [&folders](const QString &f) {
        const QString clean = QDir::cleanPath(f);
        if (!f.isEmpty() && !folders.contains(clean))
            folders.append(clean);
    };
    for (const QString &entry : m_configuredPath)
        for (const QString &f : entry.split(QLatin1Char(':'), Qt::SkipEmptyParts))
            add(f);
    for (const QString &f : m_environment.value(QStringLiteral("PATH")).split(QLatin1Char(':'), Qt::SkipEmptyParts))
        add(f);
    const QString home = m_environment.value(QStringLiteral("HOME"), QDir::homePath());
    const QString nvmDir = m_environment.value(QStringLiteral("NVM_DIR"), home + QStringLiteral("/.nvm"));
    for (const QString &f : versionFolders(nvmDir + QStringLiteral("/versions/node"), QStringLiteral("/bin")))
        add(f);
    add(home + QStringLiteral("/.volta/bin"));
    for (const QString &f : versionFolders(home + QStringLiteral("/.local/share/fnm/node-versions"),
                                           QStringLiteral("/installation/bin")))
        add(f);
    add(home + QStringLiteral("/.asdf/shims"));
    add(home + QStringLiteral("/.npm-global/bin"));
    add(home + QStringLiteral("/.local/bin"));
    add(home + QStringLiteral("/.bun/bin"));
    add(home + QStringLiteral("/.deno/bin"));
    add(home + QStringLiteral("/.cargo/bin"));
    add(home + QStringLiteral("/.pyenv/shims"));
    add(QStringLiteral("/opt/homebrew/bin"));
    add(QStringLiteral("/usr/local/bin"));
    add(QStringLiteral("/usr/bin"));
    add(QStringLiteral("/bin"));
    return folders;
}

Result<McpCommandResolver::Resolved> McpCommandResolver::resolve(const QString &command) const
{
    if (command.trimmed().isEmpty())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("the server has no command"));
    const QStringList folders = searchFolders();
    auto childPathFor = [&folders](const QString &program) {
        QStringList path{QFileInfo(program).absolutePath()};
        for (const QString &f : folders)
            if (!path.contains(f))
                path.append(f);
        return path.join(QLatin1Char(':'));
    };
    if (command.contains(QLatin1Char('/'))) {
        const QFileInfo info(command);
        if (info.isFile() && info.isExecutable())
            return Resolved{info.absoluteFilePath(), childPathFor(info.absoluteFilePath())};
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("the server command %1 %2")
                             .arg(command, info.exists() ? QStringLiteral("is not executable")
                                                         : QStringLiteral("does not exist")));
    }
    for (const QString &folder : folders) {
        const QFileInfo info(QDir(folder).filePath(command));
        if (info.isFile() && info.isExecutable())
            return Resolved{info.absoluteFilePath(), childPathFor(info.absoluteFilePath())};
    }
    return makeError(ErrorCode::NotFound,
                     QStringLiteral("the server command \"%1\" was not found. Searched: %2. "
                                    "Install it, give its full path, or add its folder to the "
                                    "MCP PATH setting.")
                         .arg(command, folders.join(QStringLiteral(", "))));
}

} // namespace Spool
