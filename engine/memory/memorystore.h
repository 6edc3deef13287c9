#pragma once

#include "core/result.h"
#include "memory/memoryfilter.h"
#include "memory/memoryitem.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace Spool {

class JournalStore;

// Memory items, their vectors and the imported documents in the journal (migration 5). The
// only place memory speaks SQL. The FTS5 index, the change log and the removal of a deleted
// document's chunks are kept by the database's own triggers.
class MemoryStore
{
public:
    explicit MemoryStore(JournalStore &journal);

    // Stores a new item (text normalised, hash computed, timestamps set). The same text in the
    // same scope (and file) is refused as a Conflict that names the item already there.
    Result<MemoryItem> add(const MemoryItem &draft);
    Result<MemoryItem> get(qint64 id) const;
    // Items by id, in the order asked; ids that no longer exist are left out.
    Result<QList<MemoryItem>> items(const QList<qint64> &ids, const QString &vectorModel = {}) const;
    Result<QList<MemoryItem>> list(const MemoryFilter &filter, const QString &vectorModel = {}) const;
    // Changes text, tags, scope, pin and expiry of an existing item.
    Result<MemoryItem> update(const MemoryItem &item);
    Status remove(qint64 id);
    Result<qint64> count(bool includeExpired = false) const;
    // Forgets items whose expiry has passed; returns how many.
    Result<int> purgeExpired(qint64 now);

    // --- vectors ------------------------------------------------------------------------
    struct PendingText
    {
        qint64 id = 0;
        QString text;
        QString contentHash;
    };
    // Items without a vector of `model`, oldest first.
    Result<QList<PendingText>> withoutVector(const QString &model, int limit) const;
    Result<qint64> countWithoutVector(const QString &model) const;
    struct Vector
    {
        qint64 id = 0;
        QString contentHash; // of the text it was computed from; stale vectors are not stored
        QByteArray floats;   // dim little-endian float32 values
    };
    // Stores vectors of `model` in one transaction; returns how many were stored (an item
    // edited or removed meanwhile is skipped).
    Result<int> putVectors(const QString &model, int dimension, const QList<Vector> &vectors);
    Result<qint64> vectorCount(const QString &model) const;
    // The dimension of the stored vectors of `model`, 0 when there are none.
    Result<int> vectorDimension(const QString &model) const;
    // Drops the vectors of every other model (the embedding model changed).
    Result<int> dropVectorsExcept(const QString &model);
    Status dropVector(qint64 id);

    // --- what the search index reads -------------------------------------------------------
    struct IndexRow
    {
        qint64 id = 0;
        QString text;
        QString tags; // JSON
        MemoryScope scope = MemoryScope::Global;
        QString scopeKey;
        MemorySource source = MemorySource::User;
        bool pinned = false;
        qint64 createdAt = 0;
        qint64 expiresAt = 0;
        int dimension = 0;    // 0: no vector of the model asked for
        QByteArray vector;
    };
    // Every item (ids empty) or the items `ids`, with their vector of `model` if any.
    Status forEachIndexRow(const QString &model, const QList<qint64> &ids,
                           const std::function<void(const IndexRow &)> &visit) const;
    // The change log: the newest seq, the oldest one still kept, and the items changed after
    // `seq` (at most `limit`, in order).
    Result<qint64> lastChange() const;
    Result<qint64> firstChange() const;
    Result<QList<qint64>> changedSince(qint64 seq, qint64 upTo) const;
    // Keeps the newest `keep` entries of the change log.
    Status pruneChanges(qint64 keep);

    // --- imported documents ---------------------------------------------------------------
    struct Document
    {
        QString path;
        QString root;
        QString fileHash;
        qint64 bytes = 0;
        int chunks = 0;
        qint64 importedAt = 0;
    };
    Result<std::optional<Document>> document(const QString &path) const;
    Result<QList<Document>> documentsUnder(const QString &root) const;
    Result<qint64> documentCount() const;
    // Replaces a document's chunks: the old chunks go, the new ones are stored, in one
    // transaction. Chunks whose text already exists in scope (another file's) are skipped.
    Result<int> replaceDocument(const Document &document, const QList<MemoryItem> &chunks);
    Status forgetDocument(const QString &path);

private:
    Result<std::optional<qint64>> findDuplicate(const MemoryItem &item, qint64 exceptId) const;

    JournalStore &m_journal;
};

} // namespace Spool
