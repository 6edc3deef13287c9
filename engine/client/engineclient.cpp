#include "client/engineclient.h"

#include "providers/providertypes.h"

namespace Spool {

void registerEngineMetaTypes()
{
    qRegisterMetaType<Spool::Error>();
    qRegisterMetaType<Spool::RunInfo>();
    qRegisterMetaType<Spool::TapeEvent>();
    qRegisterMetaType<Spool::TapeRow>();
    qRegisterMetaType<Spool::TimelineSpan>();
    qRegisterMetaType<Spool::SessionInfo>();
    qRegisterMetaType<Spool::PendingToolApproval>();
    qRegisterMetaType<Spool::GatewayStatus>();
    qRegisterMetaType<Spool::ProviderResponse>();
    qRegisterMetaType<Spool::ProviderError>();
    qRegisterMetaType<Spool::MemoryItem>();
    qRegisterMetaType<Spool::MemoryStatus>();
    qRegisterMetaType<Spool::MemorySearchResult>();
    qRegisterMetaType<Spool::MemoryImportReport>();
    qRegisterMetaType<Spool::MemoryImportProgress>();
    qRegisterMetaType<Spool::McpServerConfig>();
    qRegisterMetaType<Spool::McpServerStatus>();
    qRegisterMetaType<Spool::McpLogEntry>();
    qRegisterMetaType<Spool::McpImportReport>();
    qRegisterMetaType<Spool::McpUserQuestion>();
}

EngineClient::EngineClient(const RuntimeConfig &config, const EngineFactory &factory,
                           QObject *parent)
    : QObject(parent), m_config(config)
{
    registerEngineMetaTypes();
    m_thread.setObjectName(QStringLiteral("spool-engine"));
    // The engine has no parent: it moves to the engine thread and is deleted there.
    m_engine = factory(m_config);
    m_engine->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_engine, &QObject::deleteLater);

    connect(m_engine, &Engine::runUpdated, this, &EngineClient::runUpdated, Qt::QueuedConnection);
    connect(m_engine, &Engine::tapeAppended, this, &EngineClient::tapeAppended,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::textDelta, this, &EngineClient::textDelta, Qt::QueuedConnection);
    connect(m_engine, &Engine::approvalRequested, this, &EngineClient::approvalRequested,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::approvalResolved, this, &EngineClient::approvalResolved,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::sessionsChanged, this, &EngineClient::sessionsChanged,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::journalChanged, this, &EngineClient::journalChanged,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::providersChanged, this, &EngineClient::providersChanged,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::keyStorageFallback, this, &EngineClient::keyStorageFallback,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::memoryChanged, this, &EngineClient::memoryChanged,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::memoryStatusChanged, this, &EngineClient::memoryStatusChanged,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::toolProgress, this, &EngineClient::toolProgress, Qt::QueuedConnection);
    connect(m_engine, &Engine::mcpServersChanged, this, &EngineClient::mcpServersChanged,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::mcpServerLogAppended, this, &EngineClient::mcpServerLogAppended,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::mcpQuestionAsked, this, &EngineClient::mcpQuestionAsked,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::mcpQuestionAnswered, this, &EngineClient::mcpQuestionAnswered,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::mcpSignInRequested, this, &EngineClient::mcpSignInRequested,
            Qt::QueuedConnection);
    connect(m_engine, &Engine::diskFullChanged, this, &EngineClient::diskFullChanged,
            Qt::QueuedConnection);
}

EngineClient::~EngineClient()
{
    if (m_thread.isRunning()) {
        // Shut the engine down on its own thread, then stop the thread; deleteLater runs as
        // the thread finishes.
        QMetaObject::invokeMethod(m_engine, [engine = m_engine] { engine->shutdown(); },
                                  Qt::QueuedConnection);
        m_thread.quit();
        m_thread.wait();
    } else {
        delete m_engine;
    }
}

void EngineClient::start()
{
    m_thread.start();
    call(this, [](Engine &e) { return e.open(); },
         [this](Status status) {
             if (status) {
                 m_ready = true;
                 emit ready();
             } else {
                 emit startFailed(status.error());
             }
         });
}

} // namespace Spool
