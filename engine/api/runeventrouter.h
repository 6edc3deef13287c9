#pragma once

#include <QHash>
#include <QList>
#include <QMultiHash>
#include <QObject>
#include <QString>

#include <functional>

namespace Spool {

class EngineClient;
class RunListener;
struct PendingToolApproval;
struct RunInfo;
struct TapeEvent;

// Hands the engine's run signals (relayed by EngineClient) to the jobs that follow each run,
// by run id, at the cost of one lookup per signal however many runs are streaming.
//
// A run's first signals (accepted, its input) arrive before the answer to startRun that names
// it, because the engine sends them while it starts the run. So while a start is on its way
// (beginStart), signals of runs nobody follows yet are kept, and endStart hands those of the
// new run to its job before anything later: a stream never misses its run's beginning.
class RunEventRouter : public QObject
{
    Q_OBJECT
public:
    explicit RunEventRouter(EngineClient &client, QObject *parent = nullptr);
    ~RunEventRouter() override;

    void beginStart();
    // The start answered: `runId` (empty when it failed) is followed by `listener` (may be
    // null), which first gets what was kept for it.
    void endStart(const QString &runId, RunListener *listener);

    void follow(const QString &runId, RunListener *listener);
    void unfollow(const QString &runId, RunListener *listener);
    int followedRuns() const { return int(m_listeners.size()); }

private:
    using Delivery = std::function<void(RunListener *)>;
    bool wanted(const QString &runId) const { return m_startsPending > 0 || m_listeners.contains(runId); }
    void deliver(const QString &runId, const Delivery &delivery);

    QMultiHash<QString, RunListener *> m_listeners;
    int m_startsPending = 0;
    QHash<QString, QList<Delivery>> m_kept;
    int m_keptCount = 0;
};

} // namespace Spool
