#pragma once

#include "providers/chatmessage.h"
#include "sessions/sessioninfo.h"

#include <QList>
#include <QMetaType>
#include <QString>

namespace Spool {

// What a front end asks for when the user sends a message.
struct RunRequest
{
    SessionSelector session;
    bool createSession = true;
    QString agent;  // empty: the session's agent, or the default agent for a new session
    QString provider; // empty: the agent's; set for direct tool runs (deterministic)
    QString text;
    QList<Attachment> attachments;
    QString source; // "cli", "gui", "api": recorded with the input
    // Earlier turns the caller holds rather than the session: a client of the OpenAI-compatible
    // API sends its whole conversation with every request. System, user and assistant text only,
    // oldest first. They reach the model after the session's own earlier runs and before `text`,
    // and are recorded on the run's `input` event (`prior_turns`), so the tape alone still
    // rebuilds the conversation for the session's later runs.
    QList<ChatMessage> priorTurns;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::RunRequest)
