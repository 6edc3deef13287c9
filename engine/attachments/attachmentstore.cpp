#include "attachments/attachmentstore.h"

#include "journal/journalstore.h"

#include <QDateTime>
#include <QSqlQuery>

namespace Spool {

AttachmentStore::AttachmentStore(JournalStore &journal) : m_journal(journal) {}

Status AttachmentStore::attach(const QString &runId, const QList<Attachment> &attachments)
{
    if (attachments.isEmpty())
        return {};
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    return m_journal.transaction([&]() -> Status {
        for (int i = 0; i < attachments.size(); ++i) {
            const Attachment &a = attachments.at(i);
            if (a.sha256.size() != 64 || a.data.size() != a.bytes)
                return makeError(ErrorCode::Internal,
                                 QStringLiteral("attachment %1 was not checked before storing").arg(a.name));
            // The same content sent again is already there: only the reference is new.
            auto blob = m_journal.exec(
                    QStringLiteral("INSERT INTO attachment_blobs(sha256, mime, bytes, data, created_at) "
                                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING"),
                    {a.sha256, a.mime, a.bytes, a.data, now});
            if (!blob)
                return blob.error();
            auto ref = m_journal.exec(
                    QStringLiteral("INSERT INTO attachment_refs(run_id, position, sha256, name) "
                                   "VALUES (?, ?, ?, ?)"),
                    {runId, i, a.sha256, a.name});
            if (!ref)
                return ref.error();
        }
        return {};
    });
}

Result<Attachment> AttachmentStore::get(const QString &sha256) const
{
    auto q = m_journal.exec(
            QStringLiteral("SELECT mime, bytes, data FROM attachment_blobs WHERE sha256 = ?"),
            {sha256.toLower()});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("no attachment with sha256 %1 in the journal").arg(sha256));
    Attachment a;
    a.sha256 = sha256.toLower();
    a.mime = q->value(0).toString();
    a.bytes = q->value(1).toLongLong();
    a.data = q->value(2).toByteArray();
    return a;
}

Status AttachmentStore::load(const JournalStore &journal, QList<Attachment> &attachments)
{
    for (Attachment &a : attachments) {
        if (!a.data.isEmpty() || a.sha256.isEmpty())
            continue;
        auto q = journal.execCached(
                QStringLiteral("SELECT data FROM attachment_blobs WHERE sha256 = ?"), {a.sha256});
        if (!q)
            return q.error();
        if ((*q)->next())
            a.data = (*q)->value(0).toByteArray();
        (*q)->finish();
    }
    return {};
}

Status AttachmentStore::load(const JournalStore &journal, QList<ChatMessage> &messages)
{
    for (ChatMessage &m : messages) {
        if (Status loaded = load(journal, m.attachments); !loaded)
            return loaded;
    }
    return {};
}

Result<qint64> AttachmentStore::contentCount() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM attachment_blobs"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

Result<qint64> AttachmentStore::referenceCount() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM attachment_refs"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

} // namespace Spool
