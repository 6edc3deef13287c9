#pragma once

#include "core/result.h"
#include "memory/memoryitem.h"

#include <QHash>
#include <QList>
#include <QString>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace Spool {

class MemoryStore;

// The search structures over every memory item, kept in this process's memory and in step
// with the journal through its change log (so items added by another process are found too):
//
// - BM25 over the items' terms (MemoryTokenizer), as inverted lists scored term at a time into
//   one accumulator per item: a query costs what its words' lists hold, a few hundred
//   microseconds at 100,000 items, where FTS5's bm25() costs about 2 us per matching row;
// - the vectors of the current embedding model, normalised, in one contiguous float array
//   (rows of `dimension` floats), scored exhaustively: every vector, no approximate index.
//
// Built and changed on the engine thread; scanRows() only reads and may run on other threads
// while nothing changes the index (MemoryService holds off syncing while a scan runs).
class MemoryIndex
{
public:
    struct Scope
    {
        QString agent;
        QString sessionId;
        bool all = false;
        uint32_t sources = 0xff; // bit per MemorySource
        QString tag;
        qint64 now = 0;          // items expired by then are left out
    };
    struct Candidate
    {
        qint64 id = 0;
        float score = 0;
    };
    struct SyncReport
    {
        bool reloaded = false;
        int changed = 0;
        // Items whose stored vector could not be used (wrong size or dimension, not finite,
        // zero): the caller drops them so they are computed again.
        QList<qint64> badVectors;
    };

    // Brings the index up to the journal: everything on first use or when `model` changed,
    // else the items changed since the last sync.
    Result<SyncReport> sync(const MemoryStore &store, const QString &model);
    void clear();

    // The slots a query may see, one byte each (1: allowed), for lexical() and scanRows().
    std::vector<uint8_t> allowedMask(const Scope &scope) const;
    qint64 allowedCount(const std::vector<uint8_t> &mask) const;

    // The best `n` allowed items by BM25 for these query terms, best first.
    QList<Candidate> lexical(const std::vector<std::string> &queryTerms,
                             const std::vector<uint8_t> &allowed, int n) const;

    // The read-only view a vector scan needs; valid until the next sync() or clear().
    struct VectorView
    {
        const float *data = nullptr;
        const uint32_t *rowSlot = nullptr; // UINT32_MAX: a row no longer in use
        const qint64 *slotId = nullptr;
        size_t rows = 0;
        int dimension = 0;
    };
    VectorView vectors() const;
    // The best `keep` rows of [from, to) by dot product with `query` (normalised, `dimension`
    // floats), among allowed slots; unordered.
    static std::vector<Candidate> scanRows(const VectorView &view, const uint8_t *allowed,
                                           const float *query, size_t from, size_t to, int keep);
    static void normalize(std::vector<float> &v);

    int dimension() const { return m_dimension; }
    QString model() const { return m_model; }
    qint64 itemCount() const { return m_alive; }
    qint64 vectorCount() const { return m_vectorsAlive; }
    // Bytes held by the index: postings, vectors and per-item data.
    qint64 memoryBytes() const;

private:
    struct Slot
    {
        qint64 id = 0;
        qint64 createdAt = 0;
        qint64 expiresAt = 0;
        int32_t scopeKey = -1;   // interned agent name or session id
        uint32_t length = 0;     // terms, for BM25's length normalisation
        int32_t vectorRow = -1;
        uint8_t scope = 0;
        uint8_t source = 0;
        bool pinned = false;
        bool alive = false;
        std::vector<int32_t> tags; // interned
    };
    struct Postings
    {
        std::vector<uint32_t> members; // slot indexes
        std::vector<uint16_t> frequencies;
    };

    void addRow(const void *row, SyncReport &report);
    void removeItem(qint64 id);
    int32_t intern(const QString &key);
    int32_t internedOrMissing(const QString &key) const;

    QString m_model;
    bool m_loaded = false;
    qint64 m_seq = 0;
    int m_dimension = 0;

    std::vector<Slot> m_slots;
    QHash<qint64, uint32_t> m_slotOf;
    qint64 m_alive = 0;
    qint64 m_totalLength = 0; // of alive items

    std::unordered_map<std::string, uint32_t> m_termIds;
    std::vector<Postings> m_postings;

    std::vector<float> m_vectors;
    std::vector<uint32_t> m_rowSlot;
    std::vector<qint64> m_slotIds; // per slot, for the scan's results
    qint64 m_vectorsAlive = 0;

    QHash<QString, int32_t> m_keys;
};

} // namespace Spool
