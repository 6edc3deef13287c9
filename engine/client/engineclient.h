#pragma once

#include "client/engine.h"

#include <QObject>
#include <QPointer>
#include <QThread>

#include <functional>
#include <type_traits>

namespace Spool {

// The window's handle on the engine: starts the Engine (the Gateway, made by the factory) on
// its own QThread and relays its signals with queued connections. Work is sent to the engine
// thread with call(); the answer comes back on the caller's thread, and is dropped if the
// context object is gone by then. Nothing here blocks the caller's thread.
class EngineClient : public QObject
{
    Q_OBJECT
public:
    EngineClient(const RuntimeConfig &config, const EngineFactory &factory,
                 QObject *parent = nullptr);
    ~EngineClient() override;

    // Starts the engine thread and opens the engine; ends with ready() or startFailed().
    void start();
    bool isReady() const { return m_ready; }
    const RuntimeConfig &config() const { return m_config; }

    // Runs work(Engine &) on the engine thread and done(result) on this object's thread.
    template<typename Work, typename Done>
    void call(QObject *context, Work work, Done done)
    {
        using R = std::invoke_result_t<Work, Engine &>;
        QPointer<QObject> guard(context);
        Engine *engine = m_engine;
        QMetaObject::invokeMethod(
                engine,
                [this, engine, guard, work = std::move(work), done = std::move(done)]() mutable {
                    R result = work(*engine);
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
    // work(Engine &, reply) on the engine thread, where the work calls reply(R) once when it
    // has the answer; done(R) then runs on this object's thread, unless `context` is gone.
    template<typename R, typename Work, typename Done>
    void callAsync(QObject *context, Work work, Done done)
    {
        QPointer<QObject> guard(context);
        Engine *engine = m_engine;
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
                engine,
                [engine, work = std::move(work), reply = std::move(reply)]() mutable {
                    work(*engine, reply);
                },
                Qt::QueuedConnection);
    }

    // Runs work(Engine &) on the engine thread; nothing comes back.
    template<typename Work>
    void post(Work work)
    {
        Engine *engine = m_engine;
        QMetaObject::invokeMethod(
                engine, [engine, work = std::move(work)]() mutable { work(*engine); },
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
    void memoryChanged();
    void memoryStatusChanged(const Spool::MemoryStatus &status);
    void toolProgress(const QString &runId, const QString &callId, double progress, double total,
                      const QString &message);
    void mcpServersChanged(const QString &server);
    void mcpServerLogAppended(const QString &server, const Spool::McpLogEntry &entry);
    void mcpQuestionAsked(const Spool::McpUserQuestion &question);
    void mcpQuestionAnswered(const Spool::McpUserQuestion &question);
    void mcpSignInRequested(const QString &server, const QUrl &url);
    void diskFullChanged(const Spool::Error &error);

private:
    RuntimeConfig m_config;
    QThread m_thread;
    Engine *m_engine = nullptr;
    bool m_ready = false;
};

void registerEngineMetaTypes();

} // namespace Spool
