#include "api/runeventrouter.h"

#include "api/runlistener.h"
#include "client/engineclient.h"
#include "core/logging.h"

namespace Spool {

namespace {

// Kept signals are only those of runs started in the moment before their start answers; a
// bound keeps a storm of other runs' signals from piling up meanwhile.
constexpr int kMaxKept = 20000;

} // namespace

RunListener::~RunListener() = default;

RunEventRouter::RunEventRouter(EngineClient &client, QObject *parent) : QObject(parent)
{
    // The window's own runs pass here too: skipped at the cost of a lookup unless someone
    // follows the run or a start is on its way.
    connect(&client, &EngineClient::runUpdated, this, [this](const RunInfo &run) {
        if (wanted(run.id))
            deliver(run.id, [run](RunListener *l) { l->runUpdated(run); });
    });
    connect(&client, &EngineClient::tapeAppended, this, [this](const TapeEvent &event) {
        if (wanted(event.runId))
            deliver(event.runId, [event](RunListener *l) { l->tapeAppended(event); });
    });
    connect(&client, &EngineClient::textDelta, this, [this](const QString &runId, const QString &text) {
        if (wanted(runId))
            deliver(runId, [text](RunListener *l) { l->textDelta(text); });
    });
    connect(&client, &EngineClient::approvalRequested, this, [this](const PendingToolApproval &a) {
        if (wanted(a.runId))
            deliver(a.runId, [a](RunListener *l) { l->approvalRequested(a); });
    });
    connect(&client, &EngineClient::approvalResolved, this, [this](const PendingToolApproval &a) {
        if (wanted(a.runId))
            deliver(a.runId, [a](RunListener *l) { l->approvalResolved(a); });
    });
}

RunEventRouter::~RunEventRouter() = default;

void RunEventRouter::beginStart()
{
    ++m_startsPending;
}

void RunEventRouter::endStart(const QString &runId, RunListener *listener)
{
    m_startsPending = qMax(0, m_startsPending - 1);
    const QList<Delivery> kept = m_kept.take(runId);
    m_keptCount -= int(kept.size());
    if (listener && !runId.isEmpty()) {
        for (const Delivery &d : kept)
            d(listener);
        follow(runId, listener);
    }
    if (m_startsPending == 0) {
        m_kept.clear();
        m_keptCount = 0;
    }
}

void RunEventRouter::follow(const QString &runId, RunListener *listener)
{
    if (!m_listeners.contains(runId, listener))
        m_listeners.insert(runId, listener);
}

void RunEventRouter::unfollow(const QString &runId, RunListener *listener)
{
    m_listeners.remove(runId, listener);
}

void RunEventRouter::deliver(const QString &runId, const Delivery &delivery)
{
    const auto range = m_listeners.equal_range(runId);
    if (range.first != range.second) {
        // A listener may stop following (or end) while it is told: tell a copy.
        const QList<RunListener *> listeners(range.first, range.second);
        for (RunListener *l : listeners) {
            if (m_listeners.contains(runId, l))
                delivery(l);
        }
        return;
    }
    if (m_startsPending > 0 && m_keptCount < kMaxKept) {
        m_kept[runId].append(delivery);
        ++m_keptCount;
    }
}

} // namespace Spool
