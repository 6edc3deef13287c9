#pragma once

#include "core/memorysettings.h"
#include "core/result.h"
#include "memory/memories.h"
#include "memory/memoryfilter.h"
#include "memory/memoryimportreport.h"
#include "memory/memoryitem.h"
#include "memory/memoryquery.h"
#include "memory/memoryrecall.h"
#include "memory/memorysearchresult.h"
#include "memory/memorystatus.h"

#include <QFuture>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>
#include <vector>

namespace Spool {

class JournalStore;
class MemoryEmbedder;
class MemoryIndex;
class MemoryStore;
class ProviderRegistry;

// Memory (SPEC §7): the items in the journal, ranked search over them (BM25 and, when an
// embedding model is configured, cosine similarity, fused by reciprocal rank, with recency and
// pins), the vectors computed in the background, document import, and what a run is given.
// Lives on the engine thread; answers that wait on the network or on a vector scan come back
// through callbacks there.
class MemoryService : public QObject, public Memories
{
    Q_OBJECT
public:
    MemoryService(JournalStore &journal, ProviderRegistry &providers, QObject *parent = nullptr);
    ~MemoryService() override;

    // The settings with their numbers in range, or why they cannot be used (an embedding
    // provider that does not exist, or no embedding model).
    Result<MemorySettings> checkSettings(MemorySettings settings) const;
    // Applies settings; a new embedding model drops the old vectors and computes new ones.
    void setSettings(const MemorySettings &settings);
    const MemorySettings &settings() const { return m_settings; }
    MemoryStore &store() { return *m_store; }

    Result<MemoryItem> add(const MemoryItem &draft) override;
    Result<MemoryItem> update(const MemoryItem &item) override;
    Status remove(qint64 id) override;
    Result<MemoryItem> get(qint64 id) const override;
    Result<QList<MemoryItem>> list(const MemoryFilter &filter = {}) const override;
    MemoryStatus status() const override;

    using SearchDone = std::function<void(const Result<MemorySearchResult> &result)>;
    // Ranked search. Hybrid when the query could be embedded and stored vectors exist;
    // otherwise lexical, and the result's note says why.
    void search(const MemoryQuery &query, QObject *context, SearchDone done);
    // search() answering on this object's thread, for as long as it lives.
    void search(const MemoryQuery &query, SearchDone done) override;
    // search() for a caller that has the query's vector already (benchmarks); empty: lexical.
    void searchWithVector(const MemoryQuery &query, std::vector<float> vector, QObject *context,
                          SearchDone done);
    using RecallDone = std::function<void(const MemoryRecall &recall)>;
    // What a run is given: the settings' top-k hits above their minimum score that fit
    // `tokenBudget`, as a fenced block of reference data. Never fails: a failure is a note.
    void recall(const MemoryQuery &query, QObject *context, RecallDone done);

    using ImportProgress = std::function<void(const MemoryImportProgress &progress)>;
    using ImportDone = std::function<void(const MemoryImportReport &report)>;
    // Imports files and folders (recursively: Markdown, text and code files), one file per
    // pass of the event loop. Unchanged files (same content hash) are left alone; files of an
    // imported folder that are gone are forgotten.
    void import(const QStringList &paths, QObject *context, ImportProgress progress, ImportDone done);
    void import(const QStringList &paths, ImportProgress progress, ImportDone done) override;

    // Computes, in the background, the vectors items lack for the current model.
    void scheduleIndexing();
    // Drops every vector and computes them again; the status follows the progress.
    Status reindex() override;

    // The fenced block of reference data a run is given for `hits`.
    static QString formatBlock(const QList<MemoryHit> &hits);
    // How long a search waits for the query's embedding before it goes on lexically.
    static constexpr int kQueryEmbeddingTimeoutMs = 4000;
    // Files larger than this are not imported.
    static constexpr qint64 kMaxFileBytes = 8 * 1024 * 1024;

    // For benchmarks and tests: the in-memory index's size and a synchronous sync.
    qint64 indexBytes() const;
    Status syncIndex();

signals:
    void itemsChanged();
    void statusChanged(const Spool::MemoryStatus &status);

private:
    struct SearchState;
    struct ImportJob;
    void runIndexed(const std::shared_ptr<SearchState> &state);
    void finishSearch(const std::shared_ptr<SearchState> &state);
    void nextWaiting();
    void indexNext();
    void importNext(const std::shared_ptr<ImportJob> &job);
    void setLastError(const QString &error);
    void announceStatus();

    JournalStore &m_journal;
    ProviderRegistry &m_providers;
    std::unique_ptr<MemoryStore> m_store;
    std::unique_ptr<MemoryIndex> m_index;
    std::unique_ptr<MemoryEmbedder> m_embedder;
    MemorySettings m_settings;

    bool m_scanning = false; // a vector scan reads the index on other threads
    QFuture<void> m_scan;
    std::deque<std::shared_ptr<SearchState>> m_waiting;
    bool m_indexing = false;
    QTimer m_retryIndexing;
    QString m_lastError;
    int m_indexGeneration = 0; // bumped when the model changes: late batches are dropped
};

} // namespace Spool
