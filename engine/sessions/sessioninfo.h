#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace Spool {

// A conversation with an agent. `id` is a ULID; `key` an optional alias unique among live
// sessions.
struct SessionInfo
{
    QString id;
    QString key;
    QString title;
    QString titleSource; // "none", "auto" (from the first message) or "user"
    QString principal;
    QString deviceId;
    QString agent;
    QString model;       // per-session model override; empty means the agent's model
    QString workspace;
    qint64 createdAt = 0;
    qint64 updatedAt = 0;
    qint64 lastActivityAt = 0;
    qint64 archivedAt = 0; // 0 while live
    int contextFloor = 0;  // runs with ordinal <= this are not given to the model (reset)
    int runCount = 0;
    // A fork: its context is the parent's runs up to forkOrdinal (a link, not a copy), then
    // its own runs.
    QString parentSessionId;
    int forkOrdinal = 0;

    bool isFork() const { return !parentSessionId.isEmpty(); }

    bool isValid() const { return !id.isEmpty(); }
    bool isArchived() const { return archivedAt != 0; }
    QString displayName() const;
    QJsonObject toJson() const;
};

struct SessionFilter
{
    enum class Archived { Exclude, Include, Only };
    Archived archived = Archived::Exclude;
    QString search; // full text over inputs and replies, plus titles and keys
    QString principal;
    int limit = -1;
};

// Which session a caller means: by id, by key, or both (they must agree).
struct SessionSelector
{
    QString id;
    QString key;
};

struct SessionResolution
{
    SessionInfo session;
    bool created = false;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::SessionInfo)
