#include "apptheme.h"
#include "cli/exitcode.h"
#include "client/engineclient.h"
#include "gateway/gateway.h"
#include "mainwindow.h"
#include "screenshots.h"
#include "singleinstance.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>

#include <memory>

namespace {

// Starts the engine before the window exists, so a journal that cannot be used is dealt with
// first: the user is told, with the path, and may move it aside (renamed, never modified or
// deleted) to start with a fresh one.
std::unique_ptr<Spool::EngineClient> startEngine(const Spool::RuntimeConfig &config)
{
    while (true) {
        auto engine = std::make_unique<Spool::EngineClient>(config, &Spool::Gateway::create);
        std::optional<Spool::Error> failure;
        QEventLoop loop;
        QObject::connect(engine.get(), &Spool::EngineClient::ready, &loop, &QEventLoop::quit);
        QObject::connect(engine.get(), &Spool::EngineClient::startFailed, &loop,
                         [&](const Spool::Error &e) {
                             failure = e;
                             loop.quit();
                         });
        engine->start();
        loop.exec();
        if (!failure)
            return engine;

        QMessageBox box(QMessageBox::Critical, QApplication::translate("main", "Spool cannot open its journal"),
                        failure->message, QMessageBox::NoButton);
        QPushButton *moveAside = nullptr;
        const bool fileProblem = failure->code == Spool::ErrorCode::JournalCorrupt
                || failure->code == Spool::ErrorCode::JournalNotSqlite;
        if (fileProblem)
            moveAside = box.addButton(QApplication::translate("main", "Move it aside and start a new journal"),
                                      QMessageBox::DestructiveRole);
        box.addButton(QMessageBox::Close);
        box.exec();
        if (!moveAside || box.clickedButton() != moveAside)
            return nullptr;
        const QString suffix = QStringLiteral(".unusable-") + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
        const QString path = config.journalPath();
        for (const QString &part : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")}) {
            if (QFile::exists(path + part))
                QFile::rename(path + part, path + suffix + part);
        }
        engine.reset();
    }
}

int runGui(QApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Spool: see and control everything your AI agent does."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption dataDir(QStringLiteral("data-dir"), QApplication::translate("main", "Journal folder."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption configDir(QStringLiteral("config-dir"), QApplication::translate("main", "Settings folder."),
                                       QStringLiteral("DIR"));
    QCommandLineOption screenshots(QStringLiteral("screenshots"),
                                         QApplication::translate("main", "Write screenshots of the main views to DIR, then quit."),
                                         QStringLiteral("DIR"));
    screenshots.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOptions({dataDir, configDir, screenshots});
    parser.process(app);

    Spool::RuntimeConfig config = Spool::RuntimeConfig::load(parser.value(dataDir), parser.value(configDir));
    config.frontEnd = QStringLiteral("gui");

    Spool::SingleInstance instance(config.dataDir);
    if (!parser.isSet(screenshots)) {
        if (instance.notifyRunning())
            return 0; // the running window came to the front
        instance.listen();
    }

    QSettings settings(config.settingsPath(), QSettings::IniFormat);
    Spool::AppTheme::apply(settings.value(QStringLiteral("gui/theme"), QStringLiteral("system")).toString());

    std::unique_ptr<Spool::EngineClient> engine = startEngine(config);
    if (!engine)
        return Spool::Cli::ExitJournal;
    Spool::MainWindow window(*engine);
    QObject::connect(&instance, &Spool::SingleInstance::raiseRequested, &window, &Spool::MainWindow::bringToFront);
    window.show();
    if (parser.isSet(screenshots))
        Spool::takeScreenshots(window, *engine, parser.value(screenshots));
    return app.exec();
}

} // namespace

// The window: what `spool` runs when it is given no command (it execs this program), so that
// the command line never loads the GUI libraries.
int main(int argc, char *argv[])
{
    QCoreApplication::setApplicationName(QStringLiteral("spool"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SPOOL_VERSION));
    QCoreApplication::setOrganizationDomain(QStringLiteral("spool.local"));
    QApplication app(argc, argv);
    QApplication::setApplicationDisplayName(QStringLiteral("Spool"));
    // The installed desktop file's name, so the desktop matches the window to its entry and icon.
    QApplication::setDesktopFileName(QStringLiteral(SPOOL_APP_ID));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/spool.svg")));
    return runGui(app);
}
