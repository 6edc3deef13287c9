// Opening a 100,000-event run in the tape inspector (SPEC §10: under 200 ms, because it pages
// with fetchMore) and the window's resident memory with that run open, scrolled to the end
// (under 150 MB). Real engine thread and journal; offscreen platform. One JSON object per line.
#include "client/engineclient.h"
#include "gateway/gateway.h"
#include "journal/journalstore.h"
#include "mainwindow.h"
#include "runpanel.h"
#include "runs/runstore.h"
#include "sessions/sessionstore.h"
#include "tapeinspector.h"
#include "tapemodel.h"
#include "core/datapaths.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>

using namespace Spool;

namespace {

double residentMb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toDouble() / 1024.0;
    }
    return -1;
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    const int events = argc > 1 ? std::atoi(argv[1]) : 100000;

    QTemporaryDir dir;
    RuntimeConfig config;
    config.dataDir = dir.filePath(QStringLiteral("data"));
    config.configDir = dir.filePath(QStringLiteral("config"));
    config.principal = QStringLiteral("bench");
    config.deviceId = QStringLiteral("bench");
    config.frontEnd = QStringLiteral("gui");

    // The run: events shaped like a real long run (tool calls and outputs with payloads).
    QString runId;
    QString sessionId;
    {
        if (!DataPaths::ensurePrivateDir(config.dataDir))
            return 1;
        JournalStore journal;
        journal.setDurability(JournalStore::Durability::Normal);
        if (!journal.open(config.journalPath(), QStringLiteral("setup")))
            return 1;
        SessionStore sessions(journal);
        auto s = sessions.create(QStringLiteral("long"), config.principal, config.deviceId, QStringLiteral("default"));
        sessionId = s->id;
        RunStore runs(journal);
        auto r = runs.create(NewRun{s->id, QStringLiteral("default"), QStringLiteral("deterministic"), QStringLiteral("echo-1"), QStringLiteral("a long run"), QStringLiteral("bench")});
        runId = r->id;
        const QString output(300, QLatin1Char('x'));
        for (int done = 1; done < events;) {
            const Status st = journal.transaction([&]() -> Status {
                for (int i = 0; i < 5000 && done < events; ++i, ++done) {
                    const bool call = done % 2;
                    auto e = journal.appendTape(runId, call ? QString(TapeKind::ToolCall) : QString(TapeKind::ToolOutput),
                                                call ? QJsonObject{{QStringLiteral("call_id"), QStringLiteral("c%1").arg(done)},
                                                                   {QStringLiteral("tool"), QStringLiteral("fs.read")},
                                                                   {QStringLiteral("arguments"), QJsonObject{{QStringLiteral("path"), QStringLiteral("src/file%1.cpp").arg(done)}}}}
                                                     : QJsonObject{{QStringLiteral("call_id"), QStringLiteral("c%1").arg(done - 1)},
                                                                   {QStringLiteral("tool"), QStringLiteral("fs.read")},
                                                                   {QStringLiteral("ok"), true},
                                                                   {QStringLiteral("output"), output},
                                                                   {QStringLiteral("duration_ms"), 1}});
                    if (!e)
                        return e.error();
                }
                return {};
            });
            if (!st) {
                std::fprintf(stderr, "%s\n", qPrintable(st.errorMessage()));
                return 1;
            }
        }
        // Finish it, so start-up recovery leaves it as it is.
        if (!runs.transition(runId, RunState::Running, QStringLiteral("started"))
            || !runs.transition(runId, RunState::Succeeded, QStringLiteral("completed")))
            return 1;
    }

    EngineClient engine(config, &Gateway::create);
    QSignalSpy ready(&engine, &EngineClient::ready);
    engine.start();
    if (!ready.wait(10000))
        return 1;
    const double baseline = residentMb();

    // 1. The inspector alone: from choosing the run to its first rows painted.
    TapeInspector inspector(&engine);
    inspector.resize(900, 600);
    inspector.show();
    QElapsedTimer open;
    open.start();
    inspector.setRun(runId);
    while (inspector.model()->rowCount() == 0)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    inspector.table()->viewport()->repaint();
    const double openMs = open.nsecsElapsed() / 1e6;

    // 2. The whole window on that session, with the run's tape paged in to the very end.
    MainWindow window(engine);
    window.resize(1400, 860);
    window.show();
    window.selectSession(sessionId);
    RunPanel *panel = window.runPanel();
    QElapsedTimer windowOpen;
    windowOpen.start();
    while (panel->tape()->model()->rowCount() == 0)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 5);
    const double windowOpenMs = windowOpen.nsecsElapsed() / 1e6;
    TapeModel *model = panel->tape()->model();
    QElapsedTimer all;
    all.start();
    while (!model->atEnd() || model->isLoading()) {
        if (model->canFetchMore({}))
            model->fetchMore({});
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    panel->tape()->table()->scrollToBottom();
    QTest::qWait(200);
    const double pageAllMs = all.nsecsElapsed() / 1e6;
    const double resident = residentMb();

    const QJsonObject out{
        {QStringLiteral("bench"), QStringLiteral("tape_inspector")},
        {QStringLiteral("events"), events},
        {QStringLiteral("open_ms"), qRound(openMs * 10) / 10.0},
        {QStringLiteral("open_in_window_ms"), qRound(windowOpenMs * 10) / 10.0},
        {QStringLiteral("page_all_ms"), qRound(pageAllMs)},
        {QStringLiteral("rows_loaded"), model->rowCount()},
        {QStringLiteral("resident_mb_engine_started"), qRound(baseline * 10) / 10.0},
        {QStringLiteral("resident_mb_window_with_run_open"), qRound(resident * 10) / 10.0},
        {QStringLiteral("bar_open_ms"), 200},
        {QStringLiteral("bar_resident_mb"), 150},
    };
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return 0;
}
