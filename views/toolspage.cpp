#include "toolspage.h"

#include "gateway/engineclient.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QLabel>
#include <QSettings>
#include <QSpinBox>

namespace Spool {

ToolsPage::ToolsPage(EngineClient *engine, QWidget *parent) : QWidget(parent), m_engine(engine)
{
    const RuntimeConfig config = engine ? engine->config() : RuntimeConfig{};
    QSettings settings(config.settingsPath(), QSettings::IniFormat);
    auto flag = [&settings](const char *key, bool fallback) {
        return settings.value(QLatin1String(key), fallback).toBool();
    };

    m_network = new QCheckBox(tr("Commands may use the &network when a call asks for it"), this);
    m_network->setChecked(flag("tools/allow_command_network", config.allowCommandNetwork));
    m_private = new QCheckBox(tr("Web fetches may reach this computer and &private networks"), this);
    m_private->setChecked(flag("tools/allow_private_addresses", config.allowPrivateAddresses));
    m_unsandboxed = new QCheckBox(tr("Run commands &without a sandbox where bubblewrap cannot work"), this);
    m_unsandboxed->setChecked(flag("tools/allow_unsandboxed_commands", config.allowUnsandboxedCommands));
    auto *warning = new QLabel(tr("Without a sandbox a command runs with your permissions and sees your "
                                  "files; Spool then asks before every such command."),
                               this);
    warning->setWordWrap(true);
    warning->setForegroundRole(QPalette::PlaceholderText);
    m_timeout = new QSpinBox(this);
    m_timeout->setRange(10, 24 * 3600);
    m_timeout->setSuffix(tr(" s"));
    m_timeout->setAccessibleName(tr("Approval timeout"));
    m_timeout->setValue(int(settings.value(QStringLiteral("approvals/timeout_seconds"), config.approvalTimeoutMs / 1000).toLongLong()));

    for (QCheckBox *box : {m_network, m_private, m_unsandboxed})
        connect(box, &QCheckBox::toggled, this, &ToolsPage::save);
    connect(m_timeout, &QSpinBox::valueChanged, this, &ToolsPage::save);

    auto *form = new QFormLayout(this);
    form->addRow(m_network);
    form->addRow(m_private);
    form->addRow(m_unsandboxed);
    form->addRow(warning);
    form->addRow(tr("An approval &waits:"), m_timeout);
}

void ToolsPage::save()
{
    if (!m_engine)
        return;
    QSettings settings(m_engine->config().settingsPath(), QSettings::IniFormat);
    settings.setValue(QStringLiteral("tools/allow_command_network"), m_network->isChecked());
    settings.setValue(QStringLiteral("tools/allow_private_addresses"), m_private->isChecked());
    settings.setValue(QStringLiteral("tools/allow_unsandboxed_commands"), m_unsandboxed->isChecked());
    settings.setValue(QStringLiteral("approvals/timeout_seconds"), m_timeout->value());
    const bool unsandboxed = m_unsandboxed->isChecked();
    const bool network = m_network->isChecked();
    const bool privateAddresses = m_private->isChecked();
    const qint64 timeoutMs = qint64(m_timeout->value()) * 1000;
    m_engine->post([=](Gateway &g) {
        (void)g.setToolSettings(unsandboxed, network, privateAddresses);
        g.setApprovalTimeout(timeoutMs);
    });
}

} // namespace Spool
