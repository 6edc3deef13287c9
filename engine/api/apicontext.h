#pragma once

#include <QHash>
#include <QJsonObject>
#include <QString>

namespace Spool {

class ConversationIndex;
class EngineClient;
class RunEventRouter;

// What the local API counts, for GET /api/v1/status and the settings page.
struct ApiCounters
{
    qint64 requests = 0;
    qint64 refused = 0;
    QHash<QString, qint64> refusals; // by error code: invalid_api_key, host_not_allowed, ...
    qint64 runsStarted = 0;
    qint64 clientDisconnects = 0; // runs cancelled because their client went away
    int activeStreams = 0;

    QJsonObject toJson() const;
};

// What the local API's routes and jobs share: the engine (only ever through EngineClient),
// the run signals by run id, the chat conversations it answered, and its counters.
struct ApiContext
{
    EngineClient &client;
    RunEventRouter &events;
    ConversationIndex &conversations;
    ApiCounters &counters;
    QString defaultAgent; // for model "spool" and for sessions the API creates; empty: the engine's
};

} // namespace Spool
