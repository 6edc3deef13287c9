#pragma once

#include <QLabel>
#include <QPointer>

namespace Spool {

class ApiServer;

// The status bar's sign that the local API is serving: "API :8642", with the address in the
// tooltip; hidden while it does not serve.
class LocalApiIndicator : public QLabel
{
    Q_OBJECT
public:
    explicit LocalApiIndicator(ApiServer *server, QWidget *parent = nullptr);

private:
    void refresh();

    QPointer<ApiServer> m_server;
};

} // namespace Spool
