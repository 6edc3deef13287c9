#pragma once

#include "core/result.h"
#include "journal/tapeevent.h"
#include "providers/chatmessage.h"

#include <QJsonObject>
#include <QList>
#include <QStringList>

namespace Spool {

class JournalStore;

struct ConversationContext
{
    QList<ChatMessage> messages; // oldest first
    QStringList runsUsed;
    int runsDropped = 0;
    int tokenEstimate = 0;

    QJsonObject toJson() const;
};

// Rebuilds a session's earlier turns from the tape alone (SPEC §2): inputs, assistant
// messages, tool calls with their outputs. Whole runs are kept newest first until the token
// budget is spent, so a tool call is never separated from its output.
class ContextBuilder
{
public:
    explicit ContextBuilder(const JournalStore &journal);

    // Runs of the session with contextFloor < ordinal < beforeOrdinal.
    // Tool outputs are cut to toolOutputCap characters, as the model saw them live.
    Result<ConversationContext> build(const QString &sessionId, int contextFloor,
                                      int beforeOrdinal, int tokenBudget,
                                      int toolOutputCap = -1) const;

    // The conversation one run's tape records: its input, then each assistant turn with the
    // outputs of its tool calls. An assistant turn whose calls lack outputs (the run stopped
    // mid-way) is left out, with everything after it.
    static QList<ChatMessage> messagesFromTape(const QList<TapeEvent> &events,
                                               int toolOutputCap = -1);

private:
    const JournalStore &m_journal;
};

} // namespace Spool
