#pragma once

#include "core/runtimeconfig.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace Spool {

class ApiServer;

// Settings → Local API: serve the HTTP API from the window or not, on which port, the token
// (copy it, regenerate it) and the browser origins allowed to call. On/off, port and origins
// are saved in spool.conf (api/...); the token lives in its own file in the data folder.
class LocalApiPage : public QWidget
{
    Q_OBJECT
public:
    LocalApiPage(ApiServer *server, const RuntimeConfig &config, QWidget *parent = nullptr);

    QCheckBox *enabledBox() const { return m_enabled; }
    QPushButton *copyButton() const { return m_copy; }
    QPushButton *regenerateButton() const { return m_regenerate; }
    QLabel *statusLabel() const { return m_status; }

private:
    void setServing(bool on);
    void applyPort();
    void copyToken();
    void regenerateToken();
    void saveOrigins();
    void showToken();
    void refresh();
    void saveSettings();
    void showProblem(const QString &message);

    QPointer<ApiServer> m_server;
    RuntimeConfig m_config;
    QCheckBox *m_enabled = nullptr;
    QSpinBox *m_port = nullptr;
    QPushButton *m_applyPort = nullptr;
    QLineEdit *m_token = nullptr;
    QPushButton *m_reveal = nullptr;
    QPushButton *m_copy = nullptr;
    QPushButton *m_regenerate = nullptr;
    QLabel *m_tokenPath = nullptr;
    QPlainTextEdit *m_origins = nullptr;
    QPushButton *m_saveOrigins = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_problem = nullptr;
};

} // namespace Spool
