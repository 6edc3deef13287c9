// Memory search at scale (SPEC §10: 100,000 items with 768-dimension vectors, hybrid top 10
// under 20 ms, lexical under 5 ms), and the resident memory the search index adds.
//
// Items: generated text of realistic length (60 to 250 words, 400 to 1,700 characters, like a
// note or a document chunk): words drawn from a 30,000-word vocabulary with Zipf frequencies,
// and English function words between them as in real prose. Vectors: the hashing embedding of
// the tests' embeddings server (tests/support/embeddingsserver.h), 768 dimensions, stored
// directly in the journal. Queries: 3 to 6 words of a random item (known-item style).
//
// Prints one JSON object per line:
//   {"bench": "memory", "phase": "load", ...}       items stored, index built, resident memory
//   {"bench": "memory", "mode": "lexical", ...}     median / p95 of MemoryService search
//   {"bench": "memory", "mode": "hybrid", ...}      the same with the query's vector given
//   {"bench": "memory", "mode": "hybrid_http", ...} with the query embedded by the loopback server
#include "embeddingsserver.h"
#include "testsupport.h"

#include "journal/journalstore.h"
#include "memory/memoryservice.h"
#include "memory/memorystore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

using namespace Spool;

namespace {

void print(const QJsonObject &o)
{
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

qint64 residentKb()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

class TextGenerator
{
public:
    explicit TextGenerator(quint32 seed) : m_random(seed)
    {
        static const char *syllables[] = {"ka", "lo", "mi", "ren", "to", "sa", "vel", "dor", "ni", "qua",
                                          "ber", "sil", "ta", "mon", "ex", "pra", "lin", "gor", "fe", "zu"};
        for (int i = 0; i < 30000; ++i) {
            QString w;
            const int parts = 2 + int(m_random.bounded(3));
            quint32 x = quint32(i) * 2654435761u;
            for (int p = 0; p < parts; ++p) {
                w += QLatin1String(syllables[x % 20]);
                x /= 20;
                x += quint32(p) * 7;
            }
            m_words.append(w + QString::number(i % 7 == 0 ? i : 0).remove(QLatin1Char('0')));
        }
        double total = 0;
        for (int i = 0; i < m_words.size(); ++i) {
            total += 1.0 / (i + 1);
            m_cumulative.append(total);
        }
    }
    QString word()
    {
        const double r = m_random.generateDouble() * m_cumulative.constLast();
        const auto it = std::lower_bound(m_cumulative.cbegin(), m_cumulative.cend(), r);
        return m_words.at(int(it - m_cumulative.cbegin()));
    }
    QString text(int words)
    {
        static const QStringList function{"the", "of", "and", "to", "a", "in", "is", "that", "for",
                                          "it", "with", "as", "on", "be", "at", "by", "this", "from"};
        QString out;
        for (int i = 0; i < words; ++i) {
            if (m_random.bounded(100) < 45)
                out += function.at(int(m_random.bounded(function.size()))) + QLatin1Char(' ');
            out += word();
            out += (i % 14 == 13) ? QStringLiteral(". ") : QStringLiteral(" ");
        }
        return out.trimmed();
    }
    int bounded(int from, int to) { return from + int(m_random.bounded(to - from)); }

private:
    QRandomGenerator m_random;
    QStringList m_words;
    QList<double> m_cumulative;
};

struct Stats
{
    double median = 0;
    double p95 = 0;
    double max = 0;
};

Stats stats(QList<double> ms)
{
    std::sort(ms.begin(), ms.end());
    return Stats{ms.at(ms.size() / 2), ms.at(qMin(ms.size() - 1, qsizetype(ms.size() * 0.95))), ms.constLast()};
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int items = argc > 1 ? std::atoi(argv[1]) : 100000;
    const int dimension = argc > 2 ? std::atoi(argv[2]) : 768;
    const int queries = argc > 3 ? std::atoi(argv[3]) : 200;

    Test::TempEnvironment env;
    env.config.journalFullSync = false;
    Test::EmbeddingsServer server(dimension);
    if (!server.listen())
        return 1;
    auto gateway = Test::openGateway(env.config);
    if (!gateway)
        return 1;
    std::optional<Status> added;
    ProviderConfig c;
    c.name = QStringLiteral("embed");
    c.baseUrl = server.baseUrl();
    c.defaultModel = server.model();
    gateway->providers().add(c, std::nullopt, [&added](const Status &s) { added = s; });
    while (!added)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
    MemoryService &memory = gateway->memoryService();
    MemoryStore &store = memory.store();
    JournalStore &journal = gateway->journal();
    const QString model = QStringLiteral("embed/") + server.model();

    // Items and their vectors, in batches of one transaction each.
    TextGenerator gen(42);
    QStringList texts;
    texts.reserve(items);
    QElapsedTimer clock;
    clock.start();
    qint64 chars = 0;
    for (int from = 0; from < items; from += 2000) {
        QList<MemoryStore::Vector> vectors;
        Status s = journal.transaction([&]() -> Status {
            for (int i = from; i < qMin(items, from + 2000); ++i) {
                MemoryItem m;
                m.text = gen.text(gen.bounded(60, 250));
                chars += m.text.size();
                auto stored = store.add(m);
                if (!stored)
                    return stored.error();
                texts.append(m.text);
                const std::vector<float> v = Test::EmbeddingsServer::embed(stored->text, dimension);
                QByteArray floats(qsizetype(dimension) * 4, Qt::Uninitialized);
                std::memcpy(floats.data(), v.data(), size_t(dimension) * 4);
                vectors.append(MemoryStore::Vector{stored->id, stored->contentHash, floats});
            }
            return {};
        });
        if (!s) {
            std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
            return 1;
        }
        if (auto put = store.putVectors(model, dimension, vectors); !put) {
            std::fprintf(stderr, "%s\n", qPrintable(put.errorMessage()));
            return 1;
        }
    }
    const qint64 storeMs = clock.elapsed();
    // Settings last, so the background indexer finds nothing to do.
    MemorySettings settings = gateway->memorySettings();
    settings.embeddingProvider = QStringLiteral("embed");
    settings.embeddingModel = server.model();
    if (Status s = gateway->setMemorySettings(settings); !s) {
        std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
        return 1;
    }
    texts.squeeze();
    const qint64 rssBefore = residentKb();
    clock.restart();
    if (Status s = memory.syncIndex(); !s) {
        std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
        return 1;
    }
    const qint64 buildMs = clock.elapsed();
    const qint64 rssAfter = residentKb();
    print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("memory")},
                      {QStringLiteral("phase"), QStringLiteral("load")},
                      {QStringLiteral("items"), items},
                      {QStringLiteral("dimension"), dimension},
                      {QStringLiteral("average_chars"), double(chars) / items},
                      {QStringLiteral("store_ms"), storeMs},
                      {QStringLiteral("index_build_ms"), buildMs},
                      {QStringLiteral("index_bytes"), memory.indexBytes()},
                      {QStringLiteral("added_rss_mb"), double(rssAfter - rssBefore) / 1024.0},
                      {QStringLiteral("vectors_mb"), double(items) * dimension * 4 / (1024.0 * 1024.0)}});

    // The queries: words of random items.
    QRandomGenerator random(7);
    QStringList queryTexts;
    for (int i = 0; i < queries; ++i) {
        const QStringList words = texts.at(int(random.bounded(texts.size()))).split(QLatin1Char(' '));
        QStringList picked;
        const int n = 3 + int(random.bounded(4));
        for (int k = 0; k < n; ++k)
            picked.append(words.at(int(random.bounded(words.size()))));
        queryTexts.append(picked.join(QLatin1Char(' ')));
    }

    auto runOne = [&](const QString &text, int mode) -> double {
        MemoryQuery q;
        q.text = text;
        q.limit = 10;
        q.allScopes = true;
        std::optional<Result<MemorySearchResult>> got;
        QElapsedTimer t;
        t.start();
        auto done = [&got](const Result<MemorySearchResult> &r) { got.emplace(r); };
        if (mode == 0)
            memory.searchWithVector(q, {}, gateway.get(), done);
        else if (mode == 1)
            memory.searchWithVector(q, Test::EmbeddingsServer::embed(text, dimension), gateway.get(), done);
        else
            memory.search(q, gateway.get(), done);
        while (!got)
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
        const double ms = double(t.nsecsElapsed()) / 1e6;
        if (!*got || (mode != 0 && !(*got)->isHybrid()) || (*got)->hits.isEmpty())
            std::fprintf(stderr, "query \"%s\": %s\n", qPrintable(text),
                         *got ? qPrintable((*got)->note + QStringLiteral(" hits %1").arg((*got)->hits.size())) : qPrintable(got->errorMessage()));
        return ms;
    };
    const char *names[] = {"lexical", "hybrid", "hybrid_http"};
    for (int mode = 0; mode < 3; ++mode) {
        for (int i = 0; i < 5; ++i)
            runOne(queryTexts.at(i), mode); // warm up
        QList<double> times;
        for (const QString &q : std::as_const(queryTexts))
            times.append(runOne(q, mode));
        const Stats s = stats(times);
        print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("memory")},
                          {QStringLiteral("mode"), QLatin1String(names[mode])},
                          {QStringLiteral("items"), items},
                          {QStringLiteral("queries"), queries},
                          {QStringLiteral("top_k"), 10},
                          {QStringLiteral("median_ms"), s.median},
                          {QStringLiteral("p95_ms"), s.p95},
                          {QStringLiteral("max_ms"), s.max}});
    }
    return 0;
}
