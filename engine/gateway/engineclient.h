#pragma once

#include "gateway/gateway.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <functional>
#include <type_traits>

namespace Spool {

// The front ends' handle on the engine: starts the Gateway on its own QThread and relays its
// signals with queued connections. Work is sent to the engine thread with call(); the answer
// comes back on the caller's thread, and is dropped if the context object is gone by then.
// Nothing here blocks the caller's thread.
class EngineClient : public QObject
{
    Q_OBJECT
public:
    explicit EngineClient(const RuntimeConfig &config, QObject *parent = nullptr);
    ~EngineClient() override;

    // Starts the engine thread and opens the gateway; ends with ready() or startFailed().
    void start();
    bool isReady() const { return m_ready; }
    const RuntimeConfig &config() const { return m_config; }

    // Runs work(Gateway &) on the engine thread and done(result) on this object's thread.
    template<typename Work, typename Done>
    void call(QObject *context, Work work, Done done)
    {
        using R = std::invoke_result_t<Work, Gateway &>;
        QPointer<QObject> guard(context);
        Gateway *gateway = m_gateway;
        QMetaObject::invokeMethod(
                gateway,
                [this, gateway, guard, work = std::move(work), done = std::move(done)]() mutable {
                    R result = work(*gateway);
                    QMetaObject::invokeMethod(
                            this,
                            [guard, done = std::move(done), result = std::move(result)]() mutable {
                                if (guard)
                                    done(std::move(result));
                            },
                            Qt::QueuedConnection);
                },
                Qt::QueuedConnection);
    }

    // For engine work that answers later (a provider test, a model list): runs
    // work(Gateway &, reply) on the engine thread, where the work calls reply(R) once when it
    // has the answer; done(R) then runs on this object's thread, unless `context` is gone.
    template<typename R, typename Work, typename Done>
    void callAsync(QObject *context, Work work, Done done)
    {
        QPointer<QObject> guard(context);
        Gateway *gateway = m_gateway;
        std::function<void(R)> reply = [this, guard, done = std::move(done)](R result) {
            QMetaObject::invokeMethod(
                    this,
                    [guard, done, result = std::move(result)]() mutable {
                        if (guard)
                            done(std::move(result));
                    },
                    Qt::QueuedConnection);
        };
        QMetaObject::invokeMethod(
                gateway,
                [gateway, work = std::move(work), reply = std::move(reply)]() mutable {
                    work(*gateway, reply);
                },
                Qt::QueuedConnection);
    }

    // Runs work(Gateway &) on the engine thread; nothing comes back.
    template<typename Work>
    void post(Work work)
    {
        Gateway *gateway = m_gateway;
        QMetaObject::invokeMethod(
                gateway, [gateway, work = std::move(work)]() mutable { work(*gateway); },
                Qt::QueuedConnection);
    }

signals:
    void ready();
    void startFailed(const Spool::Error &error);

    void runUpdated(const Spool::RunInfo &run);
    void tapeAppended(const Spool::TapeEvent &event);
    void textDelta(const QString &runId, const QString &text);
    void approvalRequested(const Spool::PendingToolApproval &approval);
    void approvalResolved(const Spool::PendingToolApproval &approval);
    void sessionsChanged();
    void providersChanged();
    void keyStorageFallback(const QString &reason);
    void journalChanged();

private:
    RuntimeConfig m_config;
    QThread m_thread;
    Gateway *m_gateway = nullptr;
    bool m_ready = false;
};

void registerEngineMetaTypes();

} // namespace Spool
