#include "sessions/sessionstore.h"

#include "core/logging.h"
#include "core/ulid.h"
#include "journal/journalstore.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QSqlQuery>

namespace Spool {

namespace {

const QString kColumns = QStringLiteral(
        "s.id, s.key, s.title, s.title_source, s.principal, s.device_id, s.agent, s.model, "
        "s.workspace, s.created_at, s.updated_at, s.last_activity_at, s.archived_at, "
        "s.context_floor, (SELECT COUNT(*) FROM runs r WHERE r.session_id = s.id), "
        "s.parent_session_id, s.fork_ordinal");

SessionInfo readSession(const QSqlQuery &q)
{
    SessionInfo s;
    s.id = q.value(0).toString();
    s.key = q.value(1).toString();
    s.title = q.value(2).toString();
    s.titleSource = q.value(3).toString();
    s.principal = q.value(4).toString();
    s.deviceId = q.value(5).toString();
    s.agent = q.value(6).toString();
    s.model = q.value(7).toString();
    s.workspace = q.value(8).toString();
    s.createdAt = q.value(9).toLongLong();
    s.updatedAt = q.value(10).toLongLong();
    s.lastActivityAt = q.value(11).toLongLong();
    s.archivedAt = q.value(12).toLongLong();
    s.contextFloor = q.value(13).toInt();
    s.runCount = q.value(14).toInt();
    s.parentSessionId = q.value(15).toString();
    s.forkOrdinal = q.value(16).toInt();
    return s;
}

qint64 now()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// FTS5 query from user text: every word must appear, as a prefix; quotes neutralise syntax.
QString ftsQuery(const QString &text)
{
    QStringList terms;
    const QStringList words = text.split(QRegularExpression(QStringLiteral("\\s+")),
                                         Qt::SkipEmptyParts);
    for (QString w : words) {
        w.replace(QLatin1Char('"'), QStringLiteral("\"\""));
        terms.append(QLatin1Char('"') + w + QStringLiteral("\"*"));
    }
    return terms.join(QLatin1Char(' '));
}

} // namespace

SessionStore::SessionStore(JournalStore &journal) : m_journal(journal) {}

Status SessionStore::validateKey(const QString &key)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9._:-]{1,128}$"));
    if (!pattern.match(key).hasMatch()) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid session key \"%1\": use 1-128 characters of "
                                        "A-Z a-z 0-9 . _ : -")
                                 .arg(key.left(140)));
    }
    return {};
}

QString SessionStore::titleFromText(const QString &text)
{
    QString line = text.trimmed().section(QLatin1Char('\n'), 0, 0).simplified();
    constexpr int kMax = 60;
    if (line.size() > kMax) {
        line.truncate(kMax);
        const int space = line.lastIndexOf(QLatin1Char(' '));
        if (space > kMax / 2)
            line.truncate(space);
        line += QChar(0x2026);
    }
    return line;
}

Result<SessionInfo> SessionStore::create(const QString &key, const QString &principal,
                                         const QString &deviceId, const QString &agent)
{
    if (!key.isEmpty()) {
        if (Status s = validateKey(key); !s)
            return s.error();
    }
    const QString id = Ulid::generate();
    const qint64 t = now();
    auto q = m_journal.exec(
            QStringLiteral("INSERT INTO sessions(id, key, principal, device_id, agent, created_at, "
                           "updated_at, last_activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
            {id, key.isEmpty() ? QVariant() : QVariant(key), principal, deviceId, agent, t, t, t});
    if (!q) {
        if (!key.isEmpty() && byLiveKey(key)) {
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("session key \"%1\" is already in use").arg(key));
        }
        return q.error();
    }
    qCDebug(lcSessions) << "created session" << id << key;
    return byId(id);
}

Result<QList<SessionInfo>> SessionStore::query(const QString &where, const QVariantList &binds,
                                               const QString &tail) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT ") + kColumns
                                    + QStringLiteral(" FROM sessions s WHERE ") + where + tail,
                            binds);
    if (!q)
        return q.error();
    QList<SessionInfo> out;
    while (q->next())
        out.append(readSession(*q));
    return out;
}

Result<SessionInfo> SessionStore::single(const QString &where, const QVariantList &binds,
                                         const QString &notFound) const
{
    auto rows = query(where, binds, QStringLiteral(" LIMIT 2"));
    if (!rows)
        return rows.error();
    if (rows->isEmpty())
        return makeError(ErrorCode::NotFound, notFound);
    if (rows->size() > 1)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("%1 matches more than one session").arg(binds.value(0).toString()));
    return rows->constFirst();
}

Result<SessionInfo> SessionStore::byId(const QString &id) const
{
    return single(QStringLiteral("s.id = ?"), {id},
                  QStringLiteral("no session with id %1").arg(id));
}

Result<SessionInfo> SessionStore::byLiveKey(const QString &key) const
{
    return single(QStringLiteral("s.key = ? AND s.archived_at IS NULL"), {key},
                  QStringLiteral("no session with key \"%1\"").arg(key));
}

Result<SessionInfo> SessionStore::find(const QString &idOrKey) const
{
    if (Ulid::isValid(idOrKey)) {
        auto s = byId(idOrKey.toUpper());
        if (s || s.error().code != ErrorCode::NotFound)
            return s;
    }
    auto byKey = byLiveKey(idOrKey);
    if (byKey || byKey.error().code != ErrorCode::NotFound)
        return byKey;
    static const QRegularExpression idPrefix(QStringLiteral("^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{4,25}$"));
    if (idPrefix.match(idOrKey).hasMatch()) {
        auto prefixed = single(QStringLiteral("s.id LIKE ?"),
                               {QString(idOrKey.toUpper() + QLatin1Char('%'))}, QString());
        if (prefixed)
            return prefixed;
        if (prefixed.error().code == ErrorCode::InvalidArgument)
            return prefixed;
    }
    return makeError(ErrorCode::NotFound,
                     QStringLiteral("no session with id or key \"%1\"").arg(idOrKey));
}

Result<QList<SessionInfo>> SessionStore::list(const SessionFilter &filter) const
{
    QStringList where;
    QVariantList binds;
    switch (filter.archived) {
    case SessionFilter::Archived::Exclude: where.append(QStringLiteral("s.archived_at IS NULL")); break;
    case SessionFilter::Archived::Only: where.append(QStringLiteral("s.archived_at IS NOT NULL")); break;
    case SessionFilter::Archived::Include: break;
    }
    if (!filter.principal.isEmpty()) {
        where.append(QStringLiteral("s.principal = ?"));
        binds.append(filter.principal);
    }
    const QString text = filter.search.trimmed();
    if (!text.isEmpty()) {
        where.append(QStringLiteral(
                "(s.title LIKE ? ESCAPE '\\' OR s.key LIKE ? ESCAPE '\\' OR s.id IN "
                "(SELECT session_id FROM session_search WHERE session_search MATCH ?))"));
        QString like = text;
        like.replace(QLatin1Char('\\'), QStringLiteral("\\\\"))
                .replace(QLatin1Char('%'), QStringLiteral("\\%"))
                .replace(QLatin1Char('_'), QStringLiteral("\\_"));
        like = QLatin1Char('%') + like + QLatin1Char('%');
        binds << like << like << ftsQuery(text);
    }
    if (where.isEmpty())
        where.append(QStringLiteral("1"));
    QString tail = QStringLiteral(" ORDER BY s.last_activity_at DESC, s.id DESC");
    if (filter.limit >= 0)
        tail += QStringLiteral(" LIMIT %1").arg(filter.limit);
    return query(where.join(QStringLiteral(" AND ")), binds, tail);
}

Result<SessionInfo> SessionStore::rename(const QString &id, const QString &title)
{
    const QString clean = title.simplified();
    if (clean.isEmpty())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("a title cannot be empty"));
    if (clean.size() > 200)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("a title can have at most 200 characters"));
    auto q = m_journal.exec(QStringLiteral("UPDATE sessions SET title = ?, title_source = 'user', "
                                           "updated_at = ? WHERE id = ?"),
                            {clean, now(), id});
    if (!q)
        return q.error();
    return byId(id);
}

Status SessionStore::setAutoTitle(const QString &id, const QString &title)
{
    if (title.isEmpty())
        return {};
    return m_journal
            .exec(QStringLiteral("UPDATE sessions SET title = ?, title_source = 'auto', "
                                 "updated_at = ? WHERE id = ? AND title_source = 'none'"),
                  {title, now(), id})
            .error();
}

Result<SessionInfo> SessionStore::archive(const QString &id)
{
    auto s = byId(id);
    if (!s)
        return s;
    if (s->isArchived())
        return s;
    auto q = m_journal.exec(
            QStringLiteral("UPDATE sessions SET archived_at = ?, updated_at = ? WHERE id = ?"),
            {now(), now(), id});
    if (!q)
        return q.error();
    return byId(id);
}

Result<SessionInfo> SessionStore::restore(const QString &id)
{
    auto s = byId(id);
    if (!s || !s->isArchived())
        return s;
    if (!s->key.isEmpty()) {
        auto holder = byLiveKey(s->key);
        if (holder) {
            return makeError(ErrorCode::Conflict,
                             QStringLiteral("cannot restore: the key \"%1\" now belongs to "
                                            "session %2; rename or archive that one first")
                                     .arg(s->key, holder->id));
        }
    }
    auto q = m_journal.exec(
            QStringLiteral("UPDATE sessions SET archived_at = NULL, updated_at = ? WHERE id = ?"),
            {now(), id});
    if (!q)
        return q.error();
    return byId(id);
}

Status SessionStore::remove(const QString &id)
{
    auto s = byId(id);
    if (!s)
        return s.error();
    // A fork's context links to its parent's runs: the parent stays while forks need it.
    auto forks = m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM sessions WHERE parent_session_id = ?"),
                                {id});
    if (!forks)
        return forks.error();
    const int forkCount = forks->next() ? forks->value(0).toInt() : 0;
    if (forkCount > 0)
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("session %1 has %2 fork(s) whose context links to it; "
                                        "delete them first (or archive this one)")
                                 .arg(s->displayName())
                                 .arg(forkCount));
    // Runs, their tape, approvals and attachment references go with the session (ON DELETE
    // CASCADE); contents nothing refers to any more go with their last reference.
    return m_journal.transaction([&]() -> Status {
        return m_journal.exec(QStringLiteral("DELETE FROM sessions WHERE id = ?"), {id}).error();
    });
}

Status SessionStore::setForkOrigin(const QString &id, const QString &parentId, int ordinal,
                                   int floor)
{
    return m_journal.exec(QStringLiteral("UPDATE sessions SET parent_session_id = ?, fork_ordinal = ?, "
                                         "fork_floor = ? WHERE id = ?"),
                          {parentId, ordinal, floor, id})
            .error();
}

Result<SessionInfo> SessionStore::reset(const QString &id)
{
    auto q = m_journal.exec(
            QStringLiteral("UPDATE sessions SET context_floor = "
                           "(SELECT COALESCE(MAX(ordinal), 0) FROM runs WHERE session_id = ?), "
                           "updated_at = ? WHERE id = ?"),
            {id, now(), id});
    if (!q)
        return q.error();
    return byId(id);
}

Result<SessionInfo> SessionStore::setModel(const QString &id, const QString &model)
{
    auto q = m_journal.exec(
            QStringLiteral("UPDATE sessions SET model = ?, updated_at = ? WHERE id = ?"),
            {model, now(), id});
    if (!q)
        return q.error();
    return byId(id);
}

Result<SessionInfo> SessionStore::setWorkspace(const QString &id, const QString &folder)
{
    auto q = m_journal.exec(
            QStringLiteral("UPDATE sessions SET workspace = ?, updated_at = ? WHERE id = ?"),
            {folder, now(), id});
    if (!q)
        return q.error();
    return byId(id);
}

Status SessionStore::touch(const QString &id, qint64 when)
{
    return m_journal
            .exec(QStringLiteral("UPDATE sessions SET last_activity_at = ? WHERE id = ?"),
                  {when, id})
            .error();
}


Result<qint64> SessionStore::countLive() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT COUNT(*) FROM sessions WHERE archived_at IS NULL"));
    if (!q)
        return q.error();
    return q->next() ? q->value(0).toLongLong() : 0;
}

} // namespace Spool
