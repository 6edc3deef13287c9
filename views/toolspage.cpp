#include "toolspage.h"

#include "client/engineclient.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>

namespace Spool {

ToolsPage::ToolsPage(EngineClient *engine, QWidget *parent) : QWidget(parent), m_engine(engine)
{
    m_network = new QCheckBox(tr("Commands may use the &network when a call asks for it"), this);
    m_private = new QCheckBox(tr("Web fetches may reach this computer and &private networks"), this);
    m_unsandboxed = new QCheckBox(tr("Run commands &without a sandbox where bubblewrap cannot work"), this);
    auto *warning = new QLabel(tr("Without a sandbox a command runs with your permissions and sees your "
                                  "files; Spool then asks before every such command."),
                               this);
    warning->setWordWrap(true);
    warning->setForegroundRole(QPalette::PlaceholderText);
    m_timeout = new QSpinBox(this);
    m_timeout->setRange(10, 24 * 3600);
    m_timeout->setSuffix(tr(" s"));
    m_timeout->setAccessibleName(tr("Approval timeout"));
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setAccessibleName(tr("Tool settings status"));
    m_status->hide();

    auto *form = new QFormLayout(this);
    form->addRow(m_network);
    form->addRow(m_private);
    form->addRow(m_unsandboxed);
    form->addRow(warning);
    form->addRow(tr("An approval &waits:"), m_timeout);
    form->addRow(m_status);

    if (!m_engine)
        return;
    // What the engine runs with now (the settings file, as it read it and as changed since).
    m_engine->call(this, [](Engine &e) { return e.config(); }, [this](const RuntimeConfig &config) {
        const QSignalBlocker n(m_network), p(m_private), u(m_unsandboxed), t(m_timeout);
        m_network->setChecked(config.allowCommandNetwork);
        m_private->setChecked(config.allowPrivateAddresses);
        m_unsandboxed->setChecked(config.allowUnsandboxedCommands);
        m_timeout->setValue(int(config.approvalTimeoutMs / 1000));
        for (QCheckBox *box : {m_network, m_private, m_unsandboxed})
            connect(box, &QCheckBox::toggled, this, &ToolsPage::save);
        connect(m_timeout, &QSpinBox::valueChanged, this, &ToolsPage::save);
    });
}

void ToolsPage::save()
{
    if (!m_engine)
        return;
    const bool unsandboxed = m_unsandboxed->isChecked();
    const bool network = m_network->isChecked();
    const bool privateAddresses = m_private->isChecked();
    const qint64 timeoutMs = qint64(m_timeout->value()) * 1000;
    m_engine->call(
            this,
            [=](Engine &e) {
                const Status tools = e.setToolSettings(unsandboxed, network, privateAddresses);
                const Status timeout = e.setApprovalTimeout(timeoutMs);
                return tools ? timeout : tools;
            },
            [this](const Status &status) {
                // Applied or not, the user is told when it did not stick.
                m_status->setVisible(!status);
                m_status->setText(status ? QString() : status.errorMessage());
            });
}

} // namespace Spool
