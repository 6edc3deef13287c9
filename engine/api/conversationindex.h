#pragma once

#include "providers/chatmessage.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

#include <optional>

namespace Spool {

// Which session a chat client's conversation lives in. A client of /v1/chat/completions
// sends its whole conversation every time; when the messages before its new one are exactly
// a conversation this server answered (same agent, same texts in order, the reply as it was
// sent), the new message continues that session instead of starting another, so the window
// shows one session per conversation. One continuation per answered conversation: two
// clients sending the same history never share a session. Kept in memory, newest entries
// only; a conversation not found starts a new session with its messages as earlier turns.
class ConversationIndex
{
public:
    struct Entry
    {
        QString sessionId;
        QString runId; // the run that answered; the session must not have moved on since
    };

    static QByteArray fingerprint(const QString &agent, const QList<ChatMessage> &messages);

    // The session of this conversation, taken out of the index.
    std::optional<Entry> take(const QByteArray &fingerprint);
    void remember(const QByteArray &fingerprint, const Entry &entry);
    int size() const { return int(m_entries.size()); }

private:
    static constexpr int kCapacity = 1024;
    QHash<QByteArray, Entry> m_entries;
    QList<QByteArray> m_order; // oldest first
};

} // namespace Spool
