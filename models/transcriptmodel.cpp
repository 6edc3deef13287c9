#include "transcriptmodel.h"

#include "client/engineclient.h"

#include <QJsonArray>

#include <climits>

namespace Spool {

namespace {

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

} // namespace

TranscriptModel::TranscriptModel(EngineClient *engine, QObject *parent)
    : QAbstractListModel(parent), m_engine(engine)
{
    m_shortTimer.setSingleShot(true);
    m_longTimer.setSingleShot(true);
    connect(&m_shortTimer, &QTimer::timeout, this, &TranscriptModel::flushDeltas);
    connect(&m_longTimer, &QTimer::timeout, this, &TranscriptModel::flushDeltas);
    if (m_engine)
        connect(m_engine, &EngineClient::toolProgress, this, &TranscriptModel::applyProgress);
}

void TranscriptModel::applyProgress(const QString &runId, const QString &callId, double progress, double total,
                                    const QString &message)
{
    const int row = findTool(m_entries, runId, callId);
    if (row < 0)
        return;
    TranscriptEntry &e = m_entries[row];
    if (e.toolState != QLatin1String("running") && e.toolState != QLatin1String("requested"))
        return;
    e.progress = progress;
    e.progressTotal = total;
    e.progressMessage = message;
    changed(row);
}

int TranscriptModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_entries.size());
}

QVariant TranscriptModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const TranscriptEntry &e = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case TextRole: return e.kind == TranscriptEntry::Kind::ToolCall ? e.tool : e.text;
    case EntryRole: return QVariant::fromValue(e);
    case KindRole: return int(e.kind);
    case StreamingRole: return e.streaming;
    case RunIdRole: return e.runId;
    case ToolStateRole: return e.toolState;
    default: return {};
    }
}

QHash<int, QByteArray> TranscriptModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(EntryRole, "entry");
    names.insert(KindRole, "kind");
    names.insert(TextRole, "text");
    names.insert(StreamingRole, "streaming");
    names.insert(RunIdRole, "runId");
    names.insert(ToolStateRole, "toolState");
    return names;
}

void TranscriptModel::setSession(const QString &sessionId)
{
    ++m_generation;
    m_shortTimer.stop();
    m_longTimer.stop();
    m_dirtyRows.clear();
    beginResetModel();
    m_sessionId = sessionId;
    m_entries.clear();
    m_runIds.clear();
    m_lastSeq.clear();
    m_pending.clear();
    m_lastKind.clear();
    m_ended.clear();
    m_hasEarlier = false;
    m_firstOrdinal = 0;
    endResetModel();
    if (!sessionId.isEmpty())
        loadPage(INT_MAX, false);
}

void TranscriptModel::loadEarlier()
{
    if (m_hasEarlier && !m_loading)
        loadPage(m_firstOrdinal, true);
}

void TranscriptModel::loadPage(int beforeOrdinal, bool prepend)
{
    if (!m_engine)
        return;
    m_loading = true;
    const QString session = m_sessionId;
    const int generation = m_generation;
    m_engine->call(
            this,
            [session, beforeOrdinal](Engine &g) {
                return g.inspection().transcript(session, beforeOrdinal, kRunsPerPage);
            },
            [this, generation, prepend](Result<SessionTranscript> t) {
                if (generation != m_generation)
                    return;
                m_loading = false;
                if (t)
                    applyTranscript(*t, prepend);
                const QList<Pending> pending = std::exchange(m_pending, {});
                for (const Pending &p : pending) {
                    if (p.event.kind.isEmpty())
                        appendDelta(p.runId, p.text);
                    else
                        applyEvent(p.event);
                }
                emit loaded();
            });
}

void TranscriptModel::applyTranscript(const SessionTranscript &t, bool prepend)
{
    QList<TranscriptEntry> built;
    for (const RunInfo &r : t.runs)
        m_runIds.insert(r.id);
    // A fork's first page starts with its parent's runs: a notice marks where the branch begins.
    QSet<QString> inherited;
    for (int i = 0; i < t.inherited && i < t.runs.size(); ++i)
        inherited.insert(t.runs.at(i).id);
    bool branchNoted = inherited.isEmpty();
    qint64 lastAt = 0;
    auto noteBranch = [&] {
        TranscriptEntry notice;
        notice.kind = TranscriptEntry::Kind::Notice;
        notice.noticeKind = QStringLiteral("branch");
        notice.at = lastAt;
        notice.text = tr("This branch starts here. The runs above belong to the session it was forked "
                         "from; its model sees them as the start of this conversation.");
        built.append(notice);
        branchNoted = true;
    };
    for (const TapeEvent &e : t.events) {
        if (!branchNoted && !inherited.contains(e.runId))
            noteBranch();
        lastAt = e.createdAt;
        if (e.seq <= m_lastSeq.value(e.runId))
            continue;
        apply(built, e, false);
        m_lastSeq[e.runId] = e.seq;
        m_lastKind[e.runId] = e.kind;
        if (e.kind == TapeKind::Input && t.omitted.value(e.runId) > 0) {
            TranscriptEntry notice;
            notice.kind = TranscriptEntry::Kind::Notice;
            notice.noticeKind = QStringLiteral("omitted");
            notice.runId = e.runId;
            notice.at = e.createdAt;
            notice.text = tr("%1 earlier steps of this run are not shown here; its tape has every one.")
                                  .arg(t.omitted.value(e.runId));
            built.append(notice);
        }
    }
    if (!branchNoted)
        noteBranch();
    for (const RunInfo &r : t.runs) {
        if (r.isTerminal())
            m_ended.insert(r.id);
    }
    if (!t.runs.isEmpty()) {
        m_firstOrdinal = t.runs.constFirst().ordinal;
        m_hasEarlier = t.hasEarlier;
    }
    if (built.isEmpty())
        return;
    if (prepend) {
        beginInsertRows({}, 0, int(built.size()) - 1);
        m_entries = built + m_entries;
        endInsertRows();
        QSet<int> shifted;
        for (int row : std::as_const(m_dirtyRows))
            shifted.insert(row + int(built.size()));
        m_dirtyRows = shifted;
    } else {
        // The first page: entries that arrived live while it loaded go after it.
        beginInsertRows({}, int(m_entries.size()), int(m_entries.size() + built.size()) - 1);
        m_entries.append(built);
        endInsertRows();
    }
}

void TranscriptModel::refreshFromJournal()
{
    if (!m_engine || m_sessionId.isEmpty() || m_loading)
        return;
    const QString session = m_sessionId;
    const int generation = m_generation;
    m_engine->call(
            this, [session](Engine &g) { return g.inspection().transcript(session, INT_MAX, 5); },
            [this, generation](Result<SessionTranscript> t) {
                if (generation != m_generation || !t)
                    return;
                for (const RunInfo &r : t->runs)
                    m_runIds.insert(r.id);
                for (const TapeEvent &e : t->events)
                    applyEvent(e);
            });
}

void TranscriptModel::applyRun(const RunInfo &run)
{
    if (run.sessionId == m_sessionId)
        m_runIds.insert(run.id);
}

void TranscriptModel::applyEvent(const TapeEvent &event)
{
    if (m_loading && !m_sessionId.isEmpty()) {
        m_pending.append(Pending{event, {}, {}});
        return;
    }
    if (!m_runIds.contains(event.runId) || event.seq <= m_lastSeq.value(event.runId))
        return;
    m_lastSeq[event.runId] = event.seq;
    m_lastKind[event.runId] = event.kind;
    if (event.kind == TapeKind::RunStatus) {
        const QString state = event.payload.value(QStringLiteral("state")).toString();
        if (state == QLatin1String("succeeded") || state == QLatin1String("failed")
            || state == QLatin1String("cancelled"))
            m_ended.insert(event.runId);
    }
    apply(m_entries, event, true);
}

bool TranscriptModel::acceptsDelta(const QString &runId) const
{
    // Deltas belong to an open provider call: never after its response, never after the end.
    const QString last = m_lastKind.value(runId);
    return m_runIds.contains(runId) && !m_ended.contains(runId)
            && last != TapeKind::ProviderResponse && last != TapeKind::AssistantMessage;
}

int TranscriptModel::findTool(const QList<TranscriptEntry> &entries, const QString &runId,
                              const QString &callId) const
{
    for (int i = int(entries.size()) - 1; i >= 0; --i) {
        const TranscriptEntry &e = entries.at(i);
        if (e.kind == TranscriptEntry::Kind::ToolCall && e.runId == runId && e.callId == callId)
            return i;
    }
    return -1;
}

int TranscriptModel::streamingRow(const QString &runId) const
{
    for (int i = int(m_entries.size()) - 1; i >= 0; --i) {
        const TranscriptEntry &e = m_entries.at(i);
        if (e.runId != runId)
            continue;
        if (e.kind == TranscriptEntry::Kind::Assistant && e.streaming)
            return i;
        return -1; // something came after the open message: a new one starts
    }
    return -1;
}

void TranscriptModel::changed(int row, const QList<int> &roles)
{
    const QModelIndex i = index(row);
    emit dataChanged(i, i, roles.isEmpty() ? QList<int>{EntryRole} : roles);
}

void TranscriptModel::insertEntry(QList<TranscriptEntry> &entries, const TranscriptEntry &entry, bool live)
{
    if (live) {
        const int row = int(m_entries.size());
        beginInsertRows({}, row, row);
        m_entries.append(entry);
        endInsertRows();
    } else {
        entries.append(entry);
    }
}

void TranscriptModel::apply(QList<TranscriptEntry> &entries, const TapeEvent &event, bool live)
{
    const QJsonObject &p = event.payload;
    auto update = [&](int row, const std::function<void(TranscriptEntry &)> &change) {
        if (row < 0)
            return;
        change(entries[row]);
        if (live) {
            m_dirtyRows.remove(row);
            changed(row, {EntryRole, TextRole, StreamingRole, ToolStateRole});
        }
    };

    if (event.kind == TapeKind::Input) {
        TranscriptEntry e;
        e.kind = TranscriptEntry::Kind::User;
        e.runId = event.runId;
        e.text = str(p, "text");
        e.attachments = p.value(QStringLiteral("attachments")).toArray();
        e.at = event.createdAt;
        insertEntry(entries, e, live);
    } else if (event.kind == TapeKind::Context) {
        const QJsonArray hits = p.value(QStringLiteral("memory_hits")).toArray();
        if (hits.isEmpty())
            return;
        for (int row = int(entries.size()) - 1; row >= 0; --row) {
            if (entries.at(row).kind == TranscriptEntry::Kind::User && entries.at(row).runId == event.runId) {
                update(row, [&](TranscriptEntry &e) { e.memoryHits = hits; });
                break;
            }
        }
    } else if (event.kind == TapeKind::ProviderResponse) {
        const QString text = str(p, "text");
        const QJsonObject usage = p.value(QStringLiteral("usage")).toObject();
        auto setUsage = [&](TranscriptEntry &e) {
            e.promptTokens = usage.value(QStringLiteral("prompt")).toInteger(-1);
            e.completionTokens = usage.value(QStringLiteral("completion")).toInteger(-1);
            e.model = str(p, "model");
        };
        int row = -1;
        if (live) {
            row = streamingRow(event.runId);
            if (row >= 0)
                m_dirtyRows.remove(row);
        }
        if (row >= 0 && text.isEmpty()) {
            beginRemoveRows({}, row, row); // a turn that only called tools
            m_entries.removeAt(row);
            endRemoveRows();
        } else if (row >= 0) {
            update(row, [&](TranscriptEntry &e) {
                e.text = text;
                e.streaming = false;
                setUsage(e);
            });
        } else if (!text.isEmpty()) {
            TranscriptEntry e;
            e.kind = TranscriptEntry::Kind::Assistant;
            e.runId = event.runId;
            e.text = text;
            e.at = event.createdAt;
            setUsage(e);
            insertEntry(entries, e, live);
        }
    } else if (event.kind == TapeKind::AssistantMessage) {
        // Only a partial one adds anything: a complete reply came with its provider.response.
        if (!p.value(QStringLiteral("partial")).toBool())
            return;
        const int row = live ? streamingRow(event.runId) : -1;
        if (row >= 0) {
            update(row, [&](TranscriptEntry &e) {
                e.text = str(p, "text");
                e.streaming = false;
                e.partial = true;
            });
        } else {
            TranscriptEntry e;
            e.kind = TranscriptEntry::Kind::Assistant;
            e.runId = event.runId;
            e.text = str(p, "text");
            e.partial = true;
            e.at = event.createdAt;
            insertEntry(entries, e, live);
        }
    } else if (event.kind == TapeKind::ToolCall) {
        TranscriptEntry e;
        e.kind = TranscriptEntry::Kind::ToolCall;
        e.runId = event.runId;
        e.callId = str(p, "call_id");
        e.tool = str(p, "tool");
        e.arguments = p.value(QStringLiteral("arguments")).toObject();
        e.toolState = QStringLiteral("requested");
        e.at = event.createdAt;
        e.argumentsError = str(p, "arguments_error");
        e.server = str(p, "server");
        insertEntry(entries, e, live);
    } else if (event.kind == TapeKind::PolicyDecision) {
        const QString decision = str(p, "decision");
        update(findTool(entries, event.runId, str(p, "call_id")), [&](TranscriptEntry &e) {
            e.explanation = str(p, "explanation");
            e.toolState = decision == QLatin1String("allow") ? QStringLiteral("running")
                    : decision == QLatin1String("deny")      ? QStringLiteral("denied")
                                                             : QStringLiteral("waiting");
        });
    } else if (event.kind == TapeKind::ApprovalRequest) {
        update(findTool(entries, event.runId, str(p, "call_id")), [&](TranscriptEntry &e) {
            e.approvalId = str(p, "approval_id");
            e.toolState = QStringLiteral("waiting");
        });
    } else if (event.kind == TapeKind::ApprovalDecision) {
        const QString decision = str(p, "decision");
        update(findTool(entries, event.runId, str(p, "call_id")), [&](TranscriptEntry &e) {
            e.decision = decision;
            QString detail = str(p, "decided_by");
            if (!str(p, "scope").isEmpty())
                detail = str(p, "scope") + QStringLiteral(", ") + detail;
            e.decisionDetail = detail;
            e.toolState = decision == QLatin1String("allow") ? QStringLiteral("running")
                    : decision == QLatin1String("deny")      ? QStringLiteral("denied")
                                                             : decision;
        });
    } else if (event.kind == TapeKind::ToolOutput) {
        update(findTool(entries, event.runId, str(p, "call_id")), [&](TranscriptEntry &e) {
            e.output = str(p, "output");
            e.truncated = p.value(QStringLiteral("truncated")).toBool();
            e.exitCode = p.value(QStringLiteral("exit_code")).isDouble()
                    ? p.value(QStringLiteral("exit_code")).toInt() : -1;
            e.durationMs = p.value(QStringLiteral("duration_ms")).toInteger();
            e.sandbox = str(p, "sandbox");
            e.progress = -1;
            e.images.clear();
            for (const QJsonValue &item : p.value(QStringLiteral("content")).toArray()) {
                const QJsonObject o = item.toObject();
                if (str(o, "type") == QLatin1String("image") && o.contains(QStringLiteral("data")))
                    e.images.append(ToolImage{str(o, "mime_type"), str(o, "data").toLatin1()});
            }
            const bool ok = p.value(QStringLiteral("ok")).toBool();
            if (e.toolState == QLatin1String("running") || e.toolState == QLatin1String("requested"))
                e.toolState = ok ? QStringLiteral("ok") : QStringLiteral("failed");
        });
    } else if (event.kind == TapeKind::ProviderError) {
        TranscriptEntry e;
        e.kind = TranscriptEntry::Kind::Notice;
        e.runId = event.runId;
        e.errorClass = str(p, "error_class");
        e.at = event.createdAt;
        if (p.value(QStringLiteral("retry_delay_ms")).isDouble()) {
            e.noticeKind = QStringLiteral("retrying");
            e.text = tr("%1 Retrying in %2 s.")
                             .arg(str(p, "message"))
                             .arg(QLocale().toString(p.value(QStringLiteral("retry_delay_ms")).toDouble() / 1000.0, 'f', 1));
        } else {
            e.noticeKind = QStringLiteral("error");
            e.text = str(p, "message");
        }
        insertEntry(entries, e, live);
    } else if (event.kind == TapeKind::RunStatus) {
        const QString state = str(p, "state");
        if (state != QLatin1String("succeeded") && state != QLatin1String("failed")
            && state != QLatin1String("cancelled"))
            return;
        // The run is over: whatever streamed stays, but stops streaming.
        for (int i = int(entries.size()) - 1; i >= 0; --i) {
            if (entries.at(i).runId == event.runId && entries.at(i).streaming)
                update(i, [](TranscriptEntry &e) { e.streaming = false; });
        }
        if (state == QLatin1String("succeeded"))
            return;
        const QString reason = str(p, "reason");
        TranscriptEntry e;
        e.kind = TranscriptEntry::Kind::Notice;
        e.runId = event.runId;
        e.at = event.createdAt;
        e.errorClass = str(p, "error_class");
        if (state == QLatin1String("cancelled")) {
            e.noticeKind = QStringLiteral("cancelled");
            e.text = str(p, "detail").isEmpty() ? tr("Stopped.") : str(p, "detail");
        } else {
            e.noticeKind = reason == QLatin1String("interrupted") ? QStringLiteral("interrupted")
                                                                  : QStringLiteral("error");
            e.text = str(p, "detail").isEmpty() ? reason : str(p, "detail");
            // A provider failure already has its notice: fold the run's end into it.
            if (reason == QLatin1String("provider_error") && !entries.isEmpty()
                && entries.constLast().runId == event.runId
                && entries.constLast().kind == TranscriptEntry::Kind::Notice) {
                update(int(entries.size()) - 1, [&](TranscriptEntry &n) {
                    n.noticeKind = QStringLiteral("error");
                    n.text = e.text;
                });
                return;
            }
        }
        insertEntry(entries, e, live);
    }
}

void TranscriptModel::appendDelta(const QString &runId, const QString &text)
{
    if (text.isEmpty())
        return;
    if (m_loading && !m_sessionId.isEmpty()) {
        m_pending.append(Pending{{}, runId, text});
        return;
    }
    if (!acceptsDelta(runId))
        return;
    int row = streamingRow(runId);
    if (row < 0) {
        TranscriptEntry e;
        e.kind = TranscriptEntry::Kind::Assistant;
        e.runId = runId;
        e.streaming = true;
        e.text = text;
        row = int(m_entries.size());
        beginInsertRows({}, row, row);
        m_entries.append(e);
        endInsertRows();
        return;
    }
    m_entries[row].text += text;
    m_dirtyRows.insert(row);
    m_shortTimer.start(10);
    if (!m_longTimer.isActive())
        m_longTimer.start(40);
}

void TranscriptModel::flushDeltas()
{
    m_shortTimer.stop();
    m_longTimer.stop();
    const QSet<int> rows = std::exchange(m_dirtyRows, {});
    for (int row : rows) {
        if (row < m_entries.size())
            changed(row, {TextRole, EntryRole});
    }
}

} // namespace Spool
