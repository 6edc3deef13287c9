// `spool chat` as a one-shot process on the deterministic provider: wall time and peak memory
// (SPEC §10: under 50 ms and 40 MB). Runs the real binary N times against one journal.
// Usage: bench_chat [PATH_TO_SPOOL] [N]. Prints one JSON object per line.
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <algorithm>
#include <fcntl.h>
#include <cstdio>
#include <cstdlib>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QByteArray binary = argc > 1 ? QByteArray(argv[1]) : QByteArray(SPOOL_BINARY);
    const int count = argc > 2 ? std::atoi(argv[2]) : 30;
    QTemporaryDir dir;
    const QByteArray data = QFile::encodeName(dir.filePath(QStringLiteral("data")));
    const QByteArray config = QFile::encodeName(dir.filePath(QStringLiteral("config")));
    setenv("SPOOL_DATA_DIR", data.constData(), 1);
    setenv("SPOOL_CONFIG_DIR", config.constData(), 1);
    setenv("SPOOL_DETERMINISTIC_DELAY_MS", "0", 1);

    QList<double> wall;
    long peakKb = 0;
    for (int i = 0; i < count + 2; ++i) {
        QElapsedTimer t;
        t.start();
        const pid_t pid = fork();
        if (pid == 0) {
            const int devnull = ::open("/dev/null", O_WRONLY);
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
            execl(binary.constData(), binary.constData(), "chat", "--session", "bench",
                  "hello from the benchmark", static_cast<char *>(nullptr));
            _exit(127);
        }
        int status = 0;
        rusage usage {};
        wait4(pid, &status, 0, &usage);
        const double ms = t.nsecsElapsed() / 1e6;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "spool chat failed (status %d)\n", status);
            return 1;
        }
        if (i < 2)
            continue; // warm the page cache and create the journal first
        wall.append(ms);
        peakKb = std::max(peakKb, usage.ru_maxrss);
    }
    std::sort(wall.begin(), wall.end());
    const QJsonObject out{{QStringLiteral("bench"), QStringLiteral("chat_one_shot")},
                          {QStringLiteral("runs"), count},
                          {QStringLiteral("median_wall_ms"), qRound(wall.at(wall.size() / 2) * 10) / 10.0},
                          {QStringLiteral("p95_wall_ms"), qRound(wall.at(int(wall.size() * 0.95)) * 10) / 10.0},
                          {QStringLiteral("peak_rss_mb"), qRound(peakKb / 102.4) / 10.0},
                          {QStringLiteral("bar_wall_ms"), 50},
                          {QStringLiteral("bar_rss_mb"), 40}};
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return 0;
}
