#pragma once

#include "core/result.h"
#include "providers/chatmessage.h"

#include <QList>
#include <QString>

namespace Spool {

class JournalStore;

// Attachment contents in the journal, by sha256: each content stored once however often it is
// sent, referred to by the runs whose input carries it, and removed with its last reference
// (a trigger of the schema does that, so deleting a session frees its contents).
class AttachmentStore
{
public:
    explicit AttachmentStore(JournalStore &journal);

    // Stores the contents (when new) and refers to them from the run's input, in order. Each
    // attachment must carry its data, mime, size and hash (AttachmentIntake fills them).
    Status attach(const QString &runId, const QList<Attachment> &attachments);
    // The content and what is known of it (its mime, its size); `name` is left empty.
    Result<Attachment> get(const QString &sha256) const;
    // Fills `data` of every attachment the journal holds; the others stay without.
    Status load(QList<Attachment> &attachments) const { return load(m_journal, attachments); }
    static Status load(const JournalStore &journal, QList<Attachment> &attachments);
    // The same for every message's attachments (a context sent to the model again).
    static Status load(const JournalStore &journal, QList<ChatMessage> &messages);
    Result<qint64> contentCount() const;
    Result<qint64> referenceCount() const;

private:
    JournalStore &m_journal;
};

} // namespace Spool
