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
    // A run given in part: its input and reply, and as many of its last tool calls (each with
    // its output) as fitted.
    struct TrimmedRun
    {
        QString runId;
        int messagesDropped = 0;
        int tokensDropped = 0;
        bool textCut = false; // the input or the reply itself had to be shortened
    };

    QList<ChatMessage> messages; // oldest first
    QStringList runsUsed;
    int runsDropped = 0;
    int tokenEstimate = 0;
    QList<TrimmedRun> trimmed;

    QJsonObject toJson() const;
};

// Rebuilds a session's earlier turns from the tape alone (SPEC §2): inputs, assistant
// messages, tool calls with their outputs. Runs are kept newest first until the token budget
// is spent; the run that does not fit whole is trimmed inside (its input and reply kept, its
// oldest tool calls dropped first, each call always with its output) instead of being dropped,
// so one oversized run never costs the whole history.
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
    // One run's messages cut down to `budget` tokens: the leading input and the final reply
    // stay, the tool-call turns between them go oldest first. With `cutText`, an input or
    // reply that alone is too long is shortened (with a note saying so). Empty when even that
    // does not fit.
    static QList<ChatMessage> trimRun(const QList<ChatMessage> &messages, int budget, bool cutText,
                                      ConversationContext::TrimmedRun *report = nullptr);
    static int tokensOf(const QList<ChatMessage> &messages);
    // The user message an `input` event records.
    static ChatMessage inputMessage(const TapeEvent &input);
    // One of the earlier turns an input carries (`prior_turns`: system, user or assistant text).
    static ChatMessage priorTurn(const QJsonObject &turn);
    // The conversation of these runs, in this order, as messagesFromTape() reads each (a run
    // adopted by another process gets back the earlier turns it was given).
    Result<QList<ChatMessage>> messagesOfRuns(const QStringList &runIds, int toolOutputCap = -1) const;

    // The text of the run before `beforeOrdinal`: its input and its reply, for the memory
    // query of the next run. Empty when there is none (or after a reset).
    Result<QString> lastTurnText(const QString &sessionId, int contextFloor, int beforeOrdinal) const;

    // Runs of one session with floor < ordinal < before.
    struct Segment
    {
        QString sessionId;
        int floor = 0;
        int before = 0;
    };
    // Where a session's context comes from, newest first: its own runs, then for a fork not
    // reset since, its parent's up to the fork, and so on up the chain.
    Result<QList<Segment>> segments(const QString &sessionId, int contextFloor,
                                    int beforeOrdinal) const;

private:
    const JournalStore &m_journal;
};

} // namespace Spool
