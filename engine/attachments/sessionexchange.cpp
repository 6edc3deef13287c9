#include "attachments/sessionexchange.h"

#include "attachments/attachmentintake.h"
#include "sessions/sessiondesk.h"
#include "sessions/sessionstore.h"
#include "core/ulid.h"
#include "journal/journalstore.h"
#include "journal/tapeevent.h"
#include "providers/attachmentkind.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QSqlQuery>

#include <algorithm>
#include <functional>

namespace Spool {

namespace {

const QString kFormat = QStringLiteral("spool-export");

QJsonValue orNull(qint64 v)
{
    return v ? QJsonValue(v) : QJsonValue();
}

QByteArray compact(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

// `o` written without its closing brace, so that a streamed array can follow as its last member.
QByteArray openObject(const QJsonObject &o)
{
    QByteArray text = compact(o);
    text.chop(1);
    if (!o.isEmpty())
        text += ',';
    return text;
}

bool write(QIODevice &out, const QByteArray &bytes)
{
    return out.write(bytes) == bytes.size();
}

Error writeError(const QIODevice &out)
{
    return makeError(ErrorCode::Storage,
                     QStringLiteral("cannot write the export: %1").arg(out.errorString()));
}

QJsonObject sessionJson(const SessionInfo &s, int forkFloor)
{
    return QJsonObject{
        {QStringLiteral("id"), s.id},
        {QStringLiteral("key"), s.key.isEmpty() ? QJsonValue() : QJsonValue(s.key)},
        {QStringLiteral("title"), s.title},
        {QStringLiteral("title_source"), s.titleSource},
        {QStringLiteral("agent"), s.agent},
        {QStringLiteral("model"), s.model},
        {QStringLiteral("workspace"), s.workspace},
        {QStringLiteral("created_at"), s.createdAt},
        {QStringLiteral("updated_at"), s.updatedAt},
        {QStringLiteral("last_activity_at"), s.lastActivityAt},
        {QStringLiteral("archived_at"), orNull(s.archivedAt)},
        {QStringLiteral("context_floor"), s.contextFloor},
        {QStringLiteral("parent_session_id"), s.isFork() ? QJsonValue(s.parentSessionId) : QJsonValue()},
        {QStringLiteral("fork_ordinal"), s.forkOrdinal},
        {QStringLiteral("fork_floor"), forkFloor},
    };
}

// A file name that stays inside the folder it is written to.
QString safeFileName(const QString &name)
{
    QString out;
    for (const QChar c : name)
        out += (c.isLetterOrNumber() || c == QLatin1Char('.') || c == QLatin1Char('-')
                || c == QLatin1Char('_'))
                ? c
                : QLatin1Char('_');
    while (out.startsWith(QLatin1Char('.')))
        out.remove(0, 1);
    return out.isEmpty() ? QStringLiteral("attachment") : out.left(120);
}

QString quoteLines(const QString &text)
{
    QStringList lines = text.split(QLatin1Char('\n'));
    for (QString &l : lines)
        l.prepend(QStringLiteral("> "));
    return lines.join(QLatin1Char('\n'));
}

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
}

} // namespace

struct SessionExchange::RunRow
{
    QJsonObject fields; // everything but the tape and the attachment references
    QString id;
    int ordinal = 0;
    QString state;
};

SessionExchange::SessionExchange(JournalStore &journal) : m_journal(journal) {}

Result<QList<SessionExchange::RunRow>> SessionExchange::runsOf(const QString &sessionId) const
{
    auto q = m_journal.exec(
            QStringLiteral("SELECT id, ordinal, agent, provider, model, state, reason, detail, "
                           "input_preview, created_at, started_at, ended_at, prompt_tokens, "
                           "completion_tokens FROM runs WHERE session_id = ? ORDER BY ordinal"),
            {sessionId});
    if (!q)
        return q.error();
    QList<RunRow> out;
    while (q->next()) {
        RunRow r;
        r.id = q->value(0).toString();
        r.ordinal = q->value(1).toInt();
        r.state = q->value(5).toString();
        r.fields = QJsonObject{
            {QStringLiteral("id"), r.id},
            {QStringLiteral("ordinal"), r.ordinal},
            {QStringLiteral("agent"), q->value(2).toString()},
            {QStringLiteral("provider"), q->value(3).toString()},
            {QStringLiteral("model"), q->value(4).toString()},
            {QStringLiteral("state"), r.state},
            {QStringLiteral("reason"), q->value(6).toString()},
            {QStringLiteral("detail"), q->value(7).toString()},
            {QStringLiteral("input_preview"), q->value(8).toString()},
            {QStringLiteral("created_at"), q->value(9).toLongLong()},
            {QStringLiteral("started_at"), q->value(10).isNull() ? QJsonValue() : QJsonValue(q->value(10).toLongLong())},
            {QStringLiteral("ended_at"), q->value(11).isNull() ? QJsonValue() : QJsonValue(q->value(11).toLongLong())},
            {QStringLiteral("prompt_tokens"), q->value(12).toLongLong()},
            {QStringLiteral("completion_tokens"), q->value(13).toLongLong()},
        };
        out.append(r);
    }
    return out;
}

Result<QList<SessionInfo>> SessionExchange::exportOrder(const ExportRequest &request,
                                                        const SessionDesk &sessions)
{
    QList<SessionInfo> chosen;
    if (request.all) {
        SessionFilter filter;
        filter.archived = SessionFilter::Archived::Include;
        auto all = sessions.list(filter);
        if (!all)
            return all.error();
        chosen = *all;
        // Oldest first, so that a fork's parent comes before it.
        std::sort(chosen.begin(), chosen.end(), [](const SessionInfo &a, const SessionInfo &b) {
            return a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.id < b.id;
        });
    } else {
        if (request.sessions.isEmpty())
            return makeError(ErrorCode::InvalidArgument, QStringLiteral("no session to export"));
        for (const QString &idOrKey : request.sessions) {
            auto s = sessions.find(idOrKey);
            if (!s)
                return s.error();
            chosen.append(*s);
        }
    }
    // A fork goes with the sessions its context links to, placed before it.
    QList<SessionInfo> ordered;
    QSet<QString> placed;
    std::function<Status(const SessionInfo &)> place = [&](const SessionInfo &s) -> Status {
        if (placed.contains(s.id))
            return {};
        if (s.isFork()) {
            auto parent = sessions.store().byId(s.parentSessionId);
            if (!parent)
                return parent.error();
            if (Status p = place(*parent); !p)
                return p;
        }
        placed.insert(s.id);
        ordered.append(s);
        return {};
    };
    for (const SessionInfo &s : std::as_const(chosen)) {
        if (Status p = place(s); !p)
            return p.error();
    }
    return ordered;
}

Result<ExportReport> SessionExchange::exportSessions(const QList<SessionInfo> &sessions,
                                                     ExportRequest::Format format,
                                                     const QString &path, QIODevice *device) const
{
    ExportReport report;
    report.path = path;
    if (path.isEmpty()) {
        if (!device)
            return makeError(ErrorCode::InvalidArgument, QStringLiteral("no file to export to"));
        Status s = format == ExportRequest::Format::Json ? writeJson(sessions, *device, report)
                                                         : writeMarkdown(sessions, *device, QString(), report);
        if (!s)
            return s.error();
        return report;
    }
    // Written beside and renamed into place: a failed export leaves no half file.
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    const QFileInfo info(path);
    const QString filesDir = info.absolutePath() + QLatin1Char('/') + info.completeBaseName()
            + QStringLiteral(".files");
    Status s = format == ExportRequest::Format::Json ? writeJson(sessions, file, report)
                                                     : writeMarkdown(sessions, file, filesDir, report);
    if (!s) {
        file.cancelWriting();
        return s.error();
    }
    if (!file.commit())
        return makeError(ErrorCode::Storage,
                         QStringLiteral("cannot write %1: %2").arg(path, file.errorString()));
    report.files.prepend(info.absoluteFilePath());
    report.bytes = QFileInfo(path).size();
    return report;
}

Status SessionExchange::writeJson(const QList<SessionInfo> &sessions, QIODevice &out,
                                  ExportReport &report) const
{
    QStringList blobs; // in order of first use
    QSet<QString> seen;
    if (!write(out, openObject(QJsonObject{{QStringLiteral("format"), kFormat},
                                           {QStringLiteral("version"), kFormatVersion}})
                            + "\"sessions\":[\n"))
        return writeError(out);
    for (int si = 0; si < sessions.size(); ++si) {
        const SessionInfo &s = sessions.at(si);
        int forkFloor = 0;
        if (s.isFork()) {
            auto q = m_journal.exec(QStringLiteral("SELECT fork_floor FROM sessions WHERE id = ?"), {s.id});
            if (!q)
                return q.error();
            forkFloor = q->next() ? q->value(0).toInt() : 0;
        }
        auto runs = runsOf(s.id);
        if (!runs)
            return runs.error();
        if (!write(out, (si ? ",\n" : "") + openObject(sessionJson(s, forkFloor)) + "\"runs\":[\n"))
            return writeError(out);
        for (int ri = 0; ri < runs->size(); ++ri) {
            const RunRow &run = runs->at(ri);
            QJsonObject fields = run.fields;
            auto refs = m_journal.exec(QStringLiteral("SELECT position, sha256, name FROM attachment_refs "
                                                      "WHERE run_id = ? ORDER BY position"),
                                       {run.id});
            if (!refs)
                return refs.error();
            QJsonArray attachments;
            while (refs->next()) {
                const QString sha = refs->value(1).toString();
                attachments.append(QJsonObject{{QStringLiteral("position"), refs->value(0).toInt()},
                                               {QStringLiteral("sha256"), sha},
                                               {QStringLiteral("name"), refs->value(2).toString()}});
                if (!seen.contains(sha)) {
                    seen.insert(sha);
                    blobs.append(sha);
                }
            }
            fields.insert(QStringLiteral("attachments"), attachments);
            if (!write(out, (ri ? ",\n" : "") + openObject(fields) + "\"tape\":[\n"))
                return writeError(out);
            auto tape = m_journal.tape(run.id);
            if (!tape)
                return tape.error();
            for (int ei = 0; ei < tape->size(); ++ei) {
                const TapeEvent &e = tape->at(ei);
                const QJsonObject event{{QStringLiteral("seq"), e.seq},
                                        {QStringLiteral("kind"), e.kind},
                                        {QStringLiteral("created_at"), e.createdAt},
                                        {QStringLiteral("payload"), e.payload}};
                if (!write(out, (ei ? ",\n" : "") + compact(event)))
                    return writeError(out);
            }
            report.events += int(tape->size());
            if (!write(out, "]}"))
                return writeError(out);
        }
        report.runs += int(runs->size());
        if (!write(out, "]}"))
            return writeError(out);
    }
    report.sessions = int(sessions.size());
    if (!write(out, "],\n\"attachments\":[\n"))
        return writeError(out);
    for (int i = 0; i < blobs.size(); ++i) {
        auto q = m_journal.exec(QStringLiteral("SELECT mime, bytes, data FROM attachment_blobs WHERE sha256 = ?"),
                                {blobs.at(i)});
        if (!q)
            return q.error();
        if (!q->next())
            return makeError(ErrorCode::Storage,
                             QStringLiteral("attachment %1 is referred to but missing").arg(blobs.at(i)));
        const QJsonObject blob{{QStringLiteral("sha256"), blobs.at(i)},
                               {QStringLiteral("mime"), q->value(0).toString()},
                               {QStringLiteral("bytes"), q->value(1).toLongLong()},
                               {QStringLiteral("data"), QString::fromLatin1(q->value(2).toByteArray().toBase64())}};
        if (!write(out, (i ? ",\n" : "") + compact(blob)))
            return writeError(out);
    }
    report.attachments = int(blobs.size());
    if (!write(out, "]}\n"))
        return writeError(out);
    return {};
}

Status SessionExchange::writeMarkdown(const QList<SessionInfo> &sessions, QIODevice &out,
                                      const QString &filesDir, ExportReport &report) const
{
    QHash<QString, QString> written; // sha256 -> file name relative to the export
    for (const SessionInfo &s : sessions) {
        QString head = QStringLiteral("# %1\n\n_Session `%2` · agent %3 · started %4_\n")
                               .arg(s.title.isEmpty() ? s.displayName() : s.title, s.id, s.agent,
                                    isoTime(s.createdAt));
        if (s.isFork())
            head += QStringLiteral("\n_Forked from session `%1` at run %2: its context starts "
                                   "with that session's runs up to there._\n")
                            .arg(s.parentSessionId)
                            .arg(s.forkOrdinal);
        if (!write(out, head.toUtf8()))
            return writeError(out);
        auto runs = runsOf(s.id);
        if (!runs)
            return runs.error();
        for (const RunRow &run : std::as_const(*runs)) {
            auto events = m_journal.tape(run.id, 1, -1,
                                         {QStringLiteral("input"), QStringLiteral("tool.call"),
                                          QStringLiteral("assistant.message")});
            if (!events)
                return events.error();
            QString text;
            for (const TapeEvent &e : std::as_const(*events)) {
                if (e.kind == TapeKind::Input) {
                    text += QStringLiteral("\n## %1 · You · %2\n\n%3\n")
                                    .arg(run.ordinal)
                                    .arg(isoTime(e.createdAt), e.payload.value(QStringLiteral("text")).toString());
                    const QJsonArray list = e.payload.value(QStringLiteral("attachments")).toArray();
                    for (const QJsonValue &v : list) {
                        const Attachment a = attachmentFromJson(v.toObject());
                        QString target = written.value(a.sha256);
                        if (target.isEmpty() && !filesDir.isEmpty()) {
                            auto content = m_journal.exec(
                                    QStringLiteral("SELECT data FROM attachment_blobs WHERE sha256 = ?"),
                                    {a.sha256});
                            if (!content)
                                return content.error();
                            if (content->next()) {
                                if (!QDir().mkpath(filesDir))
                                    return makeError(ErrorCode::Storage,
                                                     QStringLiteral("cannot create %1").arg(filesDir));
                                const QString name = a.sha256.left(12) + QLatin1Char('-') + safeFileName(a.name);
                                QSaveFile file(filesDir + QLatin1Char('/') + name);
                                if (!file.open(QIODevice::WriteOnly)
                                    || file.write(content->value(0).toByteArray()) < 0 || !file.commit())
                                    return makeError(ErrorCode::Storage,
                                                     QStringLiteral("cannot write %1: %2")
                                                             .arg(file.fileName(), file.errorString()));
                                target = QFileInfo(filesDir).fileName() + QLatin1Char('/') + name;
                                written.insert(a.sha256, target);
                                report.files.append(file.fileName());
                                ++report.attachments;
                            }
                        }
                        const QString label = QStringLiteral("%1 (%2, %3)")
                                                      .arg(a.name, a.mime, AttachmentIntake::sizeText(a.bytes));
                        if (target.isEmpty())
                            text += QStringLiteral("\n- Attached: %1, sha256 `%2`\n").arg(label, a.sha256);
                        else if (isImageAttachment(a))
                            text += QStringLiteral("\n![%1](<%2>)\n").arg(label, target);
                        else
                            text += QStringLiteral("\n- Attached: [%1](<%2>)\n").arg(label, target);
                    }
                } else if (e.kind == TapeKind::ToolCall) {
                    text += QStringLiteral("\n_Tool `%1` called._\n")
                                    .arg(e.payload.value(QStringLiteral("tool")).toString());
                } else {
                    text += QStringLiteral("\n## %1 · Assistant\n\n%2\n")
                                    .arg(run.ordinal)
                                    .arg(e.payload.value(QStringLiteral("text")).toString());
                }
            }
            if (run.state != QLatin1String("succeeded")) {
                QString note = QStringLiteral("Run %1 %2").arg(run.ordinal).arg(run.state);
                const QString detail = run.fields.value(QStringLiteral("detail")).toString();
                if (!detail.isEmpty())
                    note += QStringLiteral(": ") + detail;
                text += QStringLiteral("\n%1\n").arg(quoteLines(note));
            }
            report.events += int(events->size());
            if (!write(out, text.toUtf8()))
                return writeError(out);
        }
        report.runs += int(runs->size());
        if (!write(out, "\n"))
            return writeError(out);
    }
    report.sessions = int(sessions.size());
    return {};
}

Result<ImportReport> SessionExchange::importFile(const QString &path, const QString &principal,
                                                 const QString &deviceId, const QString &ownerInstance)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parseError);
    file.close();
    auto bad = [&path](const QString &why) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("%1 is not a Spool export: %2").arg(path, why));
    };
    if (parseError.error != QJsonParseError::NoError)
        return bad(QStringLiteral("%1 at offset %2").arg(parseError.errorString()).arg(parseError.offset));
    const QJsonObject root = doc.object();
    if (root.value(QStringLiteral("format")).toString() != kFormat)
        return bad(QStringLiteral("\"format\" is not \"%1\"").arg(kFormat));
    if (root.value(QStringLiteral("version")).toInt() != kFormatVersion)
        return bad(QStringLiteral("version %1 is not supported (this Spool reads version %2)")
                           .arg(root.value(QStringLiteral("version")).toInt())
                           .arg(kFormatVersion));

    ImportReport report;
    Status done = m_journal.transaction([&]() -> Status {
        auto exists = [this](const QString &table, const QString &id) -> Result<bool> {
            auto q = m_journal.exec(QStringLiteral("SELECT 1 FROM %1 WHERE id = ?").arg(table), {id});
            if (!q)
                return q.error();
            return q->next();
        };
        // Contents first: the runs' references need them.
        const QJsonArray blobs = root.value(QStringLiteral("attachments")).toArray();
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (const QJsonValue &v : blobs) {
            const QJsonObject b = v.toObject();
            const QString sha = b.value(QStringLiteral("sha256")).toString();
            const QByteArray data = QByteArray::fromBase64(b.value(QStringLiteral("data")).toString().toLatin1());
            if (AttachmentIntake::sha256Of(data) != sha)
                return bad(QStringLiteral("the content of attachment %1 does not match its sha256").arg(sha));
            auto q = m_journal.exec(QStringLiteral("INSERT INTO attachment_blobs(sha256, mime, bytes, data, created_at) "
                                                   "VALUES (?, ?, ?, ?, ?) ON CONFLICT(sha256) DO NOTHING"),
                                    {sha, b.value(QStringLiteral("mime")).toString(), qint64(data.size()), data, now});
            if (!q)
                return q.error();
        }
        QHash<QString, QString> sessionIds; // the file's -> this journal's
        const QJsonArray sessions = root.value(QStringLiteral("sessions")).toArray();
        for (const QJsonValue &sv : sessions) {
            const QJsonObject s = sv.toObject();
            const QString fileId = s.value(QStringLiteral("id")).toString();
            if (fileId.isEmpty())
                return bad(QStringLiteral("a session has no id"));
            auto taken = exists(QStringLiteral("sessions"), fileId);
            if (!taken)
                return taken.error();
            const QString id = *taken ? Ulid::generate() : fileId;
            sessionIds.insert(fileId, id);
            QVariant parent;
            const QString fileParent = s.value(QStringLiteral("parent_session_id")).toString();
            if (!fileParent.isEmpty()) {
                if (sessionIds.contains(fileParent)) {
                    parent = sessionIds.value(fileParent);
                } else {
                    auto present = exists(QStringLiteral("sessions"), fileParent);
                    if (!present)
                        return present.error();
                    if (!*present)
                        return bad(QStringLiteral("session %1 is a fork of %2, which is neither in "
                                                  "the file nor in this journal")
                                           .arg(fileId, fileParent));
                    parent = fileParent;
                }
            }
            // A key still used by a live session here is left off (the session keeps its id).
            QVariant key;
            const QString fileKey = s.value(QStringLiteral("key")).toString();
            if (!fileKey.isEmpty()) {
                auto q = m_journal.exec(QStringLiteral("SELECT 1 FROM sessions WHERE key = ? AND archived_at IS NULL"),
                                        {fileKey});
                if (!q)
                    return q.error();
                if (!q->next())
                    key = fileKey;
            }
            const qint64 archived = s.value(QStringLiteral("archived_at")).toInteger();
            auto insert = m_journal.exec(
                    QStringLiteral("INSERT INTO sessions(id, key, title, title_source, principal, device_id, "
                                   "agent, model, workspace, created_at, updated_at, last_activity_at, "
                                   "archived_at, context_floor, parent_session_id, fork_ordinal, fork_floor) "
                                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                    {id, key, s.value(QStringLiteral("title")).toString(),
                     s.value(QStringLiteral("title_source")).toString(QStringLiteral("none")), principal,
                     deviceId, s.value(QStringLiteral("agent")).toString(),
                     s.value(QStringLiteral("model")).toString(),
                     s.value(QStringLiteral("workspace")).toString(),
                     s.value(QStringLiteral("created_at")).toInteger(),
                     s.value(QStringLiteral("updated_at")).toInteger(),
                     s.value(QStringLiteral("last_activity_at")).toInteger(),
                     archived ? QVariant(archived) : QVariant(),
                     s.value(QStringLiteral("context_floor")).toInt(), parent,
                     s.value(QStringLiteral("fork_ordinal")).toInt(),
                     s.value(QStringLiteral("fork_floor")).toInt()});
            if (!insert)
                return insert.error();
            report.sessionIds.append(id);

            const QJsonArray runs = s.value(QStringLiteral("runs")).toArray();
            for (const QJsonValue &rv : runs) {
                const QJsonObject r = rv.toObject();
                const QString fileRun = r.value(QStringLiteral("id")).toString();
                auto runTaken = exists(QStringLiteral("runs"), fileRun);
                if (!runTaken)
                    return runTaken.error();
                const QString runId = (*runTaken || fileRun.isEmpty()) ? Ulid::generate() : fileRun;
                QString state = r.value(QStringLiteral("state")).toString();
                QString reason = r.value(QStringLiteral("reason")).toString();
                // No process of this journal owns a run that was still going when exported.
                if (state == QLatin1String("accepted") || state == QLatin1String("running")) {
                    state = QStringLiteral("failed");
                    reason = QStringLiteral("interrupted");
                }
                auto optional = [&r](const char *name) {
                    const QJsonValue v = r.value(QLatin1String(name));
                    return v.isNull() || v.isUndefined() ? QVariant() : QVariant(v.toInteger());
                };
                const qint64 created = r.value(QStringLiteral("created_at")).toInteger();
                auto run = m_journal.exec(
                        QStringLiteral("INSERT INTO runs(id, session_id, ordinal, agent, provider, model, "
                                       "state, reason, detail, input_preview, created_at, started_at, "
                                       "ended_at, owner_instance, heartbeat_at, prompt_tokens, "
                                       "completion_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                        {runId, id, r.value(QStringLiteral("ordinal")).toInt(),
                         r.value(QStringLiteral("agent")).toString(),
                         r.value(QStringLiteral("provider")).toString(),
                         r.value(QStringLiteral("model")).toString(), state, reason,
                         r.value(QStringLiteral("detail")).toString(),
                         r.value(QStringLiteral("input_preview")).toString(), created,
                         optional("started_at"), optional("ended_at"), ownerInstance, created,
                         r.value(QStringLiteral("prompt_tokens")).toInteger(),
                         r.value(QStringLiteral("completion_tokens")).toInteger()});
                if (!run)
                    return run.error();
                ++report.runs;
                const QJsonArray refs = r.value(QStringLiteral("attachments")).toArray();
                for (const QJsonValue &av : refs) {
                    const QJsonObject a = av.toObject();
                    auto ref = m_journal.exec(QStringLiteral("INSERT INTO attachment_refs(run_id, position, sha256, name) "
                                                             "VALUES (?, ?, ?, ?)"),
                                              {runId, a.value(QStringLiteral("position")).toInt(),
                                               a.value(QStringLiteral("sha256")).toString(),
                                               a.value(QStringLiteral("name")).toString()});
                    if (!ref)
                        return bad(QStringLiteral("run %1 refers to attachment %2, which the file does not hold")
                                           .arg(fileRun, a.value(QStringLiteral("sha256")).toString()));
                }
                const QJsonArray tape = r.value(QStringLiteral("tape")).toArray();
                qint64 expected = 1;
                for (const QJsonValue &ev : tape) {
                    const QJsonObject e = ev.toObject();
                    if (e.value(QStringLiteral("seq")).toInteger() != expected)
                        return bad(QStringLiteral("the tape of run %1 skips from %2").arg(fileRun).arg(expected - 1));
                    auto appended = m_journal.appendTape(runId, e.value(QStringLiteral("kind")).toString(),
                                                         e.value(QStringLiteral("payload")).toObject(),
                                                         e.value(QStringLiteral("created_at")).toInteger());
                    if (!appended)
                        return appended.error();
                    ++expected;
                    ++report.events;
                }
            }
        }
        report.attachments = int(blobs.size());
        return {};
    });
    if (!done)
        return done.error();
    return report;
}

} // namespace Spool
