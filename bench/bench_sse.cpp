// SSE parsing throughput: a recorded provider stream, repeated to a large size, fed to SseParser
// in pieces of the sizes the network typically delivers. Prints one JSON object per line.
//
//   bench_sse [--megabytes N] [--stream PATH.sse]

#include "providers/sseparser.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>

using namespace Spool;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser cli;
    cli.addOption({QStringLiteral("megabytes"), QStringLiteral("stream size"), QStringLiteral("N"),
                   QStringLiteral("64")});
    cli.addOption({QStringLiteral("stream"), QStringLiteral("recorded stream"),
                   QStringLiteral("PATH"),
                   QStringLiteral(SPOOL_SOURCE_DIR
                                  "/tests/fixtures/providers/streams/openai-tools.sse")});
    cli.addHelpOption();
    cli.process(app);

    QFile file(cli.value(QStringLiteral("stream")));
    if (!file.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "cannot read %s\n", qPrintable(file.fileName()));
        return 1;
    }
    const QByteArray recorded = file.readAll();
    const qsizetype target = qsizetype(cli.value(QStringLiteral("megabytes")).toLongLong()) << 20;
    QByteArray stream;
    stream.reserve(target + recorded.size());
    while (stream.size() < target)
        stream.append(recorded);

    for (const qsizetype piece : {qsizetype(64), qsizetype(1024), qsizetype(16 * 1024)}) {
        double best = 0;
        qint64 events = 0;
        for (int round = 0; round < 3; ++round) {
            SseParser parser;
            QList<SseEvent> out;
            qint64 count = 0;
            QElapsedTimer timer;
            timer.start();
            for (qsizetype at = 0; at < stream.size(); at += piece) {
                parser.feed(QByteArrayView(stream).sliced(at, qMin(piece, stream.size() - at)), out);
                count += out.size();
                out.clear(); // a consumer handles each batch as it comes
            }
            parser.finish(out);
            count += out.size();
            const double seconds = double(timer.nsecsElapsed()) / 1e9;
            best = qMax(best, double(stream.size()) / (1024.0 * 1024.0) / seconds);
            events = count;
        }
        const QJsonObject result{
                {QStringLiteral("bench"), QStringLiteral("sse_parse")},
                {QStringLiteral("stream"), QFileInfo(file).fileName()},
                {QStringLiteral("bytes"), qint64(stream.size())},
                {QStringLiteral("piece_bytes"), qint64(piece)},
                {QStringLiteral("events"), events},
                {QStringLiteral("mb_per_s"), qRound(best * 10) / 10.0},
        };
        std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    }
    return 0;
}
