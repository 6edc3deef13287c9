#include "memory/memorystore.h"

#include "core/logging.h"
#include "journal/journalstore.h"
#include "memory/memorytokenizer.h"

#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlQuery>

namespace Spool {

namespace {

// has_vector is bound first: the model whose vectors count.
const QString kColumns = QStringLiteral(
        "m.id, m.text, m.source, m.source_ref, m.chunk, m.heading, m.scope, m.scope_key, m.tags, "
        "m.pinned, m.created_at, m.updated_at, m.expires_at, m.content_hash, m.run_id, "
        "COALESCE((SELECT v.model = ? FROM memory_vectors v WHERE v.item_id = m.id), 0)");

qint64 now()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QString tagsJson(const QStringList &tags)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(tags)).toJson(QJsonDocument::Compact));
}

QStringList tagsFromJson(const QString &json)
{
    QStringList tags;
    const QJsonArray array = QJsonDocument::fromJson(json.toUtf8()).array();
    for (const QJsonValue &v : array)
        tags.append(v.toString());
    return tags;
}

MemoryItem readItem(const QSqlQuery &q)
{
    MemoryItem m;
    m.id = q.value(0).toLongLong();
    m.text = q.value(1).toString();
    m.source = parseMemorySource(q.value(2).toString()).value_or(MemorySource::User);
    m.sourceRef = q.value(3).toString();
    m.chunk = q.value(4).isNull() ? -1 : q.value(4).toInt();
    m.heading = q.value(5).toString();
    m.scope = parseMemoryScope(q.value(6).toString()).value_or(MemoryScope::Global);
    m.scopeKey = q.value(7).toString();
    m.tags = tagsFromJson(q.value(8).toString());
    m.pinned = q.value(9).toInt() != 0;
    m.createdAt = q.value(10).toLongLong();
    m.updatedAt = q.value(11).toLongLong();
    m.expiresAt = q.value(12).isNull() ? 0 : q.value(12).toLongLong();
    m.contentHash = q.value(13).toString();
    m.runId = q.value(14).toString();
    m.hasVector = q.value(15).toInt() != 0;
    return m;
}

QVariant nullable(qint64 v)
{
    return v > 0 ? QVariant(v) : QVariant();
}

Status checkItem(const MemoryItem &item)
{
    if (MemoryItem::normalizedText(item.text).isEmpty())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("a memory needs some text"));
    if ((item.scope == MemoryScope::Global) != item.scopeKey.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         item.scope == MemoryScope::Global
                                 ? QStringLiteral("a global memory has no agent or session")
                                 : QStringLiteral("a %1 memory needs the %1 it belongs to")
                                           .arg(memoryScopeName(item.scope)));
    return {};
}

QString marks(int n)
{
    QStringList m;
    for (int i = 0; i < n; ++i)
        m.append(QStringLiteral("?"));
    return m.join(QLatin1Char(','));
}

} // namespace

MemoryStore::MemoryStore(JournalStore &journal) : m_journal(journal) {}

Result<std::optional<qint64>> MemoryStore::findDuplicate(const MemoryItem &item, qint64 exceptId) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT id FROM memory_items WHERE scope = ? AND scope_key = ? "
                                           "AND source_ref = ? AND content_hash = ? AND id != ?"),
                            {memoryScopeName(item.scope), item.scopeKey, item.sourceRef,
                             MemoryItem::hashText(item.text), exceptId});
    if (!q)
        return q.error();
    if (q->next())
        return std::optional<qint64>(q->value(0).toLongLong());
    return std::optional<qint64>();
}

Result<MemoryItem> MemoryStore::add(const MemoryItem &draft)
{
    if (Status s = checkItem(draft); !s)
        return s.error();
    auto dup = findDuplicate(draft, 0);
    if (!dup)
        return dup.error();
    if (*dup)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("memory %1 already holds this text").arg(**dup));
    const qint64 t = draft.createdAt > 0 ? draft.createdAt : now();
    auto q = m_journal.exec(
            QStringLiteral("INSERT INTO memory_items(text, source, source_ref, chunk, heading, scope, "
                           "scope_key, tags, pinned, created_at, updated_at, expires_at, "
                           "content_hash, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                           "RETURNING id"),
            {MemoryItem::normalizedText(draft.text), memorySourceName(draft.source), draft.sourceRef,
             draft.chunk >= 0 ? QVariant(draft.chunk) : QVariant(), draft.heading,
             memoryScopeName(draft.scope), draft.scopeKey, tagsJson(draft.tags), draft.pinned ? 1 : 0,
             t, t, nullable(draft.expiresAt), MemoryItem::hashText(draft.text),
             draft.runId.isEmpty() ? QVariant() : QVariant(draft.runId)});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::Storage, QStringLiteral("storing the memory returned no id"));
    const qint64 id = q->value(0).toLongLong();
    q->finish();
    return get(id);
}

Result<MemoryItem> MemoryStore::get(qint64 id) const
{
    auto list = items({id});
    if (!list)
        return list.error();
    if (list->isEmpty())
        return makeError(ErrorCode::NotFound, QStringLiteral("no memory %1").arg(id));
    return list->constFirst();
}

Result<QList<MemoryItem>> MemoryStore::items(const QList<qint64> &ids, const QString &vectorModel) const
{
    QList<MemoryItem> out;
    // SQLite takes many binds, but a bounded statement keeps the prepared cache small.
    constexpr int kBatch = 200;
    for (int from = 0; from < ids.size(); from += kBatch) {
        const QList<qint64> part = ids.mid(from, kBatch);
        QVariantList binds{vectorModel};
        for (qint64 id : part)
            binds.append(id);
        auto q = m_journal.exec(QStringLiteral("SELECT %1 FROM memory_items m WHERE m.id IN (%2)")
                                        .arg(kColumns, marks(int(part.size()))),
                                binds);
        if (!q)
            return q.error();
        QHash<qint64, MemoryItem> byId;
        while (q->next()) {
            MemoryItem m = readItem(*q);
            byId.insert(m.id, m);
        }
        for (qint64 id : part) {
            if (byId.contains(id))
                out.append(byId.value(id));
        }
    }
    return out;
}

Result<QList<MemoryItem>> MemoryStore::list(const MemoryFilter &filter, const QString &vectorModel) const
{
    QString sql = QStringLiteral("SELECT %1 FROM memory_items m").arg(kColumns);
    QVariantList binds{vectorModel};
    QStringList where;
    const QString match = MemoryTokenizer::ftsAllWords(filter.text);
    if (!match.isEmpty()) {
        where.append(QStringLiteral("m.id IN (SELECT rowid FROM memory_fts WHERE memory_fts MATCH ?)"));
        binds.append(match);
    }
    if (filter.scope) {
        where.append(QStringLiteral("m.scope = ?"));
        binds.append(memoryScopeName(*filter.scope));
        if (!filter.scopeKey.isEmpty()) {
            where.append(QStringLiteral("m.scope_key = ?"));
            binds.append(filter.scopeKey);
        }
    }
    if (filter.source) {
        where.append(QStringLiteral("m.source = ?"));
        binds.append(memorySourceName(*filter.source));
    }
    if (!filter.tag.isEmpty()) {
        where.append(QStringLiteral("EXISTS (SELECT 1 FROM json_each(m.tags) WHERE value = ?)"));
        binds.append(filter.tag);
    }
    if (filter.pinnedOnly)
        where.append(QStringLiteral("m.pinned = 1"));
    if (!filter.includeExpired) {
        where.append(QStringLiteral("(m.expires_at IS NULL OR m.expires_at > ?)"));
        binds.append(now());
    }
    if (!where.isEmpty())
        sql += QStringLiteral(" WHERE ") + where.join(QStringLiteral(" AND "));
    sql += QStringLiteral(" ORDER BY m.pinned DESC, m.created_at DESC, m.id DESC LIMIT ? OFFSET ?");
    binds << (filter.limit < 0 ? -1 : filter.limit) << qMax(0, filter.offset);
    auto q = m_journal.exec(sql, binds);
    if (!q)
        return q.error();
    QList<MemoryItem> out;
    while (q->next())
        out.append(readItem(*q));
    return out;
}

Result<MemoryItem> MemoryStore::update(const MemoryItem &item)
{
    if (Status s = checkItem(item); !s)
        return s.error();
    auto current = get(item.id);
    if (!current)
        return current.error();
    MemoryItem merged = item;
    merged.sourceRef = current->sourceRef;
    auto dup = findDuplicate(merged, item.id);
    if (!dup)
        return dup.error();
    if (*dup)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("memory %1 already holds this text").arg(**dup));
    auto q = m_journal.exec(
            QStringLiteral("UPDATE memory_items SET text = ?, scope = ?, scope_key = ?, tags = ?, "
                           "pinned = ?, expires_at = ?, content_hash = ?, updated_at = ? WHERE id = ?"),
            {MemoryItem::normalizedText(item.text), memoryScopeName(item.scope), item.scopeKey,
             tagsJson(item.tags), item.pinned ? 1 : 0, nullable(item.expiresAt),
             MemoryItem::hashText(item.text), now(), item.id});
    if (!q)
        return q.error();
    return get(item.id);
}

Status MemoryStore::remove(qint64 id)
{
    auto q = m_journal.exec(QStringLiteral("DELETE FROM memory_items WHERE id = ?"), {id});
    if (!q)
        return q.error();
    if (q->numRowsAffected() == 0)
        return makeError(ErrorCode::NotFound, QStringLiteral("no memory %1").arg(id));
    return {};
}

Result<qint64> MemoryStore::count(bool includeExpired) const
{
    auto q = includeExpired
            ? m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM memory_items"))
            : m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM memory_items WHERE expires_at IS NULL "
                                            "OR expires_at > ?"),
                             {now()});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Result<int> MemoryStore::purgeExpired(qint64 t)
{
    auto q = m_journal.exec(QStringLiteral("DELETE FROM memory_items WHERE expires_at IS NOT NULL AND "
                                           "expires_at <= ?"),
                            {t});
    if (!q)
        return q.error();
    return q->numRowsAffected();
}

// --- vectors ----------------------------------------------------------------------------------

Result<QList<MemoryStore::PendingText>> MemoryStore::withoutVector(const QString &model, int limit) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT m.id, m.text, m.content_hash FROM memory_items m "
                                           "WHERE NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE "
                                           "v.item_id = m.id AND v.model = ?) ORDER BY m.id LIMIT ?"),
                            {model, limit});
    if (!q)
        return q.error();
    QList<PendingText> out;
    while (q->next())
        out.append(PendingText{q->value(0).toLongLong(), q->value(1).toString(), q->value(2).toString()});
    return out;
}

Result<qint64> MemoryStore::countWithoutVector(const QString &model) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM memory_items m WHERE NOT EXISTS "
                                           "(SELECT 1 FROM memory_vectors v WHERE v.item_id = m.id "
                                           "AND v.model = ?)"),
                            {model});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Result<int> MemoryStore::putVectors(const QString &model, int dimension, const QList<Vector> &vectors)
{
    int stored = 0;
    Status s = m_journal.transaction([&]() -> Status {
        for (const Vector &v : vectors) {
            if (v.floats.size() != qsizetype(dimension) * 4)
                return makeError(ErrorCode::InvalidArgument,
                                 QStringLiteral("a vector of %1 bytes is not %2 floats")
                                         .arg(v.floats.size())
                                         .arg(dimension));
            // Only if the text is still the one embedded; an older vector is replaced.
            auto q = m_journal.execCached(
                    QStringLiteral("INSERT OR REPLACE INTO memory_vectors(item_id, model, dim, vector, "
                                   "created_at) SELECT id, ?, ?, ?, ? FROM memory_items WHERE id = ? "
                                   "AND content_hash = ?"),
                    {model, dimension, v.floats, now(), v.id, v.contentHash});
            if (!q)
                return q.error();
            stored += (*q)->numRowsAffected() > 0 ? 1 : 0;
            (*q)->finish();
        }
        return {};
    });
    if (!s)
        return s.error();
    return stored;
}

Result<qint64> MemoryStore::vectorCount(const QString &model) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM memory_vectors WHERE model = ?"), {model});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Result<int> MemoryStore::vectorDimension(const QString &model) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT dim FROM memory_vectors WHERE model = ? LIMIT 1"), {model});
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toInt() : 0;
}

Result<int> MemoryStore::dropVectorsExcept(const QString &model)
{
    auto q = m_journal.exec(QStringLiteral("DELETE FROM memory_vectors WHERE model != ?"), {model});
    if (!q)
        return q.error();
    return q->numRowsAffected();
}

Status MemoryStore::dropVector(qint64 id)
{
    return m_journal.exec(QStringLiteral("DELETE FROM memory_vectors WHERE item_id = ?"), {id}).error();
}

// --- the search index -------------------------------------------------------------------------

Status MemoryStore::forEachIndexRow(const QString &model, const QList<qint64> &ids,
                                    const std::function<void(const IndexRow &)> &visit) const
{
    const QString base = QStringLiteral(
            "SELECT m.id, m.text, m.tags, m.scope, m.scope_key, m.source, m.pinned, m.created_at, "
            "m.expires_at, v.dim, v.vector FROM memory_items m LEFT JOIN memory_vectors v ON "
            "v.item_id = m.id AND v.model = ?");
    auto readAll = [&](const QString &sql, const QVariantList &binds) -> Status {
        auto q = m_journal.exec(sql, binds);
        if (!q)
            return q.error();
        IndexRow row;
        while (q->next()) {
            row.id = q->value(0).toLongLong();
            row.text = q->value(1).toString();
            row.tags = q->value(2).toString();
            row.scope = parseMemoryScope(q->value(3).toString()).value_or(MemoryScope::Global);
            row.scopeKey = q->value(4).toString();
            row.source = parseMemorySource(q->value(5).toString()).value_or(MemorySource::User);
            row.pinned = q->value(6).toInt() != 0;
            row.createdAt = q->value(7).toLongLong();
            row.expiresAt = q->value(8).isNull() ? 0 : q->value(8).toLongLong();
            row.dimension = q->value(9).isNull() ? 0 : q->value(9).toInt();
            row.vector = row.dimension > 0 ? q->value(10).toByteArray() : QByteArray();
            visit(row);
        }
        return {};
    };
    if (ids.isEmpty())
        return readAll(base + QStringLiteral(" ORDER BY m.id"), {model});
    constexpr int kBatch = 200;
    for (int from = 0; from < ids.size(); from += kBatch) {
        const QList<qint64> part = ids.mid(from, kBatch);
        QVariantList binds{model};
        for (qint64 id : part)
            binds.append(id);
        if (Status s = readAll(base + QStringLiteral(" WHERE m.id IN (%1)").arg(marks(int(part.size()))),
                               binds);
            !s)
            return s;
    }
    return {};
}

Result<qint64> MemoryStore::lastChange() const
{
    auto q = m_journal.execCached(QStringLiteral("SELECT COALESCE(MAX(seq), 0) FROM memory_changes"));
    if (!q)
        return q.error();
    const qint64 seq = (*q)->next() ? (*q)->value(0).toLongLong() : 0;
    (*q)->finish();
    return seq;
}

Result<qint64> MemoryStore::firstChange() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COALESCE(MIN(seq), 0) FROM memory_changes"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Result<QList<qint64>> MemoryStore::changedSince(qint64 seq, qint64 upTo) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT DISTINCT item_id FROM memory_changes WHERE seq > ? "
                                           "AND seq <= ?"),
                            {seq, upTo});
    if (!q)
        return q.error();
    QList<qint64> ids;
    while (q->next())
        ids.append(q->value(0).toLongLong());
    return ids;
}

Status MemoryStore::pruneChanges(qint64 keep)
{
    return m_journal.exec(QStringLiteral("DELETE FROM memory_changes WHERE seq <= "
                                         "(SELECT MAX(seq) FROM memory_changes) - ?"),
                          {keep})
            .error();
}

// --- documents --------------------------------------------------------------------------------

Result<std::optional<MemoryStore::Document>> MemoryStore::document(const QString &path) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT path, root, file_hash, bytes, chunks, imported_at "
                                           "FROM memory_documents WHERE path = ?"),
                            {path});
    if (!q)
        return q.error();
    if (!q->next())
        return std::optional<Document>();
    return std::optional<Document>(Document{q->value(0).toString(), q->value(1).toString(),
                                            q->value(2).toString(), q->value(3).toLongLong(),
                                            q->value(4).toInt(), q->value(5).toLongLong()});
}

Result<QList<MemoryStore::Document>> MemoryStore::documentsUnder(const QString &root) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT path, root, file_hash, bytes, chunks, imported_at "
                                           "FROM memory_documents WHERE root = ? ORDER BY path"),
                            {root});
    if (!q)
        return q.error();
    QList<Document> out;
    while (q->next())
        out.append(Document{q->value(0).toString(), q->value(1).toString(), q->value(2).toString(),
                            q->value(3).toLongLong(), q->value(4).toInt(), q->value(5).toLongLong()});
    return out;
}

Result<qint64> MemoryStore::documentCount() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM memory_documents"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Result<int> MemoryStore::replaceDocument(const Document &document, const QList<MemoryItem> &chunks)
{
    int stored = 0;
    Status s = m_journal.transaction([&]() -> Status {
        // The trigger takes the file's old chunks with its row.
        if (Status f = forgetDocument(document.path); !f)
            return f;
        for (const MemoryItem &chunk : chunks) {
            auto added = add(chunk);
            if (!added) {
                if (added.error().code == ErrorCode::Conflict)
                    continue; // the same passage twice in one file
                return added.error();
            }
            ++stored;
        }
        return m_journal
                .exec(QStringLiteral("INSERT INTO memory_documents(path, root, file_hash, bytes, chunks, "
                                     "imported_at) VALUES (?, ?, ?, ?, ?, ?)"),
                      {document.path, document.root, document.fileHash, document.bytes, stored, now()})
                .error();
    });
    if (!s)
        return s.error();
    return stored;
}

Status MemoryStore::forgetDocument(const QString &path)
{
    return m_journal.exec(QStringLiteral("DELETE FROM memory_documents WHERE path = ?"), {path}).error();
}

} // namespace Spool
