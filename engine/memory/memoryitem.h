#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

namespace Spool {

// Who a memory item is for: every run, the runs of one agent, or the runs of one session.
enum class MemoryScope { Global, Agent, Session };
// Where it came from: typed by the user, retained by the agent's memory.retain tool, a chunk
// of an imported file, or saved from a run's reply.
enum class MemorySource { User, Agent, File, Run };

QString memoryScopeName(MemoryScope scope);
std::optional<MemoryScope> parseMemoryScope(const QString &name);
QString memorySourceName(MemorySource source);
std::optional<MemorySource> parseMemorySource(const QString &name);

// One thing Spool remembers (SPEC §7). `id` is the journal's row id: never reused, so a
// forgotten id cannot come to mean another item.
struct MemoryItem
{
    qint64 id = 0;
    QString text;
    MemorySource source = MemorySource::User;
    QString sourceRef;   // File: the file's absolute path; otherwise empty
    int chunk = -1;      // File: the chunk's index in the file
    QString heading;     // File: the heading path the chunk sits under ("Setup > Staging")
    MemoryScope scope = MemoryScope::Global;
    QString scopeKey;    // Agent: the agent's name; Session: the session id; Global: empty
    QStringList tags;
    bool pinned = false;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
    qint64 expiresAt = 0; // 0: never
    QString contentHash;  // sha256 of the text: the same text is stored once per scope
    QString runId;        // the run that created it (memory.retain, saved replies)
    bool hasVector = false; // for the current embedding model

    bool isValid() const { return id > 0; }
    // "global", "agent:NAME", "session:ID"
    QString scopeLabel() const;
    QString snippet(int maxChars = 160) const;
    QJsonObject toJson() const;

    // sha256 of the text as stored (trimmed, line ends normalised).
    static QString hashText(const QString &text);
    // The text as stored: trimmed, CRLF and CR as LF.
    static QString normalizedText(const QString &text);
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::MemoryItem)
