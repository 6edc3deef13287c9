#include "gateway/engineclient.h"

#include "providers/providertypes.h"
#include "tools/tool.h"

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
    qRegisterMetaType<Spool::ToolResult>();
}

EngineClient::EngineClient(const RuntimeConfig &config, QObject *parent)
    : QObject(parent), m_config(config)
{
    registerEngineMetaTypes();
    m_thread.setObjectName(QStringLiteral("spool-engine"));
    // The gateway has no parent: it moves to the engine thread and is deleted there.
    m_gateway = new Gateway(m_config);
    m_gateway->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_gateway, &QObject::deleteLater);

    connect(m_gateway, &Gateway::runUpdated, this, &EngineClient::runUpdated, Qt::QueuedConnection);
    connect(m_gateway, &Gateway::tapeAppended, this, &EngineClient::tapeAppended,
            Qt::QueuedConnection);
    connect(m_gateway, &Gateway::textDelta, this, &EngineClient::textDelta, Qt::QueuedConnection);
    connect(m_gateway, &Gateway::approvalRequested, this, &EngineClient::approvalRequested,
            Qt::QueuedConnection);
    connect(m_gateway, &Gateway::approvalResolved, this, &EngineClient::approvalResolved,
            Qt::QueuedConnection);
    connect(m_gateway, &Gateway::sessionsChanged, this, &EngineClient::sessionsChanged,
            Qt::QueuedConnection);
    connect(m_gateway, &Gateway::journalChanged, this, &EngineClient::journalChanged,
            Qt::QueuedConnection);
    connect(m_gateway, &Gateway::providersChanged, this, &EngineClient::providersChanged,
            Qt::QueuedConnection);
    connect(m_gateway, &Gateway::keyStorageFallback, this, &EngineClient::keyStorageFallback,
            Qt::QueuedConnection);
}

EngineClient::~EngineClient()
{
    if (m_thread.isRunning()) {
        // Shut the gateway down on its own thread, then stop the thread; deleteLater runs as
        // the thread finishes.
        QMetaObject::invokeMethod(m_gateway, [gateway = m_gateway] { gateway->shutdown(); },
                                  Qt::QueuedConnection);
        m_thread.quit();
        m_thread.wait();
    } else {
        delete m_gateway;
    }
}

void EngineClient::start()
{
    m_thread.start();
    call(this, [](Gateway &g) { return g.open(); },
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
