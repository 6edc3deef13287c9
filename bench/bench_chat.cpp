// `spool chat` as a one-shot process on the deterministic provider, against a floor measured in
// the same run (SPEC §10: at most 1.5x the sqlite3 CLI making the same durable commits; 40 MB
// peak): the sqlite3 command line opens a WAL journal with synchronous=FULL and makes as many
// separate durable commits as one `spool chat` syncs (counted with strace when it is installed,
// else given as the third argument). A second floor is the smallest Qt program making the same
// commits (bench_chat_qtfloor: QtCore, QtSql, nothing else): what any Qt command pays before it
// does any work of its own. The three are run in turn, so load on the machine falls on all.
// Usage: bench_chat [PATH_TO_SPOOL] [N] [SYNCS]. Prints one JSON object per line.
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

struct Outcome
{
    double ms = 0;
    long peakKb = 0;
    bool ok = false;
};

// Runs argv with stdin from `input` (or /dev/null) and stdout/stderr to /dev/null.
Outcome runProcess(const QList<QByteArray> &argv, const QByteArray &input = QByteArray())
{
    std::vector<char *> args;
    for (const QByteArray &a : argv)
        args.push_back(const_cast<char *>(a.constData()));
    args.push_back(nullptr);
    QElapsedTimer t;
    t.start();
    const pid_t pid = fork();
    if (pid == 0) {
        const int in = ::open(input.isEmpty() ? "/dev/null" : input.constData(), O_RDONLY);
        const int devnull = ::open("/dev/null", O_WRONLY);
        dup2(in, STDIN_FILENO);
        dup2(devnull, STDOUT_FILENO);
        dup2(devnull, STDERR_FILENO);
        execvp(args[0], args.data());
        _exit(127);
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    return {t.nsecsElapsed() / 1e6, usage.ru_maxrss, WIFEXITED(status) && WEXITSTATUS(status) == 0};
}

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.at(values.size() / 2);
}

double p95(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.at(std::min<qsizetype>(values.size() - 1, qsizetype(values.size() * 0.95)));
}

double round1(double v)
{
    return qRound(v * 10) / 10.0;
}

// How many times one `spool chat` syncs the disk (fsync and fdatasync), by strace.
int countSyncs(const QList<QByteArray> &chat, const QString &dir)
{
    const QString strace = QStandardPaths::findExecutable(QStringLiteral("strace"));
    if (strace.isEmpty())
        return -1;
    const QByteArray log = QFile::encodeName(dir + QStringLiteral("/strace.log"));
    QList<QByteArray> argv{QFile::encodeName(strace), "-f", "-qq", "-e", "trace=fsync,fdatasync",
                           "-o", log};
    argv.append(chat);
    if (!runProcess(argv).ok)
        return -1;
    QFile file(QString::fromLocal8Bit(log));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    return int(file.readAll().count('\n'));
}

} // namespace

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
    const QList<QByteArray> chat{binary, "chat", "--session", "bench", "hello from the benchmark"};

    // Warm the page cache and create the journal and the session first.
    for (int i = 0; i < 2; ++i) {
        if (!runProcess(chat).ok) {
            std::fprintf(stderr, "spool chat failed\n");
            return 1;
        }
    }
    int syncs = argc > 3 ? std::atoi(argv[3]) : countSyncs(chat, dir.path());

    // The floor: the sqlite3 CLI making `syncs` durable commits, one transaction each.
    const QString sqlite3 = QStandardPaths::findExecutable(QStringLiteral("sqlite3"));
    const QByteArray floorDb = QFile::encodeName(dir.filePath(QStringLiteral("floor.sqlite3")));
    const QByteArray script = QFile::encodeName(dir.filePath(QStringLiteral("floor.sql")));
    if (!sqlite3.isEmpty() && syncs > 0) {
        QFile sql(QString::fromLocal8Bit(script));
        if (!sql.open(QIODevice::WriteOnly))
            return 1;
        sql.write("PRAGMA journal_mode = WAL;\nPRAGMA synchronous = FULL;\n"
                  "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, payload TEXT);\n");
        for (int i = 0; i < syncs; ++i)
            sql.write("INSERT INTO t(payload) VALUES ('{\"kind\":\"tape event\",\"text\":\"hello\"}');\n");
        sql.close();
        runProcess({QFile::encodeName(sqlite3), floorDb}, script); // creates the file
    }

    const QByteArray qtFloorDb = QFile::encodeName(dir.filePath(QStringLiteral("qtfloor.sqlite3")));
    const QList<QByteArray> qtFloor{QByteArray(QT_FLOOR_BINARY), qtFloorDb, QByteArray::number(syncs)};
    const bool haveQtFloor = syncs > 0 && runProcess(qtFloor).ok; // creates the file

    QList<double> spoolMs, floorMs, qtFloorMs;
    long peakKb = 0;
    for (int i = 0; i < count; ++i) {
        const Outcome o = runProcess(chat);
        if (!o.ok) {
            std::fprintf(stderr, "spool chat failed\n");
            return 1;
        }
        spoolMs.append(o.ms);
        peakKb = std::max(peakKb, o.peakKb);
        if (!sqlite3.isEmpty() && syncs > 0)
            floorMs.append(runProcess({QFile::encodeName(sqlite3), floorDb}, script).ms);
        if (haveQtFloor)
            qtFloorMs.append(runProcess(qtFloor).ms);
    }
    QJsonObject out{{QStringLiteral("bench"), QStringLiteral("chat_one_shot")},
                    {QStringLiteral("runs"), count},
                    {QStringLiteral("median_wall_ms"), round1(median(spoolMs))},
                    {QStringLiteral("p95_wall_ms"), round1(p95(spoolMs))},
                    {QStringLiteral("peak_rss_mb"), round1(peakKb / 1024.0)},
                    {QStringLiteral("syncs_per_chat"), syncs},
                    {QStringLiteral("bar_rss_mb"), 40},
                    {QStringLiteral("bar_ratio"), 1.5}};
    if (!floorMs.isEmpty()) {
        out.insert(QStringLiteral("sqlite3_same_commits_median_ms"), round1(median(floorMs)));
        out.insert(QStringLiteral("ratio_to_sqlite3"),
                   qRound(median(spoolMs) / median(floorMs) * 100) / 100.0);
    }
    if (!qtFloorMs.isEmpty()) {
        out.insert(QStringLiteral("qt_floor_median_ms"), round1(median(qtFloorMs)));
        out.insert(QStringLiteral("ratio_to_qt_floor"),
                   qRound(median(spoolMs) / median(qtFloorMs) * 100) / 100.0);
        if (!floorMs.isEmpty())
            out.insert(QStringLiteral("qt_floor_ratio_to_sqlite3"),
                       qRound(median(qtFloorMs) / median(floorMs) * 100) / 100.0);
    }
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return 0;
}
