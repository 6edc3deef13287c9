// SSE parsing throughput: a recorded provider stream, repeated to a large size, fed to SseParser
// in pieces of the sizes the network typically delivers. Then the engine's share of the time
// to first token: from the moment a provider's first bytes are written to a loopback socket to
// the provider call's first textDelta (HTTP client, SSE parser, API decoder), for both APIs.
// Prints one JSON object per line.
//
//   bench_sse [--megabytes N] [--stream PATH.sse] [--iterations N]

#include "fakeproviderserver.h"

#include "providers/anthropicprovider.h"
#include "providers/openaiprovider.h"
#include "core/sseparser.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

#include <QEventLoop>
#include <QTimer>

#include <algorithm>
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
    cli.addOption({QStringLiteral("iterations"), QStringLiteral("calls per API for the latency"),
                   QStringLiteral("N"), QStringLiteral("300")});
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
        double bestSeconds = 0;
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
            const double rate = double(stream.size()) / (1024.0 * 1024.0) / seconds;
            if (rate > best) {
                best = rate;
                bestSeconds = seconds;
            }
            events = count;
        }
        const QJsonObject result{
                {QStringLiteral("bench"), QStringLiteral("sse_parse")},
                {QStringLiteral("stream"), QFileInfo(file).fileName()},
                {QStringLiteral("bytes"), qint64(stream.size())},
                {QStringLiteral("piece_bytes"), qint64(piece)},
                {QStringLiteral("events"), events},
                {QStringLiteral("mb_per_s"), qRound(best * 10) / 10.0},
                {QStringLiteral("events_per_s"), qRound64(double(events) / bestSeconds)},
        };
        std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    }

    // First byte to first token, per API.
    const int iterations = qMax(10, cli.value(QStringLiteral("iterations")).toInt());
    for (const QString &api : {QStringLiteral("openai"), QStringLiteral("anthropic")}) {
        Spool::Test::FakeProviderServer server;
        if (!server.listen() || !server.loadScenario(api + QStringLiteral("/plain.json"))) {
            std::fprintf(stderr, "cannot start the loopback server\n");
            return 1;
        }
        ProviderConfig config;
        config.name = QStringLiteral("bench");
        config.kind = *ProviderConfig::parseKind(api);
        config.baseUrl = server.baseUrl(api == QLatin1String("openai") ? QStringLiteral("/v1") : QString());
        std::unique_ptr<RemoteProvider> provider;
        if (config.kind == ProviderConfig::Kind::OpenAi)
            provider = std::make_unique<OpenAiProvider>(config, nullptr);
        else
            provider = std::make_unique<AnthropicProvider>(config, nullptr);
        ProviderRequest request;
        request.model = QStringLiteral("bench");
        request.messages = {ChatMessage::user(QStringLiteral("hi"))};

        QElapsedTimer clock;
        clock.start();
        qint64 writtenAt = 0;
        // The fake server writes its reply right after announcing the request.
        QObject::connect(&server, &Spool::Test::FakeProviderServer::requestReceived, &app,
                         [&] { writtenAt = clock.nsecsElapsed(); });
        QList<double> micros;
        for (int i = 0; i < iterations + 5; ++i) {
            QEventLoop loop;
            qint64 firstAt = -1;
            ProviderCall *call = provider->send(request, nullptr);
            QObject::connect(call, &ProviderCall::textDelta, &loop, [&] {
                if (firstAt < 0)
                    firstAt = clock.nsecsElapsed();
            });
            QObject::connect(call, &ProviderCall::finished, &loop, &QEventLoop::quit);
            QObject::connect(call, &ProviderCall::failed, &loop, &QEventLoop::quit);
            QTimer::singleShot(5000, &loop, &QEventLoop::quit);
            loop.exec();
            delete call;
            if (i >= 5 && firstAt > 0) // the first calls warm up the connection
                micros.append(double(firstAt - writtenAt) / 1000.0);
        }
        std::sort(micros.begin(), micros.end());
        const auto at = [&micros](double q) {
            return micros.isEmpty() ? -1.0 : micros.at(qMin(micros.size() - 1, qsizetype(q * micros.size())));
        };
        const QJsonObject result{
                {QStringLiteral("bench"), QStringLiteral("first_byte_to_first_token")},
                {QStringLiteral("api"), api},
                {QStringLiteral("iterations"), qint64(micros.size())},
                {QStringLiteral("median_us"), qRound(at(0.5))},
                {QStringLiteral("p95_us"), qRound(at(0.95))},
                {QStringLiteral("max_us"), qRound(micros.isEmpty() ? -1.0 : micros.last())},
        };
        std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    }
    return 0;
}
