// Attachments and export at size (issue 15):
//  - sending a 10 MB text file and a 4000x3000 photo through a Gateway (deterministic provider):
//    the time from the bytes in hand to the finished run, the image's preparation (scaled to
//    2048 px, as the window and `spool chat --attach` do), and resident memory before and after;
//  - exporting a session of 10,000 runs as JSON and as Markdown: time, file size and the peak
//    resident memory during the export (the peak is reset first through /proc/self/clear_refs).
//
// Prints one JSON object per line. Usage: bench_attachments [runs=10000]
#include "testsupport.h"

#include "attachments/exportreport.h"
#include "attachments/exportrequest.h"
#include "attachments/importreport.h"
#include "imagepreparer.h"
#include "journal/journalstore.h"
#include "runs/runstore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <QRandomGenerator>

#include <cstdio>

using namespace Spool;

namespace {

void print(const QJsonObject &o)
{
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

qint64 statusKb(const char *field)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(field))
            return line.mid(int(qstrlen(field))).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

// Makes VmHWM start again from the current resident size.
void resetPeak()
{
    QFile f(QStringLiteral("/proc/self/clear_refs"));
    if (f.open(QIODevice::WriteOnly))
        f.write("5");
}

RunInfo send(Gateway &g, const QString &text, const QList<Attachment> &attachments)
{
    RunRequest r;
    r.session.key = QStringLiteral("bench");
    r.text = text;
    r.attachments = attachments;
    r.source = QStringLiteral("bench");
    auto started = g.startRun(r);
    if (!started) {
        std::fprintf(stderr, "%s\n", qPrintable(started.errorMessage()));
        return {};
    }
    return Test::waitForRun(g, started->id, 120000);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int runCount = argc > 1 ? std::atoi(argv[1]) : 10000;
    qputenv("SPOOL_DETERMINISTIC_DELAY_MS", "0");
    Test::TempEnvironment env;
    env.config.journalFullSync = false;
    auto g = Test::openGateway(env.config);
    if (!g)
        return 1;

    // A 10 MB text file.
    {
        QByteArray text;
        text.reserve(10 * 1024 * 1024);
        for (int i = 0; text.size() < 10 * 1024 * 1024; ++i)
            text += "line " + QByteArray::number(i) + " of a large log file, with some words to read\n";
        text.truncate(10 * 1024 * 1024);
        Attachment a;
        a.name = QStringLiteral("big.log");
        a.data = text;
        const qint64 before = statusKb("VmRSS:");
        resetPeak();
        QElapsedTimer clock;
        clock.start();
        const RunInfo run = send(*g, QStringLiteral("read this"), {a});
        print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("attach")},
                          {QStringLiteral("what"), QStringLiteral("10 MB text file")},
                          {QStringLiteral("state"), runStateName(run.state)},
                          {QStringLiteral("send_ms"), clock.elapsed()},
                          {QStringLiteral("rss_before_kb"), before},
                          {QStringLiteral("rss_after_kb"), statusKb("VmRSS:")},
                          {QStringLiteral("peak_rss_kb"), statusKb("VmHWM:")}});
    }

    // A 4000x3000 photo (noise, so that it does not compress to nothing), as a JPEG file.
    {
        QImage image(4000, 3000, QImage::Format_RGB32);
        QRandomGenerator rng(15);
        for (int y = 0; y < image.height(); ++y) {
            auto *line = reinterpret_cast<QRgb *>(image.scanLine(y));
            for (int x = 0; x < image.width(); ++x)
                line[x] = qRgb((x / 8) % 256, (y / 8) % 256, int(rng.bounded(64)));
        }
        QByteArray jpeg;
        QBuffer buffer(&jpeg);
        buffer.open(QIODevice::WriteOnly);
        image.save(&buffer, "JPEG", 90);
        image = QImage();
        const qint64 before = statusKb("VmRSS:");
        resetPeak();
        QElapsedTimer clock;
        clock.start();
        const Attachment prepared = ImagePreparer::attachment(QStringLiteral("photo.jpg"), jpeg, 2048);
        const qint64 prepareMs = clock.elapsed();
        const RunInfo run = send(*g, QStringLiteral("what is this?"), {prepared});
        print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("attach")},
                          {QStringLiteral("what"), QStringLiteral("4000x3000 JPEG photo")},
                          {QStringLiteral("state"), runStateName(run.state)},
                          {QStringLiteral("file_bytes"), jpeg.size()},
                          {QStringLiteral("sent_bytes"), prepared.data.size()},
                          {QStringLiteral("prepare_ms"), prepareMs},
                          {QStringLiteral("total_ms"), clock.elapsed()},
                          {QStringLiteral("rss_before_kb"), before},
                          {QStringLiteral("rss_after_kb"), statusKb("VmRSS:")},
                          {QStringLiteral("peak_rss_kb"), statusKb("VmHWM:")}});
    }

    // A session of 10,000 runs, written straight to the journal (input, reply, a tool call in
    // every tenth run), then exported.
    JournalStore &journal = g->journal();
    RunStore runs(journal);
    auto session = g->sessions().resolve(SessionSelector{{}, QStringLiteral("long")}, true);
    if (!session)
        return 1;
    QElapsedTimer load;
    load.start();
    for (int from = 0; from < runCount; from += 500) {
        Status s = journal.transaction([&]() -> Status {
            for (int i = from; i < qMin(runCount, from + 500); ++i) {
                auto run = runs.create(NewRun{session->session.id, QStringLiteral("default"), QStringLiteral("deterministic"),
                                              QStringLiteral("echo"), QStringLiteral("question %1").arg(i), g->instanceId()});
                if (!run)
                    return run.error();
                const QString question = QStringLiteral("Question %1: how does the deployment of service %1 work?").arg(i);
                if (auto e = journal.appendTape(run->id, TapeKind::Input, {{QStringLiteral("text"), question},
                                                                           {QStringLiteral("attachments"), QJsonArray()},
                                                                           {QStringLiteral("source"), QStringLiteral("bench")}});
                    !e)
                    return e.error();
                if (i % 10 == 0) {
                    if (auto e = journal.appendTape(run->id, TapeKind::ToolOutput,
                                                    {{QStringLiteral("call_id"), QStringLiteral("c%1").arg(i)},
                                                     {QStringLiteral("tool"), QStringLiteral("fs.read")},
                                                     {QStringLiteral("ok"), true},
                                                     {QStringLiteral("output"), QString(1500, QLatin1Char('n'))}});
                        !e)
                        return e.error();
                }
                const QString answer = QStringLiteral("To deploy service %1, build it, run the checks, and roll "
                                                      "it out in stages; watch the error rate.").arg(i);
                if (auto e = journal.appendTape(run->id, TapeKind::AssistantMessage, {{QStringLiteral("text"), answer}}); !e)
                    return e.error();
                if (auto s = runs.transition(run->id, RunState::Running, QString()); !s)
                    return s.error();
                if (auto s = runs.transition(run->id, RunState::Succeeded, QStringLiteral("completed")); !s)
                    return s.error();
            }
            return {};
        });
        if (!s) {
            std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
            return 1;
        }
    }
    print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("export")},
                      {QStringLiteral("phase"), QStringLiteral("load")},
                      {QStringLiteral("runs"), runCount},
                      {QStringLiteral("load_ms"), load.elapsed()}});

    for (const ExportRequest::Format format : {ExportRequest::Format::Json, ExportRequest::Format::Markdown}) {
        ExportRequest request;
        request.sessions = {QStringLiteral("long")};
        request.format = format;
        request.path = env.dir.filePath(QStringLiteral("long.") + ExportRequest::formatName(format));
        const qint64 before = statusKb("VmRSS:");
        resetPeak();
        QElapsedTimer clock;
        clock.start();
        auto report = g->sessions().exportSessions(request);
        const qint64 ms = clock.elapsed();
        if (!report) {
            std::fprintf(stderr, "%s\n", qPrintable(report.errorMessage()));
            return 1;
        }
        print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("export")},
                          {QStringLiteral("format"), ExportRequest::formatName(format)},
                          {QStringLiteral("runs"), report->runs},
                          {QStringLiteral("events"), report->events},
                          {QStringLiteral("bytes"), report->bytes},
                          {QStringLiteral("export_ms"), ms},
                          {QStringLiteral("rss_before_kb"), before},
                          {QStringLiteral("peak_rss_kb"), statusKb("VmHWM:")},
                          {QStringLiteral("peak_growth_kb"), statusKb("VmHWM:") - before}});
    }
    g->shutdown();
    return 0;
}
