#pragma once

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QLabel;
class QSpinBox;

namespace Spool {

class EngineClient;

// Settings → Tools & sandbox: what commands and fetches may reach, and how long an approval
// waits. The engine applies them at once and saves them in spool.conf; a failure to save is
// shown on the page.
class ToolsPage : public QWidget
{
    Q_OBJECT
public:
    explicit ToolsPage(EngineClient *engine, QWidget *parent = nullptr);

private:
    void save();

    QPointer<EngineClient> m_engine;
    QCheckBox *m_unsandboxed = nullptr;
    QCheckBox *m_network = nullptr;
    QCheckBox *m_private = nullptr;
    QSpinBox *m_timeout = nullptr;
    QLabel *m_status = nullptr;
};

} // namespace Spool
