#include "screenshots.h"

#include "apptheme.h"
#include "approvallistmodel.h"
#include "client/engineclient.h"
#include "mainwindow.h"
#include "pendingapprovalsdialog.h"
#include "runlistmodel.h"
#include "runpanel.h"
#include "sessionlistmodel.h"
#include "tapeinspector.h"
#include "tapemodel.h"

#include <QApplication>
#include <QDialog>
#include <QDir>
#include <QGuiApplication>
#include <QPushButton>
#include <QScreen>
#include <QTableView>
#include <QTimer>
#include <QWindow>

#include <functional>
#include <memory>

namespace Spool {

namespace {

// Steps run one after another, each after its delay, so the window can load and paint.
struct Script
{
    QList<std::pair<int, std::function<void()>>> steps;
    int next = 0;

    void then(int delayMs, std::function<void()> step) { steps.append({delayMs, std::move(step)}); }
    void run(const std::shared_ptr<Script> &self)
    {
        if (next >= steps.size())
            return;
        auto [delay, step] = steps.at(next++);
        QTimer::singleShot(delay, qApp, [self, step] {
            step();
            self->run(self);
        });
    }
};

void save(const QPixmap &pixmap, const QString &path)
{
    if (!pixmap.save(path))
        qWarning("cannot write %s", qPrintable(path));
}

// The whole screen, so dialogs are shown over the window as a user sees them.
void grabScreen(const QString &path)
{
    if (QScreen *screen = QGuiApplication::primaryScreen())
        save(screen->grabWindow(0), path);
}

void closeDialogs()
{
    for (QWidget *w : QApplication::topLevelWidgets()) {
        if (auto *d = qobject_cast<QDialog *>(w); d && d->isVisible())
            d->close();
    }
}

} // namespace

void takeScreenshots(MainWindow &window, EngineClient &engine, const QString &dir)
{
    Q_UNUSED(engine);
    QDir().mkpath(dir);
    // The window stays where it opened: the pictures show how it fits the screen it is on.
    auto script = std::make_shared<Script>();
    auto select = [&window](const QString &key) {
        SessionListModel *sessions = window.sessions();
        for (int i = 0; i < sessions->rowCount(); ++i) {
            if (sessions->rowAt(i).key == key) {
                window.selectSession(sessions->rowAt(i).id);
                return;
            }
        }
        if (sessions->rowCount() > 0)
            window.selectSession(sessions->rowAt(0).id);
    };
    script->then(1500, [select] { select(QStringLiteral("tour")); });
    script->then(1200, [&window] {
        // Show the run with tool calls, and an interesting event in the inspector.
        RunPanel *panel = window.runPanel();
        RunListModel *runs = panel->runs();
        for (int i = 0; i < runs->rowCount(); ++i) {
            if (runs->rowAt(i).inputPreview.contains(QLatin1String("[[tool"))) {
                panel->selectRun(runs->rowAt(i).id);
                break;
            }
        }
    });
    script->then(900, [&window] {
        TapeInspector *tape = window.runPanel()->tape();
        TapeModel *model = tape->model();
        for (int row = 0; row < model->rowCount(); ++row) {
            if (model->index(row, TapeModel::KindColumn).data().toString() == QLatin1String("tool.output")) {
                tape->table()->selectRow(row);
                break;
            }
        }
    });
    script->then(900, [&window, dir] { save(window.grab(), dir + QStringLiteral("/main.png")); });
    script->then(100, [&window] {
        window.send(QStringLiteral("Please save a note for me. [[tool echo {\"text\": \"Remember: the tape never forgets.\"}]]"));
    });
    script->then(1500, [dir] { grabScreen(dir + QStringLiteral("/approval.png")); });
    // Leave that request waiting, and ask another from a second session: the badge counts
    // both, and the list behind it shows both.
    script->then(100, [select] {
        closeDialogs();
        select(QStringLiteral("notes"));
    });
    script->then(1200, [&window] {
        window.send(QStringLiteral("Add this to the notes. [[tool echo {\"text\": \"The list behind the badge shows every request.\"}]]"));
    });
    script->then(1500, [] { closeDialogs(); });
    script->then(900, [dir] { grabScreen(dir + QStringLiteral("/screen.png")); });
    script->then(100, [&window] { window.showPendingApprovals(); });
    script->then(1200, [dir] { grabScreen(dir + QStringLiteral("/pending-approvals.png")); });
    script->then(100, [&window] {
        // Answer both from the list so the runs end before the next views.
        if (PendingApprovalsDialog *list = window.pendingApprovalsList()) {
            list->table()->selectAll();
            list->allowOnceButton()->click();
        }
    });
    script->then(1500, [select] {
        closeDialogs();
        select(QStringLiteral("tour"));
    });
    // A branch of a conversation with a picture: the parent's run, the thumbnail, where the
    // branch starts.
    script->then(100, [&window] {
        SessionListModel *sessions = window.sessions();
        for (int i = 0; i < sessions->rowCount(); ++i) {
            if (sessions->rowAt(i).isFork()) {
                window.selectSession(sessions->rowAt(i).id);
                return;
            }
        }
    });
    script->then(1500, [&window, dir] { save(window.grab(), dir + QStringLiteral("/branch.png")); });
    // What the agent remembers, and which memories a run used.
    script->then(100, [select] { select(QStringLiteral("deploys")); });
    script->then(1200, [&window, dir] { save(window.grab(), dir + QStringLiteral("/memory-used.png")); });
    script->then(100, [&window] { window.showMemory(); });
    script->then(1200, [dir] { grabScreen(dir + QStringLiteral("/memory.png")); });
    script->then(100, [select] {
        closeDialogs();
        select(QStringLiteral("tour"));
    });
    script->then(900, [&window] { window.showOperations(); });
    script->then(1200, [dir] { grabScreen(dir + QStringLiteral("/operations.png")); });
    script->then(100, [&window] {
        closeDialogs();
        window.showSettings();
    });
    script->then(900, [dir] { grabScreen(dir + QStringLiteral("/settings.png")); });
    script->then(100, [&window] {
        closeDialogs();
        window.showSettings(QObject::tr("MCP servers"));
    });
    script->then(1500, [dir] { grabScreen(dir + QStringLiteral("/mcp-servers.png")); });
    script->then(100, [] {
        closeDialogs();
        AppTheme::apply(QStringLiteral("dark"));
    });
    script->then(1200, [&window, dir] { save(window.grab(), dir + QStringLiteral("/main-dark.png")); });
    script->then(100, [] { QApplication::quit(); });
    script->run(script);
}

} // namespace Spool
