#include "engineanswer.h"
#include "testsupport.h"

#include "client/engineclient.h"
#include "composer.h"
#include "mainwindow.h"
#include "runs/runinfo.h"
#include "sessionbar.h"
#include "sessionheader.h"
#include "settingsdialog.h"
#include "transcriptview.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QScreen>
#include <QScopeGuard>
#include <QScrollBar>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryFile>
#include <QTest>
#include <QToolButton>

#include <optional>

using namespace Spool;
using namespace Spool::Test;

// The window on a screen of a given size (SPOOL_TEST_SCREEN, e.g. 1366x768; ctest runs this
// suite once per size): it opens inside the screen's available area, restores a saved place
// only if that fits, never grows when content loads, keeps the session header's pickers whole,
// and Settings shows every page name in full.
class tst_WindowFit : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void opensWithinTheAvailableGeometry();
    void restoresASavedPlaceOnlyIfItFits_data();
    void restoresASavedPlaceOnlyIfItFits();
    void doesNotGrowWhenALongSessionIsShown();
    void settingsShowsEveryPageNameInFull_data();
    void settingsShowsEveryPageNameInFull();

private:
    void startEngine();
    void openWindow();
    QRect available() const;
    // Runs `work` on the engine thread and waits for its answer.
    template<typename Work>
    auto ask(Work work) -> std::optional<std::invoke_result_t<Work, Engine &>>;

    std::unique_ptr<TempEnvironment> m_env;
    std::unique_ptr<EngineClient> m_engine;
    std::unique_ptr<MainWindow> m_window;
};

template<typename Work>
auto tst_WindowFit::ask(Work work) -> std::optional<std::invoke_result_t<Work, Engine &>>
{
    return Test::engineAnswer(*m_engine, std::move(work));
}

void tst_WindowFit::init()
{
    m_env = std::make_unique<TempEnvironment>();
}

void tst_WindowFit::cleanup()
{
    m_window.reset();
    m_engine.reset();
    m_env.reset();
}

QRect tst_WindowFit::available() const
{
    return QGuiApplication::primaryScreen()->availableGeometry();
}

void tst_WindowFit::startEngine()
{
    m_env->config.frontEnd = QStringLiteral("gui");
    m_engine = std::make_unique<EngineClient>(m_env->config, &Gateway::create);
    QSignalSpy ready(m_engine.get(), &EngineClient::ready);
    m_engine->start();
    QVERIFY(ready.wait(5000));
}

void tst_WindowFit::openWindow()
{
    m_window = std::make_unique<MainWindow>(*m_engine);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    // Once shown, with its frame known, the whole window is on the screen.
    QTRY_VERIFY2(available().contains(m_window->frameGeometry()),
                 qPrintable(QStringLiteral("frame %1,%2 %3x%4 on %5x%6")
                                    .arg(m_window->frameGeometry().x())
                                    .arg(m_window->frameGeometry().y())
                                    .arg(m_window->frameGeometry().width())
                                    .arg(m_window->frameGeometry().height())
                                    .arg(available().width())
                                    .arg(available().height())));
}

void tst_WindowFit::opensWithinTheAvailableGeometry()
{
    startEngine();
    openWindow();
    const QRect frame = m_window->frameGeometry();
    qInfo("screen %dx%d: window frame %d,%d %dx%d", available().width(), available().height(),
          frame.x(), frame.y(), frame.width(), frame.height());
    // The status bar, and the approvals badge in it, are on the screen.
    QStatusBar *status = m_window->statusBar();
    const QRect statusOnScreen(status->mapToGlobal(QPoint(0, 0)), status->size());
    QVERIFY(available().contains(statusOnScreen));
    // It uses the room there is: a small screen gets most of it.
    QVERIFY(frame.width() >= qMin(available().width() - 64, 1400));
    QVERIFY(frame.height() >= qMin(available().height() - 96, 860));
}

void tst_WindowFit::restoresASavedPlaceOnlyIfItFits_data()
{
    QTest::addColumn<QRect>("saved");
    QTest::addColumn<bool>("fits");
    const QRect room = available();
    QTest::newRow("fits") << QRect(room.x() + 40, room.y() + 60, 900, 560) << true;
    QTest::newRow("from a larger monitor")
            << QRect(room.x() + 100, room.y() + 80, room.width() + 300, room.height() + 200) << false;
    QTest::newRow("off the right edge")
            << QRect(room.right() - 200, room.y() + 40, 900, 560) << false;
}

void tst_WindowFit::restoresASavedPlaceOnlyIfItFits()
{
    QFETCH(QRect, saved);
    QFETCH(bool, fits);
    startEngine();
    {
        // An earlier window, closed where it was (on a larger monitor, say).
        MainWindow earlier(*m_engine);
        earlier.show();
        QVERIFY(QTest::qWaitForWindowExposed(&earlier));
        earlier.setGeometry(saved);
        QTRY_COMPARE(earlier.geometry(), saved);
        QVERIFY(earlier.close());
    }
    openWindow();
    const QRect frame = m_window->frameGeometry();
    const QRect client = m_window->geometry();
    const QMargins margins(client.left() - frame.left(), client.top() - frame.top(),
                           frame.right() - client.right(), frame.bottom() - client.bottom());
    if (fits)
        QCOMPARE(m_window->geometry(), saved);
    else
        QCOMPARE(m_window->size(), MainWindow::defaultSize(available().size().shrunkBy(margins)));
}

void tst_WindowFit::doesNotGrowWhenALongSessionIsShown()
{
    startEngine();
    // A session with everything long: its title, its model, its folder, and its messages (an
    // unbreakable word, a wide table).
    const QString title = QStringLiteral("A session whose title goes on and on ").repeated(5).trimmed(); // 184 of the 200 allowed
    const QString model = QStringLiteral("an-extraordinarily-long-model-name-for-a-fine-tuned-variant-")
                                  .repeated(2) + QStringLiteral("2024-07-18");
    const QString folder = QDir(m_env->dir.path()).filePath(
            QStringLiteral("a-workspace-folder-whose-name-is-much-longer-than-any-window-wants"));
    QVERIFY(QDir().mkpath(folder));
    auto created = ask([](Engine &g) { return g.sessions().resolve({QString(), QStringLiteral("long")}, true); });
    QVERIFY(created && *created);
    const QString id = (*created)->session.id;
    QVERIFY(*ask([id, title](Engine &g) { return g.sessions().rename(id, title); }));
    QVERIFY(*ask([id, model](Engine &g) { return g.sessions().setModel(id, model); }));
    QVERIFY(*ask([id, folder](Engine &g) { return g.sessions().setWorkspace(id, folder); }));
    QSignalSpy runs(m_engine.get(), &EngineClient::runUpdated);
    RunRequest request;
    request.session.id = id;
    request.createSession = false;
    request.source = QStringLiteral("test");
    request.text = QStringLiteral("x").repeated(1500) + QStringLiteral("\n\n| ")
            + QStringLiteral("column with a long heading | ").repeated(12) + QStringLiteral("\n|")
            + QStringLiteral("---|").repeated(12) + QStringLiteral("\n");
    QVERIFY(*ask([request](Engine &g) { return g.startRun(request); }));
    QTRY_VERIFY_WITH_TIMEOUT(!runs.isEmpty() && runs.last().at(0).value<RunInfo>().isTerminal(), 10000);

    openWindow();
    const QRect before = m_window->geometry();
    m_window->selectSession(id);
    // Everything the session shows has arrived.
    QTRY_COMPARE(m_window->sessionTitle()->text(), title);
    QTRY_VERIFY(m_window->sessionBar()->workspaceButton()->toolTip().contains(folder));
    QTRY_COMPARE(m_window->sessionBar()->modelPicker()->currentText(), model);
    QTRY_VERIFY(m_window->transcript()->plainTranscript().contains(QStringLiteral("x").repeated(200)));
    // Let every layout that the new content asked for run (each can ask its parent's).
    for (int round = 0; round < 4; ++round) {
        QCoreApplication::sendPostedEvents(nullptr, QEvent::LayoutRequest);
        QCoreApplication::processEvents();
    }

    const QRect after = m_window->geometry();
    qInfo("screen %dx%d: before %dx%d, after the long session %dx%d (header %s)", available().width(),
          available().height(), before.width(), before.height(), after.width(), after.height(),
          m_window->sessionHeader()->isStacked() ? "stacked" : "in one row");
    QCOMPARE(after, before);
    QVERIFY(available().contains(m_window->frameGeometry()));
    // Nothing asks for more room than the window has (the window only stays put because its
    // content fits, not because it is held).
    QWidget *central = m_window->centralWidget();
    if (central->minimumSizeHint().width() > central->width()) {
        // Say which widgets ask for more than they have, to find the culprit.
        QStringList wide;
        for (QWidget *w : central->findChildren<QWidget *>()) {
            if (w->isVisibleTo(central) && w->minimumSizeHint().width() > w->width())
                wide.append(QStringLiteral("%1 '%2' needs %3, has %4")
                                    .arg(QString::fromLatin1(w->metaObject()->className()), w->accessibleName())
                                    .arg(w->minimumSizeHint().width())
                                    .arg(w->width()));
        }
        QFAIL(qPrintable(QStringLiteral("the content needs %1 px, the window has %2: %3")
                                 .arg(central->minimumSizeHint().width())
                                 .arg(central->width())
                                 .arg(wide.join(QStringLiteral("; ")))));
    }
    QVERIFY(m_window->statusBar()->minimumSizeHint().width() <= m_window->width());

    // The session header's pickers are whole and inside the window.
    SessionBar *bar = m_window->sessionBar();
    for (QWidget *w : {static_cast<QWidget *>(bar->workspaceButton()), static_cast<QWidget *>(bar->modelPicker()),
                       static_cast<QWidget *>(bar->usageLabel())}) {
        const QRect inWindow(w->mapTo(m_window.get(), QPoint(0, 0)), w->size());
        QVERIFY2(w->isVisible(), w->accessibleName().toUtf8());
        QVERIFY2(m_window->rect().contains(inWindow), w->accessibleName().toUtf8());
        // A widget's minimum is the one it sets, or else its minimum size hint.
        const int minimum = w->minimumWidth() > 0 ? w->minimumWidth() : w->minimumSizeHint().width();
        QVERIFY2(w->width() >= minimum,
                 qPrintable(QStringLiteral("%1: %2 < %3").arg(w->accessibleName()).arg(w->width()).arg(minimum)));
    }
    // The title keeps room for a few words (the bar goes under it when the window is narrow).
    QVERIFY2(m_window->sessionTitle()->width()
                     >= 20 * m_window->sessionTitle()->fontMetrics().horizontalAdvance(QLatin1Char('x')),
             qPrintable(QString::number(m_window->sessionTitle()->width())));
    // The model picker still shows a useful part of the name.
    QVERIFY(bar->modelPicker()->width() >= bar->modelPicker()->fontMetrics().horizontalAdvance(QStringLiteral("x")) * 14);
    // The composer and its button are whole too.
    const QRect composer(m_window->composer()->mapTo(m_window.get(), QPoint(0, 0)), m_window->composer()->size());
    QVERIFY(m_window->rect().contains(composer));
}

void tst_WindowFit::settingsShowsEveryPageNameInFull_data()
{
    QTest::addColumn<qreal>("scale");
    QTest::newRow("the default font") << 1.0;
    // A desktop with larger text (where the names were cut short: "Determinis\u2026").
    QTest::newRow("a font half as large again") << 1.5;
}

void tst_WindowFit::settingsShowsEveryPageNameInFull()
{
    QFETCH(qreal, scale);
    const QFont appFont = QApplication::font();
    const auto restoreFont = qScopeGuard([appFont] { QApplication::setFont(appFont); });
    QFont font = appFont;
    font.setPointSizeF(font.pointSizeF() * scale);
    QApplication::setFont(font);
    startEngine();
    openWindow();
    m_window->showSettings();
    SettingsDialog *settings = nullptr;
    QTRY_VERIFY((settings = m_window->findChild<SettingsDialog *>()));
    QVERIFY(QTest::qWaitForWindowExposed(settings));
    const QRect frame = settings->frameGeometry();
    QVERIFY2(available().contains(frame), qPrintable(QStringLiteral("Settings at %1,%2 %3x%4 (needs %5x%6)")
                                                            .arg(frame.x()).arg(frame.y())
                                                            .arg(frame.width()).arg(frame.height())
                                                            .arg(settings->minimumSizeHint().width())
                                                            .arg(settings->minimumSizeHint().height())));
    QListWidget *pages = settings->pageList();
    QVERIFY(pages->count() >= 6);
    QVERIFY(!pages->horizontalScrollBar()->isVisible());
    for (int i = 0; i < pages->count(); ++i) {
        QListWidgetItem *item = pages->item(i);
        const QRect cell = pages->visualItemRect(item);
        const int textWidth = pages->fontMetrics().horizontalAdvance(item->text());
        QVERIFY2(pages->viewport()->rect().contains(cell),
                 qPrintable(item->text()));
        QVERIFY2(textWidth < cell.width() - 4,
                 qPrintable(QStringLiteral("%1: %2 px of text in %3 px").arg(item->text()).arg(textWidth).arg(cell.width())));
    }
}

// The screen comes from SPOOL_TEST_SCREEN through the offscreen platform's configuration file.
int main(int argc, char *argv[])
{
    const QByteArray size = qEnvironmentVariableIsSet("SPOOL_TEST_SCREEN") ? qgetenv("SPOOL_TEST_SCREEN")
                                                                           : QByteArray("1366x768");
    const QList<QByteArray> wh = size.split('x');
    if (wh.size() != 2)
        qFatal("SPOOL_TEST_SCREEN must be WIDTHxHEIGHT, not %s", size.constData());
    QTemporaryFile config(QDir::tempPath() + QStringLiteral("/spool-screen-XXXXXX.json"));
    if (!config.open())
        qFatal("cannot write the screen configuration");
    const QJsonObject screen{{QStringLiteral("name"), QStringLiteral("test")},
                             {QStringLiteral("x"), 0},
                             {QStringLiteral("y"), 0},
                             {QStringLiteral("width"), wh.at(0).toInt()},
                             {QStringLiteral("height"), wh.at(1).toInt()},
                             {QStringLiteral("logicalDpi"), 96}};
    config.write(QJsonDocument(QJsonObject{{QStringLiteral("screens"), QJsonArray{screen}}}).toJson());
    config.flush();
    QByteArray platform = "offscreen:configfile=" + config.fileName().toLocal8Bit();
    QByteArray platformFlag = "-platform";
    std::vector<char *> args(argv, argv + argc);
    args.push_back(platformFlag.data());
    args.push_back(platform.data());
    int count = int(args.size());
    args.push_back(nullptr);
    QApplication app(count, args.data());
    tst_WindowFit test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, count, args.data());
}

#include "tst_windowfit.moc"
