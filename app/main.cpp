#include "cli/cliapp.h"
#include "gateway/gateway.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace {

// The window is a program of its own, next to this one in the build, in libexec once
// installed: `spool` with no command becomes it (same process id, same arguments).
int execWindow(char *argv[])
{
    const QFileInfo self(QFile::symLinkTarget(QStringLiteral("/proc/self/exe")));
    const QStringList candidates{
        self.dir().filePath(QStringLiteral("spool-window")),
        self.dir().filePath(QStringLiteral(SPOOL_WINDOW_FROM_BIN)),
    };
    for (const QString &path : candidates) {
        if (!QFileInfo(path).isExecutable())
            continue;
        const QByteArray file = QFile::encodeName(path);
        argv[0] = const_cast<char *>(file.constData());
        ::execv(file.constData(), argv);
        std::fprintf(stderr, "spool: cannot start the window (%s): %s\n", file.constData(),
                     std::strerror(errno));
        return Spool::Cli::ExitFailure;
    }
    std::fprintf(stderr, "spool: the window is not installed (looked for %s); commands work "
                         "without it: spool --help\n",
                 qPrintable(candidates.join(QStringLiteral(" and "))));
    return Spool::Cli::ExitFailure;
}

} // namespace

int main(int argc, char *argv[])
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    if (!Spool::Cli::CliApp::wantsCommandLine(arguments))
        return execWindow(argv);

    QCoreApplication::setApplicationName(QStringLiteral("spool"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SPOOL_VERSION));
    QCoreApplication::setOrganizationDomain(QStringLiteral("spool.local"));
    QCoreApplication app(argc, argv);
    return Spool::Cli::CliApp(arguments, &Spool::Gateway::create).exec();
}
