#include "cli/cliapp.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>

namespace {

int runGui(QApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Spool: see and control everything your AI agent does."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption dataDir(QStringLiteral("data-dir"),
                                     QApplication::translate("main", "Journal folder."),
                                     QStringLiteral("DIR"));
    const QCommandLineOption configDir(QStringLiteral("config-dir"),
                                       QApplication::translate("main", "Settings folder."),
                                       QStringLiteral("DIR"));
    parser.addOptions({dataDir, configDir});
    parser.process(app);

    Spool::RuntimeConfig config = Spool::RuntimeConfig::load(parser.value(dataDir), parser.value(configDir));
    config.frontEnd = QStringLiteral("gui");
    Spool::EngineClient engine(config);
    Spool::MainWindow window(engine);
    QObject::connect(&engine, &Spool::EngineClient::startFailed, &window,
                     [&window](const Spool::Error &error) {
                         QMessageBox::critical(&window, QApplication::translate("main", "Spool cannot open its journal"),
                                               error.message);
                         QApplication::exit(3);
                     });
    engine.start();
    window.show();
    return app.exec();
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication::setApplicationName(QStringLiteral("spool"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SPOOL_VERSION));
    QCoreApplication::setOrganizationDomain(QStringLiteral("spool.local"));

    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));

    if (Spool::Cli::CliApp::wantsCommandLine(arguments)) {
        QCoreApplication app(argc, argv);
        return Spool::Cli::CliApp(arguments).exec();
    }
    QApplication app(argc, argv);
    QApplication::setApplicationDisplayName(QStringLiteral("Spool"));
    return runGui(app);
}
