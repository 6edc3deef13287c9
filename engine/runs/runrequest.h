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
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::RunRequest)
