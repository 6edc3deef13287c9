#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace Spool {

// How memory stands: what is stored, which embedding model is in use and how far its vectors
// are, and the last thing that went wrong (an embeddings server that failed, a bad vector).
struct MemoryStatus
{
    bool enabled = true;
    qint64 items = 0;
    qint64 documents = 0;        // imported files
    QString embeddingModel;      // "provider/model"; empty: none configured, search is lexical
    int dimension = 0;           // of the stored vectors, once known
    qint64 vectors = 0;          // items with a vector of the current model
    bool indexing = false;       // vectors being computed in the background
    QString lastError;           // empty when the last embedding batch worked
    QString searchMode() const;  // "hybrid" or "lexical"

    QJsonObject toJson() const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::MemoryStatus)
