#include "localapiindicator.h"

#include "api/apiserver.h"

namespace Spool {

LocalApiIndicator::LocalApiIndicator(ApiServer *server, QWidget *parent)
    : QLabel(parent), m_server(server)
{
    setAccessibleName(tr("Local API"));
    if (m_server) {
        connect(m_server, &ApiServer::started, this, &LocalApiIndicator::refresh);
        connect(m_server, &ApiServer::stopped, this, &LocalApiIndicator::refresh);
    }
    refresh();
}

void LocalApiIndicator::refresh()
{
    const bool serving = m_server && m_server->isListening();
    setVisible(serving);
    if (!serving)
        return;
    setText(tr("API :%1").arg(m_server->port()));
    setToolTip(tr("The local API is serving on %1 (Settings \u2192 Local API)")
                       .arg(m_server->addresses().join(tr(" and "))));
}

} // namespace Spool
