// Usage: bench_transcript [REPLY_BYTES] [ROUNDS] [EARLIER_TURNS].
// Streaming a long reply into the transcript, token by token at 5,000 tokens/s, through the
// real model and view on the offscreen platform (SPEC §10): the cost per token must not grow
// with the reply (compare the first 1 KB with the last 1 KB of a 100 KB reply, ratio 1.5 or
// better) and the GUI thread must never stall over 16 ms. Prints one JSON object per line.
#include "transcriptmodel.h"
#include "transcriptview.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QAbstractEventDispatcher>
#include <QTimer>

#include <ctime>

#include <cstdio>

using namespace Spool;

namespace {

qint64 threadCpuNs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Times every event the GUI thread handles (timers, the model's announcements, the view's
// layout and paint), outermost deliveries only: the longest one is the longest stall. Thread
// CPU time, so other processes on the machine do not count as our stalls; wall time is kept too.
class MeasuredApplication : public QApplication
{
public:
    using QApplication::QApplication;

    qint64 longestCpuNs = 0;
    qint64 longestWallNs = 0;
    QString longestEvent;

    bool notify(QObject *receiver, QEvent *event) override
    {
        if (m_depth > 0)
            return QApplication::notify(receiver, event);
        ++m_depth;
        const qint64 cpu = threadCpuNs();
        QElapsedTimer wall;
        wall.start();
        const int type = event->type();
        const bool handled = QApplication::notify(receiver, event);
        const qint64 spent = threadCpuNs() - cpu;
        if (spent > longestCpuNs) {
            longestCpuNs = spent;
            longestEvent = QString::number(type);
        }
        longestWallNs = qMax(longestWallNs, wall.nsecsElapsed());
        --m_depth;
        return handled;
    }

private:
    int m_depth = 0;
};

QString replyText(int bytes)
{
    static const QStringList words = {QStringLiteral("spool"), QStringLiteral("tape"), QStringLiteral("journal"),
                                      QStringLiteral("agent"), QStringLiteral("policy"), QStringLiteral("approval"),
                                      QStringLiteral("sandbox"), QStringLiteral("session"), QStringLiteral("stream"),
                                      QStringLiteral("**token**"), QStringLiteral("model"), QStringLiteral("`tool`")};
    QString text;
    int i = 0;
    while (text.size() < bytes) {
        text += words.at((i * 7 + i / 12) % words.size());
        ++i;
        text += (i % 50 == 0) ? QStringLiteral(".\n\n") : QStringLiteral(" ");
        if (i % 400 == 0)
            text += QStringLiteral("```cpp\nauto x = journal.appendTape(run, kind, payload);\n```\n\n");
    }
    return text.left(bytes);
}


struct Figures
{
    double firstCostUs = 0;
    double lastCostUs = 0;
    double tokensPerSecond = 0;
    double cpuShare = 0;
    int chars = 0;
};

// Streams `totalBytes` at `rate` tokens/s into a fresh model and view; GUI CPU time is charged
// to the part of the reply that was streaming when it was spent.
Figures streamOnce(MeasuredApplication &app, int totalBytes, int rate, int window, int history)
{
    TranscriptModel model(nullptr);
    TranscriptView view;
    view.setModel(&model);
    view.resize(900, 700);
    view.show();

    model.setSession(QStringLiteral("S"));
    RunInfo run;
    run.id = QStringLiteral("R");
    run.sessionId = QStringLiteral("S");
    model.applyRun(run);
    // Earlier turns above the reply, as in a real session: the view is already full (and
    // scrolls) from the reply's first token, so "at 1 KB" and "at 100 KB" differ by the
    // reply's length only, not by an empty view versus a scrolling one.
    for (int i = 0; i < history; ++i) {
        RunInfo earlier;
        earlier.id = QStringLiteral("E%1").arg(i);
        earlier.sessionId = run.sessionId;
        model.applyRun(earlier);
        TapeEvent question;
        question.runId = earlier.id;
        question.seq = 1;
        question.kind = TapeKind::Input;
        question.payload = {{QStringLiteral("text"), QStringLiteral("Earlier question %1?").arg(i)}};
        model.applyEvent(question);
        TapeEvent answer = question;
        answer.seq = 2;
        answer.kind = TapeKind::ProviderResponse;
        answer.payload = {{QStringLiteral("text"), replyText(600)}};
        model.applyEvent(answer);
    }
    TapeEvent input;
    input.runId = run.id;
    input.seq = 1;
    input.kind = TapeKind::Input;
    input.payload = {{QStringLiteral("text"), QStringLiteral("Write me a long essay.")}};
    model.applyEvent(input);

    // Tokens of about four characters, the way models stream.
    const QString text = replyText(totalBytes);
    QStringList tokens;
    for (int i = 0; i < text.size(); i += 4)
        tokens.append(text.mid(i, 4));

    struct Window
    {
        qint64 fromChars;
        qint64 toChars;
        qint64 busyNs = 0;
        int tokens = 0;
    };
    Window first{0, window};
    Window last{totalBytes - window, totalBytes};

    int next = 0;
    qint64 streamed = 0;
    QEventLoop loop;
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    QElapsedTimer clock;
    clock.start();
    const qint64 cpuAtStart = threadCpuNs();
    QObject::connect(&feeder, &QTimer::timeout, &loop, [&] {
        // As many tokens as the rate says are due by now, whatever the timer's jitter.
        const int due = int(clock.nsecsElapsed() / 1e9 * rate);
        for (; next < due && next < tokens.size(); ++next) {
            model.appendDelta(run.id, tokens.at(next));
            streamed += tokens.at(next).size();
        }
        if (next >= tokens.size()) {
            feeder.stop();
            QTimer::singleShot(100, &loop, &QEventLoop::quit);
        }
    });
    QTimer sampler;
    qint64 lastBusy = threadCpuNs();
    int lastTokens = 0;
    QObject::connect(&sampler, &QTimer::timeout, &loop, [&] {
        const qint64 busy = threadCpuNs();
        const qint64 delta = busy - lastBusy;
        const int tokensNow = next - lastTokens;
        lastBusy = busy;
        lastTokens = next;
        for (Window *w : {&first, &last}) {
            if (streamed > w->fromChars && streamed <= w->toChars + 64) {
                w->busyNs += delta;
                w->tokens += tokensNow;
            }
        }
    });
    sampler.start(16);
    feeder.start(1);
    loop.exec();
    Figures f;
    f.firstCostUs = first.tokens ? first.busyNs / 1000.0 / first.tokens : 0;
    f.lastCostUs = last.tokens ? last.busyNs / 1000.0 / last.tokens : 0;
    const double seconds = clock.nsecsElapsed() / 1e9;
    f.tokensPerSecond = tokens.size() / seconds;
    f.cpuShare = (threadCpuNs() - cpuAtStart) / 1e9 / seconds;
    f.chars = int(model.entryAt(model.rowCount() - 1).text.size());
    Q_UNUSED(app);
    return f;
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    MeasuredApplication app(argc, argv);
    const int totalBytes = argc > 1 ? std::atoi(argv[1]) : 100 * 1024;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 3;
    // Earlier turns (question and answer) above the streamed reply; 0 streams into an empty view.
    const int history = argc > 3 ? std::atoi(argv[3]) : 4;
    const int rate = 5000;
    const int window = 2048; // "at 1 KB": the first 2 KB; "at 100 KB": the last 2 KB

    QList<double> ratios;
    QList<double> firsts;
    QList<double> lasts;
    Figures f;
    for (int i = 0; i < rounds; ++i) {
        f = streamOnce(app, totalBytes, rate, window, history);
        firsts.append(f.firstCostUs);
        lasts.append(f.lastCostUs);
        ratios.append(f.firstCostUs > 0 ? f.lastCostUs / f.firstCostUs : 0);
    }
    auto median = [](QList<double> v) {
        std::sort(v.begin(), v.end());
        return v.at(v.size() / 2);
    };
    const QJsonObject out{
        {QStringLiteral("bench"), QStringLiteral("transcript_streaming")},
        {QStringLiteral("reply_bytes"), totalBytes},
        {QStringLiteral("rounds"), rounds},
        {QStringLiteral("earlier_turns"), history},
        {QStringLiteral("tokens_per_second"), qRound(f.tokensPerSecond)},
        {QStringLiteral("cost_per_token_us_at_1k"), qRound(median(firsts) * 10) / 10.0},
        {QStringLiteral("cost_per_token_us_at_100k"), qRound(median(lasts) * 10) / 10.0},
        {QStringLiteral("ratio_median"), qRound(median(ratios) * 100) / 100.0},
        {QStringLiteral("longest_gui_stall_cpu_ms"), qRound(app.longestCpuNs / 1e4) / 100.0},
        {QStringLiteral("longest_gui_stall_wall_ms"), qRound(app.longestWallNs / 1e4) / 100.0},
        {QStringLiteral("gui_cpu_share"), qRound(f.cpuShare * 1000) / 1000.0},
        {QStringLiteral("bar_ratio"), 1.5},
        {QStringLiteral("bar_stall_ms"), 16},
        {QStringLiteral("final_chars"), f.chars},
    };
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return 0;
}
