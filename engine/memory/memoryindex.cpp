#include "memory/memoryindex.h"

#include "core/logging.h"
#include "memory/memorystore.h"
#include "memory/memorytokenizer.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <queue>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace Spool {

namespace {

// BM25's usual constants (Robertson and Zaragoza): term frequency saturation and length
// normalisation.
constexpr float kK1 = 1.2f;
constexpr float kB = 0.75f;

float dotPortable(const float *a, const float *b, int n)
{
    // Eight partial sums the compiler can keep in vector registers without -ffast-math.
    float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int k = 0; k < 8; ++k)
            s[k] += a[i + k] * b[i + k];
    }
    float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; ++i)
        total += a[i] * b[i];
    return total;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) float dotAvx2(const float *a, const float *b, int n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    int i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    const __m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    float total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
            + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for (; i < n; ++i)
        total += a[i] * b[i];
    return total;
}
#endif

using DotFunction = float (*)(const float *, const float *, int);

DotFunction dotFunction()
{
#if defined(__x86_64__)
    static const DotFunction chosen = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
            ? &dotAvx2
            : &dotPortable;
    return chosen;
#else
    return &dotPortable;
#endif
}

// Keeps the best `keep` candidates seen (a min-heap on score).
class TopK
{
public:
    explicit TopK(int keep) : m_keep(size_t(qMax(1, keep))) { m_heap.reserve(m_keep + 1); }
    void offer(qint64 id, float score)
    {
        if (m_heap.size() < m_keep) {
            m_heap.push_back({id, score});
            std::push_heap(m_heap.begin(), m_heap.end(), worse);
        } else if (score > m_heap.front().score) {
            std::pop_heap(m_heap.begin(), m_heap.end(), worse);
            m_heap.back() = {id, score};
            std::push_heap(m_heap.begin(), m_heap.end(), worse);
        }
    }
    std::vector<MemoryIndex::Candidate> take() { return std::move(m_heap); }

private:
    static bool worse(const MemoryIndex::Candidate &a, const MemoryIndex::Candidate &b)
    {
        return a.score > b.score;
    }
    size_t m_keep;
    std::vector<MemoryIndex::Candidate> m_heap;
};

bool readVector(const MemoryStore::IndexRow &row, int dimension, std::vector<float> &out)
{
    if (row.dimension <= 0 || row.dimension != dimension || row.vector.size() != qsizetype(dimension) * 4)
        return false;
    out.resize(size_t(dimension));
    std::memcpy(out.data(), row.vector.constData(), size_t(dimension) * 4);
    double norm = 0;
    for (float x : out) {
        if (!std::isfinite(x))
            return false;
        norm += double(x) * double(x);
    }
    if (!(norm > 0) || !std::isfinite(norm))
        return false;
    const float scale = float(1.0 / std::sqrt(norm));
    for (float &x : out)
        x *= scale;
    return true;
}

} // namespace

void MemoryIndex::normalize(std::vector<float> &v)
{
    double norm = 0;
    for (float x : v)
        norm += double(x) * double(x);
    if (norm > 0) {
        const float scale = float(1.0 / std::sqrt(norm));
        for (float &x : v)
            x *= scale;
    }
}

void MemoryIndex::clear()
{
    m_loaded = false;
    m_seq = 0;
    m_dimension = 0;
    m_slots.clear();
    m_slotOf.clear();
    m_alive = 0;
    m_totalLength = 0;
    m_termIds.clear();
    m_postings.clear();
    m_vectors.clear();
    m_vectors.shrink_to_fit();
    m_rowSlot.clear();
    m_slotIds.clear();
    m_vectorsAlive = 0;
    m_keys.clear();
}

int32_t MemoryIndex::intern(const QString &key)
{
    auto it = m_keys.constFind(key);
    if (it != m_keys.constEnd())
        return it.value();
    const int32_t id = int32_t(m_keys.size());
    m_keys.insert(key, id);
    return id;
}

int32_t MemoryIndex::internedOrMissing(const QString &key) const
{
    return m_keys.value(key, -2);
}

Result<MemoryIndex::SyncReport> MemoryIndex::sync(const MemoryStore &store, const QString &model)
{
    SyncReport report;
    auto last = store.lastChange();
    if (!last)
        return last.error();
    if (m_loaded && model == m_model && *last == m_seq)
        return report;

    bool full = !m_loaded || model != m_model;
    QList<qint64> changed;
    if (!full) {
        auto first = store.firstChange();
        if (!first)
            return first.error();
        // The log was pruned past what this process saw: read everything again.
        if (*first > m_seq + 1) {
            full = true;
        } else {
            auto ids = store.changedSince(m_seq, *last);
            if (!ids)
                return ids.error();
            changed = *ids;
        }
    }
    // Many removed items leave dead slots behind: rebuild instead of growing.
    const qint64 dead = qint64(m_slots.size()) - m_alive;
    if (!full && dead > qMax<qint64>(4096, m_alive / 4))
        full = true;

    if (full) {
        clear();
        m_model = model;
        auto dimension = store.vectorDimension(model);
        if (!dimension)
            return dimension.error();
        m_dimension = *dimension;
        Status s = store.forEachIndexRow(model, {}, [&](const MemoryStore::IndexRow &row) {
            addRow(&row, report);
        });
        if (!s) {
            clear();
            return s.error();
        }
        report.reloaded = true;
    } else {
        for (qint64 id : std::as_const(changed))
            removeItem(id);
        if (m_dimension == 0 && !model.isEmpty()) {
            auto dimension = store.vectorDimension(model);
            if (!dimension)
                return dimension.error();
            m_dimension = *dimension;
        }
        Status s = store.forEachIndexRow(model, changed, [&](const MemoryStore::IndexRow &row) {
            addRow(&row, report);
        });
        if (!s)
            return s.error();
        report.changed = int(changed.size());
    }
    m_loaded = true;
    m_seq = *last;
    return report;
}

void MemoryIndex::addRow(const void *rowPointer, SyncReport &report)
{
    const auto &row = *static_cast<const MemoryStore::IndexRow *>(rowPointer);
    const uint32_t slotIndex = uint32_t(m_slots.size());
    Slot slot;
    slot.id = row.id;
    slot.createdAt = row.createdAt;
    slot.expiresAt = row.expiresAt;
    slot.scope = uint8_t(row.scope);
    slot.source = uint8_t(row.source);
    slot.scopeKey = row.scopeKey.isEmpty() ? -1 : intern(row.scopeKey);
    slot.pinned = row.pinned;
    slot.alive = true;
    if (row.tags.size() > 2) {
        const QJsonArray tags = QJsonDocument::fromJson(row.tags.toUtf8()).array();
        for (const QJsonValue &t : tags)
            slot.tags.push_back(intern(QStringLiteral("#") + t.toString()));
    }

    // Term frequencies of this item, then one posting per distinct term. Tags count as words.
    std::vector<std::string> terms = MemoryTokenizer::terms(row.text);
    if (row.tags.size() > 2) {
        std::vector<std::string> tagTerms = MemoryTokenizer::terms(row.tags);
        terms.insert(terms.end(), tagTerms.begin(), tagTerms.end());
    }
    slot.length = uint32_t(terms.size());
    std::sort(terms.begin(), terms.end());
    for (size_t i = 0; i < terms.size();) {
        size_t j = i + 1;
        while (j < terms.size() && terms[j] == terms[i])
            ++j;
        auto [it, inserted] = m_termIds.try_emplace(terms[i], uint32_t(m_postings.size()));
        if (inserted)
            m_postings.emplace_back();
        Postings &p = m_postings[it->second];
        p.members.push_back(slotIndex);
        p.frequencies.push_back(uint16_t(qMin<size_t>(j - i, 65535)));
        i = j;
    }

    if (row.dimension > 0) {
        if (m_dimension == 0)
            m_dimension = row.dimension;
        std::vector<float> v;
        if (readVector(row, m_dimension, v)) {
            slot.vectorRow = int32_t(m_rowSlot.size());
            m_vectors.insert(m_vectors.end(), v.begin(), v.end());
            m_rowSlot.push_back(slotIndex);
            ++m_vectorsAlive;
        } else {
            report.badVectors.append(row.id);
        }
    }

    m_slots.push_back(std::move(slot));
    m_slotIds.push_back(row.id);
    m_slotOf.insert(row.id, slotIndex);
    ++m_alive;
    m_totalLength += m_slots.back().length;
}

void MemoryIndex::removeItem(qint64 id)
{
    auto it = m_slotOf.find(id);
    if (it == m_slotOf.end())
        return;
    Slot &slot = m_slots[it.value()];
    if (slot.alive) {
        slot.alive = false;
        --m_alive;
        m_totalLength -= slot.length;
        if (slot.vectorRow >= 0) {
            m_rowSlot[size_t(slot.vectorRow)] = UINT32_MAX;
            slot.vectorRow = -1;
            --m_vectorsAlive;
        }
    }
    m_slotOf.erase(it);
}

std::vector<uint8_t> MemoryIndex::allowedMask(const Scope &scope) const
{
    std::vector<uint8_t> mask(m_slots.size(), 0);
    const int32_t agentKey = scope.agent.isEmpty() ? -3 : internedOrMissing(scope.agent);
    const int32_t sessionKey = scope.sessionId.isEmpty() ? -3 : internedOrMissing(scope.sessionId);
    const int32_t tagKey = scope.tag.isEmpty() ? -3 : internedOrMissing(QStringLiteral("#") + scope.tag);
    for (size_t i = 0; i < m_slots.size(); ++i) {
        const Slot &s = m_slots[i];
        if (!s.alive)
            continue;
        if (s.expiresAt > 0 && s.expiresAt <= scope.now)
            continue;
        if (!(scope.sources & (1u << s.source)))
            continue;
        if (!scope.all) {
            const auto kind = MemoryScope(s.scope);
            if (kind == MemoryScope::Agent && s.scopeKey != agentKey)
                continue;
            if (kind == MemoryScope::Session && s.scopeKey != sessionKey)
                continue;
        }
        if (!scope.tag.isEmpty()
            && std::find(s.tags.begin(), s.tags.end(), tagKey) == s.tags.end())
            continue;
        mask[i] = 1;
    }
    return mask;
}

qint64 MemoryIndex::allowedCount(const std::vector<uint8_t> &mask) const
{
    return std::count(mask.begin(), mask.end(), uint8_t(1));
}

QList<MemoryIndex::Candidate> MemoryIndex::lexical(const std::vector<std::string> &queryTerms,
                                                   const std::vector<uint8_t> &allowed, int n) const
{
    QList<Candidate> out;
    if (m_alive == 0 || queryTerms.empty())
        return out;
    std::vector<std::string> unique = queryTerms;
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());

    const float total = float(m_alive);
    const float averageLength = m_alive > 0 ? float(m_totalLength) / total : 1.0f;
    std::vector<float> scores(m_slots.size(), 0.0f);
    std::vector<uint32_t> touched;
    for (const std::string &term : unique) {
        auto it = m_termIds.find(term);
        if (it == m_termIds.end())
            continue;
        const Postings &p = m_postings[it->second];
        // Dead slots still sit in the lists until the next rebuild; they are few (sync
        // rebuilds past a quarter) and only nudge the document frequency.
        const float df = float(p.members.size());
        const float idf = std::log(1.0f + (total - df + 0.5f) / (df + 0.5f));
        for (size_t i = 0; i < p.members.size(); ++i) {
            const uint32_t slot = p.members[i];
            if (!allowed[slot])
                continue;
            const float tf = float(p.frequencies[i]);
            const float norm = kK1 * (1.0f - kB + kB * float(m_slots[slot].length) / averageLength);
            if (scores[slot] == 0.0f)
                touched.push_back(slot);
            scores[slot] += idf * tf * (kK1 + 1.0f) / (tf + norm);
        }
    }
    TopK top(n);
    for (uint32_t slot : touched)
        top.offer(m_slots[slot].id, scores[slot]);
    std::vector<Candidate> best = top.take();
    std::sort(best.begin(), best.end(), [](const Candidate &a, const Candidate &b) {
        return a.score > b.score || (a.score == b.score && a.id > b.id);
    });
    out.reserve(qsizetype(best.size()));
    for (const Candidate &c : best)
        out.append(c);
    return out;
}

MemoryIndex::VectorView MemoryIndex::vectors() const
{
    VectorView view;
    view.data = m_vectors.data();
    view.rowSlot = m_rowSlot.data();
    view.slotId = m_slotIds.data();
    view.rows = m_rowSlot.size();
    view.dimension = m_dimension;
    return view;
}

std::vector<MemoryIndex::Candidate> MemoryIndex::scanRows(const VectorView &view, const uint8_t *allowed,
                                                          const float *query, size_t from, size_t to,
                                                          int keep)
{
    const DotFunction dot = dotFunction();
    TopK top(keep);
    const size_t dim = size_t(view.dimension);
    for (size_t row = from; row < to; ++row) {
        const uint32_t slot = view.rowSlot[row];
        if (slot == UINT32_MAX || !allowed[slot])
            continue;
        top.offer(view.slotId[slot], dot(view.data + row * dim, query, view.dimension));
    }
    return top.take();
}

qint64 MemoryIndex::memoryBytes() const
{
    qint64 bytes = qint64(m_vectors.capacity()) * 4 + qint64(m_rowSlot.capacity()) * 4
            + qint64(m_slots.capacity()) * qint64(sizeof(Slot)) + qint64(m_slotIds.capacity()) * 8;
    for (const Postings &p : m_postings)
        bytes += qint64(p.members.capacity()) * 4 + qint64(p.frequencies.capacity()) * 2;
    bytes += qint64(m_termIds.size()) * 48;
    return bytes;
}

} // namespace Spool
