// The local API's cost over the engine (SPEC §10: first-token overhead under 1 ms; 50
// concurrent streams complete):
//  - first token: the time from asking for a run to its first reply text, measured the way
//    an in-process front end sees it (EngineClient, as the window) and through the API (a
//    streamed /v1/chat/completions from a client on another thread, over loopback). Their
//    difference is what HTTP, JSON and the server add.
//  - completions per second: streamed completions from CONCURRENCY keep-alive connections at
//    once, and what it costs the server's thread (the window's thread when the window serves
//    the API): its CPU time per completion, and its longest stall (which on a shared machine
//    is mostly other processes).
//  The first-token samples alternate between the two paths, so both meet the same load;
//  paired_overhead_median_us is the median of the per-pair differences.
// Deterministic provider without delay, fresh temporary journal. One JSON object per line.
//
// Usage: bench_api [--iterations N] [--completions M] [--concurrency K] [--durability full|normal]
// `normal` runs the journal with synchronous=NORMAL: the engine without its fsyncs, which
// otherwise bound the completions per second on a slow disk.
#include "api/apiserver.h"
#include "api/apisettings.h"
#include "client/engineclient.h"
#include "gateway/gateway.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <vector>

using namespace Spool;

namespace {

QByteArray chatRequest(quint16 port, const QByteArray &token, const QByteArray &text)
{
    const QByteArray body = R"({"model":"default","stream":true,"messages":[{"role":"user","content":")" + text
            + R"("}]})";
    return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
            + "\r\nAuthorization: Bearer " + token
            + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size())
            + "\r\n\r\n" + body;
}

// The end of a streamed completion: [DONE], then the last (empty) chunk.
const QByteArray kStreamEnd = "data: [DONE]\n\n\r\n0\r\n\r\n";

double percentile(std::vector<double> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
}

// The API's client, on a thread of its own: what an editor or a script would be.
class Client : public QObject
{
    Q_OBJECT
public:
    Client(quint16 port, QByteArray token) : m_port(port), m_token(std::move(token)) {}

    // One streamed completion on a kept connection: emits firstToken(us), from the request
    // written to the first reply text read, once the stream has ended.
    void firstToken()
    {
        if (!m_socket) {
            m_socket = new QTcpSocket(this);
            m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            m_socket->connectToHost(QHostAddress::LocalHost, m_port);
            m_socket->waitForConnected(5000);
            connect(m_socket, &QTcpSocket::readyRead, this, [this] {
                m_buffer += m_socket->readAll();
                if (m_firstUs < 0 && m_buffer.contains("Echo"))
                    m_firstUs = double(m_clock.nsecsElapsed()) / 1000.0;
                if (m_buffer.endsWith(kStreamEnd))
                    emit sampled(m_firstUs);
            });
        }
        m_buffer.clear();
        m_firstUs = -1;
        m_clock.start();
        m_socket->write(chatRequest(m_port, m_token, "hi"));
    }

    // `total` streamed completions, `concurrency` at a time, each connection sending its next
    // request when the last one ended.
    void throughput(int total, int concurrency)
    {
        m_left = total;
        m_clock.start();
        for (int i = 0; i < concurrency; ++i) {
            auto *socket = new QTcpSocket(this);
            socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            auto buffer = std::make_shared<QByteArray>();
            auto next = [this, socket, buffer] {
                if (m_left <= 0) {
                    socket->deleteLater();
                    return;
                }
                --m_left;
                ++m_inFlight;
                buffer->clear();
                socket->write(chatRequest(m_port, m_token, "throughput [[words 20]]"));
            };
            connect(socket, &QTcpSocket::connected, this, next);
            connect(socket, &QTcpSocket::readyRead, this, [this, socket, buffer, next] {
                *buffer += socket->readAll();
                if (!buffer->endsWith(kStreamEnd))
                    return;
                ++m_completed;
                --m_inFlight;
                if (m_left == 0 && m_inFlight == 0) {
                    m_seconds = double(m_clock.nsecsElapsed()) / 1e9;
                    emit done();
                }
                next();
            });
            socket->connectToHost(QHostAddress::LocalHost, m_port);
        }
    }

    int m_completed = 0;
    double m_seconds = 0;

signals:
    void sampled(double firstTokenUs);
    void done();

private:
    quint16 m_port;
    QByteArray m_token;
    int m_left = 0;
    int m_inFlight = 0;
    QElapsedTimer m_clock;
    QTcpSocket *m_socket = nullptr;
    QByteArray m_buffer;
    double m_firstUs = -1;
};

// CPU time this thread has used: what the server costs its thread, whatever else the machine
// is doing (wall-clock stalls on a shared machine are mostly other processes).
double threadCpuMs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

void print(const QJsonObject &o)
{
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption iterationsOption(QStringLiteral("iterations"), QStringLiteral("First-token samples."),
                                              QStringLiteral("N"), QStringLiteral("300"));
    const QCommandLineOption completionsOption(QStringLiteral("completions"), QStringLiteral("Completions for the rate."),
                                               QStringLiteral("M"), QStringLiteral("1000"));
    const QCommandLineOption concurrencyOption(QStringLiteral("concurrency"), QStringLiteral("Connections at once."),
                                               QStringLiteral("K"), QStringLiteral("50"));
    const QCommandLineOption durabilityOption(QStringLiteral("durability"),
                                              QStringLiteral("full (the default, as users run) or normal."),
                                              QStringLiteral("MODE"), QStringLiteral("full"));
    parser.addOptions({iterationsOption, completionsOption, concurrencyOption, durabilityOption});
    parser.process(app);
    const int iterations = qMax(10, parser.value(iterationsOption).toInt());
    const int completions = qMax(1, parser.value(completionsOption).toInt());
    const int concurrency = qMax(1, parser.value(concurrencyOption).toInt());

    QTemporaryDir dir;
    RuntimeConfig config;
    config.dataDir = dir.filePath(QStringLiteral("data"));
    config.configDir = dir.filePath(QStringLiteral("config"));
    config.principal = QStringLiteral("bench");
    config.deviceId = QStringLiteral("bench");
    config.frontEnd = QStringLiteral("api");
    config.deterministicChunkDelayMs = 0;
    config.journalFullSync = parser.value(durabilityOption) != QLatin1String("normal");
    EngineClient engine(config, &Gateway::create);
    {
        QEventLoop loop;
        QObject::connect(&engine, &EngineClient::ready, &loop, &QEventLoop::quit);
        QObject::connect(&engine, &EngineClient::startFailed, &loop, [&](const Error &e) {
            std::fprintf(stderr, "%s\n", qPrintable(e.message));
            std::exit(1);
        });
        engine.start();
        loop.exec();
    }

    ApiServer server(engine);
    ApiSettings settings;
    settings.port = 0;
    settings.maxConnections = qMax(64, concurrency + 8);
    if (Status s = server.start(settings); !s) {
        std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
        return 1;
    }
    const QByteArray token = *server.token();

    QThread clientThread;
    clientThread.setObjectName(QStringLiteral("bench-client"));
    auto *client = new Client(server.port(), token);
    client->moveToThread(&clientThread);
    clientThread.start();

    // First token, alternately in the engine, as an in-process front end sees it (through
    // EngineClient, a new session each time as the API's requests get) and through the API,
    // so both meet the same machine load.
    std::vector<double> engineFirst;
    std::vector<double> apiFirst;
    {
        QEventLoop loop;
        QString current;
        QElapsedTimer clock;
        bool seen = false;
        int left = iterations;
        std::function<void()> engineSample = [&] {
            seen = false;
            current.clear();
            clock.start();
            engine.call(&loop, [](Engine &e) {
                RunRequest r;
                r.text = QStringLiteral("hi");
                r.source = QStringLiteral("api");
                return e.startRun(r);
            }, [&](const Result<RunInfo> &run) { current = run ? run->id : QString(); });
        };
        QObject::connect(&engine, &EngineClient::textDelta, &loop, [&](const QString &runId, const QString &) {
            if (seen || runId != current)
                return;
            seen = true;
            engineFirst.push_back(double(clock.nsecsElapsed()) / 1000.0);
        });
        QObject::connect(&engine, &EngineClient::runUpdated, &loop, [&](const RunInfo &run) {
            if (run.id != current || !run.isTerminal())
                return;
            current.clear();
            QMetaObject::invokeMethod(client, [client] { client->firstToken(); });
        });
        QObject::connect(client, &Client::sampled, &loop, [&](double us) {
            apiFirst.push_back(us);
            if (--left > 0)
                engineSample();
            else
                loop.quit();
        }, Qt::QueuedConnection);
        engineSample();
        loop.exec();
    }
    const double engineMedian = percentile(engineFirst, 0.5);
    const double apiMedian = percentile(apiFirst, 0.5);
    std::vector<double> differences;
    for (size_t i = 0; i < std::min(engineFirst.size(), apiFirst.size()); ++i)
        differences.push_back(apiFirst[i] - engineFirst[i]);
    const QString durability = config.journalFullSync ? QStringLiteral("full") : QStringLiteral("normal");
    print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("api_first_token")},
                      {QStringLiteral("durability"), durability},
                      {QStringLiteral("iterations"), iterations},
                      {QStringLiteral("engine_median_us"), engineMedian},
                      {QStringLiteral("engine_p95_us"), percentile(engineFirst, 0.95)},
                      {QStringLiteral("api_median_us"), apiMedian},
                      {QStringLiteral("api_p95_us"), percentile(apiFirst, 0.95)},
                      {QStringLiteral("overhead_median_us"), apiMedian - engineMedian},
                      {QStringLiteral("paired_overhead_median_us"), percentile(differences, 0.5)}});

    // The server's thread (the window's, when the window serves) under load: its longest stall.
    double maxStallMs = 0;
    double cpuBefore = 0;
    double cpuAfter = 0;
    QElapsedTimer tick;
    QTimer ticker;
    ticker.setTimerType(Qt::PreciseTimer);
    ticker.setInterval(1);
    QObject::connect(&ticker, &QTimer::timeout, [&] {
        maxStallMs = std::max(maxStallMs, double(tick.nsecsElapsed()) / 1e6 - 1.0);
        tick.restart();
    });
    {
        QEventLoop loop;
        QObject::connect(client, &Client::done, &loop, &QEventLoop::quit, Qt::QueuedConnection);
        tick.start();
        ticker.start();
        cpuBefore = threadCpuMs();
        QMetaObject::invokeMethod(client, [client, completions, concurrency] {
            client->throughput(completions, concurrency);
        });
        loop.exec();
        ticker.stop();
        cpuAfter = threadCpuMs();
    }
    print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("api_throughput")},
                      {QStringLiteral("durability"), durability},
                      {QStringLiteral("completions"), client->m_completed},
                      {QStringLiteral("concurrency"), concurrency},
                      {QStringLiteral("seconds"), client->m_seconds},
                      {QStringLiteral("completions_per_second"), double(client->m_completed) / client->m_seconds},
                      {QStringLiteral("server_thread_max_stall_ms"), maxStallMs},
                      {QStringLiteral("server_thread_cpu_us_per_completion"),
                       (cpuAfter - cpuBefore) * 1000.0 / qMax(1, client->m_completed)}});

    QMetaObject::invokeMethod(client, [client] { client->deleteLater(); });
    clientThread.quit();
    clientThread.wait();
    server.stop();
    return 0;
}

#include "bench_api.moc"
