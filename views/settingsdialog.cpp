#include "settingsdialog.h"

#include "apptheme.h"
#include "memorypage.h"
#include "mcpserverspage.h"
#include "permissionspage.h"
#include "toolspage.h"
#include "client/engineclient.h"
#include "messageboxes.h"
#include "providerspage.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStyle>
#include <QScrollArea>
#include <QVBoxLayout>

namespace Spool {

SettingsDialog::SettingsDialog(EngineClient *engine, QWidget *parent)
    : QDialog(parent), m_engine(engine)
{
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(tr("Settings \u2014 Spool"));
    setAccessibleName(tr("Settings"));
    m_pages = new QListWidget(this);
    m_pages->setAccessibleName(tr("Settings pages"));
    m_pages->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_pages->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Expanding);
    m_stack = new QStackedWidget(this);
    connect(m_pages, &QListWidget::currentRowChanged, m_stack, &QStackedWidget::setCurrentIndex);

    addPage(tr("Agents"), createAgentsPage());
    m_providersPage = new ProvidersPage(engine, this);
    connect(m_providersPage, &ProvidersPage::providersChanged, this,
            [this] { loadAgents(m_agentName->text().trimmed()); });
    addPage(tr("Providers"), m_providersPage);
    addPage(tr("Deterministic provider"), createDeterministicPage());
    addPage(tr("Tools & sandbox"), new ToolsPage(engine, this));
    m_permissionsPage = new PermissionsPage(engine, this);
    addPage(tr("Permissions"), m_permissionsPage);
    addPage(tr("Memory"), new MemoryPage(engine, this));
    addPage(tr("MCP servers"), new McpServersPage(engine, this));
    addPage(tr("Appearance"), createAppearancePage());
    m_pages->setCurrentRow(0);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    auto *row = new QHBoxLayout;
    row->addWidget(m_pages);
    row->addWidget(m_stack, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(row, 1);
    layout->addWidget(buttons);
    resize(760, 500);
}

void SettingsDialog::addPage(const QString &title, QWidget *page)
{
    m_pages->addItem(title);
    // Each page scrolls when the screen is too short for it (the MCP servers' form at
    // 1280x720): the dialog's height never depends on its tallest page.
    auto *scroll = new QScrollArea(m_stack);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(page);
    // Only downwards: a page keeps the width its fields need.
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(page->minimumSizeHint().width()
                            + scroll->style()->pixelMetric(QStyle::PM_ScrollBarExtent));
    m_stack->addWidget(scroll);
    fitPageList();
}

void SettingsDialog::fitPageList()
{
    // As wide as the longest page name (and a scroll bar, should the list ever need one), so
    // no name is cut short, whatever the font.
    m_pages->setFixedWidth(m_pages->sizeHintForColumn(0) + 2 * m_pages->frameWidth()
                           + m_pages->style()->pixelMetric(QStyle::PM_ScrollBarExtent) + 8);
}

void SettingsDialog::changeEvent(QEvent *event)
{
    QDialog::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange)
        fitPageList();
}

void SettingsDialog::showPage(const QString &title)
{
    const auto items = m_pages->findItems(title, Qt::MatchExactly);
    if (!items.isEmpty())
        m_pages->setCurrentItem(items.constFirst());
}

QWidget *SettingsDialog::createAgentsPage()
{
    auto *page = new QWidget(this);
    m_agentList = new QListWidget(page);
    m_agentList->setAccessibleName(tr("Agents"));
    m_agentList->setMaximumWidth(180);
    connect(m_agentList, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row < m_agents.size())
            showAgent(m_agents.at(row));
    });
    m_agentName = new QLineEdit(page);
    m_agentName->setAccessibleName(tr("Agent name"));
    m_agentProvider = new QComboBox(page);
    m_agentProvider->setEditable(true);
    m_agentProvider->setAccessibleName(tr("Provider"));
    m_agentModel = new QComboBox(page);
    m_agentModel->setEditable(true);
    m_agentModel->setInsertPolicy(QComboBox::NoInsert);
    m_agentModel->setAccessibleName(tr("Model"));
    m_agentModelState = new QLabel(page);
    m_agentModelState->setAccessibleName(tr("Model list state"));
    m_agentModelState->setEnabled(false); // muted
    m_agentModelState->setWordWrap(true);
    connect(m_agentProvider, &QComboBox::currentTextChanged, this, &SettingsDialog::fetchModels);
    m_agentApproval = new QComboBox(page);
    m_agentApproval->setAccessibleName(tr("Approvals"));
    m_agentApproval->addItem(tr("The policy decides"), int(Agent::ApprovalMode::Policy));
    m_agentApproval->addItem(tr("Ask before every tool call"), int(Agent::ApprovalMode::Ask));
    m_agentPrompt = new QPlainTextEdit(page);
    m_agentPrompt->setAccessibleName(tr("System prompt"));

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_agentName);
    form->addRow(tr("&Provider:"), m_agentProvider);
    form->addRow(tr("&Model:"), m_agentModel);
    form->addRow(QString(), m_agentModelState);
    form->addRow(tr("&Approvals:"), m_agentApproval);
    form->addRow(tr("System &prompt:"), m_agentPrompt);

    auto *add = new QPushButton(tr("&New agent"), page);
    auto *save = new QPushButton(tr("&Save"), page);
    auto *remove = new QPushButton(tr("&Delete"), page);
    connect(add, &QPushButton::clicked, this, [this] {
        Agent a;
        a.name = QStringLiteral("agent-%1").arg(m_agents.size() + 1);
        a.provider = QStringLiteral("deterministic");
        a.model = QStringLiteral("echo-1");
        a.systemPrompt = tr("You are a helpful assistant.");
        m_agentList->clearSelection();
        showAgent(a);
        m_agentName->setFocus();
        m_agentName->selectAll();
    });
    connect(save, &QPushButton::clicked, this, &SettingsDialog::saveAgent);
    connect(remove, &QPushButton::clicked, this, &SettingsDialog::removeAgent);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(add);
    buttons->addStretch();
    buttons->addWidget(remove);
    buttons->addWidget(save);

    auto *right = new QVBoxLayout;
    right->addLayout(form, 1);
    right->addLayout(buttons);
    auto *layout = new QHBoxLayout(page);
    layout->addWidget(m_agentList);
    layout->addLayout(right, 1);
    loadAgents();
    return page;
}

void SettingsDialog::loadAgents(const QString &select)
{
    if (!m_engine)
        return;
    m_engine->call(this,
                   [](Engine &g) {
                       return std::make_pair(g.agents().list(), g.providers().listing().names());
                   },
                   [this, select](std::pair<Result<QList<Agent>>, QStringList> answer) {
                       m_agentProvider->clear();
                       m_agentProvider->addItems(answer.second);
                       if (!answer.first)
                           return;
                       m_agents = *answer.first;
                       m_agentList->clear();
                       int selected = 0;
                       for (int i = 0; i < m_agents.size(); ++i) {
                           m_agentList->addItem(m_agents.at(i).name);
                           if (m_agents.at(i).name == select)
                               selected = i;
                       }
                       if (!m_agents.isEmpty())
                           m_agentList->setCurrentRow(selected);
                   });
}

void SettingsDialog::showAgent(const Agent &agent)
{
    m_agentName->setText(agent.name);
    m_agentModel->setEditText(agent.model);
    m_agentProvider->setCurrentText(agent.provider);
    fetchModels(agent.provider);
    m_agentApproval->setCurrentIndex(agent.approvalMode == Agent::ApprovalMode::Ask ? 1 : 0);
    m_agentPrompt->setPlainText(agent.systemPrompt);
}

void SettingsDialog::saveAgent()
{
    Agent a;
    a.name = m_agentName->text().trimmed();
    a.provider = m_agentProvider->currentText().trimmed();
    a.model = m_agentModel->currentText().trimmed();
    a.approvalMode = Agent::ApprovalMode(m_agentApproval->currentData().toInt());
    a.systemPrompt = m_agentPrompt->toPlainText();
    const int row = m_agentList->currentRow();
    if (row >= 0 && row < m_agents.size())
        a.toolAllowlist = m_agents.at(row).toolAllowlist;
    m_engine->call(this, [a](Engine &g) { return g.agents().save(a); },
                   [this, name = a.name](Status s) {
                       if (!s) {
                           showWarning(this, tr("Cannot save the agent"), s.errorMessage());
                           return;
                       }
                       loadAgents(name);
                       emit agentsChanged();
                   });
}

void SettingsDialog::fetchModels(const QString &provider)
{
    const int generation = ++m_modelsGeneration;
    if (!m_engine || provider.trimmed().isEmpty()) {
        m_agentModelState->clear();
        return;
    }
    m_agentModelState->setText(tr("Asking %1 for its models\u2026").arg(provider));
    m_engine->callAsync<Result<QStringList>>(
            this,
            [provider](Engine &g, std::function<void(Result<QStringList>)> reply) {
                g.providers().models(provider, [reply](const Result<QStringList> &r) { reply(r); });
            },
            [this, generation, provider](Result<QStringList> models) {
                if (generation != m_modelsGeneration)
                    return;
                if (!models) {
                    m_agentModelState->setText(
                            tr("Could not list the models of %1 (%2); type the model's name.")
                                    .arg(provider, models.errorMessage()));
                    return;
                }
                const QString current = m_agentModel->currentText();
                m_agentModel->clear();
                m_agentModel->addItems(*models);
                m_agentModel->setEditText(current.isEmpty() && !models->isEmpty()
                                                  ? models->constFirst()
                                                  : current);
                m_agentModelState->setText(models->size() == 1
                                                   ? tr("1 model offered by %1.").arg(provider)
                                                   : tr("%1 models offered by %2.")
                                                             .arg(models->size())
                                                             .arg(provider));
            });
}

void SettingsDialog::removeAgent()
{
    const QString name = m_agentName->text().trimmed();
    askToConfirm(this, tr("Delete agent"),
                 tr("Delete the agent \u201c%1\u201d? Sessions bound to it will use the default agent.").arg(name),
                 tr("&Delete"), this, [this, name] {
                     if (!m_engine)
                         return;
                     m_engine->call(this, [name](Engine &g) { return g.agents().remove(name); },
                                    [this](Status s) {
                                        if (!s)
                                            showWarning(this, tr("Cannot delete the agent"), s.errorMessage());
                                        loadAgents();
                                        emit agentsChanged();
                                    });
                 });
}

QWidget *SettingsDialog::createDeterministicPage()
{
    auto *page = new QWidget(this);
    auto *delay = new QSpinBox(page);
    delay->setRange(0, 2000);
    delay->setSuffix(tr(" ms"));
    delay->setAccessibleName(tr("Delay per streamed chunk"));
    delay->setValue(m_engine ? m_engine->config().deterministicChunkDelayMs : 12);
    auto *status = new QLabel(page);
    status->setWordWrap(true);
    status->hide();
    connect(delay, &QSpinBox::valueChanged, this, [this, status](int ms) {
        if (!m_engine)
            return;
        m_engine->call(status, [ms](Engine &e) { return e.setDeterministicChunkDelay(ms); },
                       [status](const Status &s) {
                           status->setVisible(!s);
                           status->setText(s ? QString() : s.errorMessage());
                       });
    });
    auto *about = new QLabel(tr("The deterministic provider needs no network and no key. It echoes "
                                "your message and understands directives such as "
                                "<code>[[tool clock {}]]</code>, <code>[[words 500]]</code> and "
                                "<code>[[fail rate_limit]]</code> (see the README)."),
                             page);
    about->setWordWrap(true);
    about->setTextFormat(Qt::RichText);
    auto *form = new QFormLayout(page);
    form->addRow(about);
    form->addRow(tr("&Delay per chunk:"), delay);
    form->addRow(status);
    return page;
}

QWidget *SettingsDialog::createAppearancePage()
{
    auto *page = new QWidget(this);
    QSettings settings(m_engine ? m_engine->config().settingsPath() : QString(), QSettings::IniFormat);
    auto *theme = new QComboBox(page);
    theme->setAccessibleName(tr("Theme"));
    theme->addItem(tr("Follow the system"), QStringLiteral("system"));
    theme->addItem(tr("Light"), QStringLiteral("light"));
    theme->addItem(tr("Dark"), QStringLiteral("dark"));
    theme->setCurrentIndex(qMax(0, theme->findData(AppTheme::current())));
    connect(theme, &QComboBox::currentIndexChanged, this, [this, theme] {
        const QString name = theme->currentData().toString();
        if (m_engine) {
            QSettings s(m_engine->config().settingsPath(), QSettings::IniFormat);
            s.setValue(QStringLiteral("gui/theme"), name);
        }
        emit themeChanged(name);
    });
    auto *size = new QSpinBox(page);
    size->setRange(7, 32);
    size->setSuffix(tr(" pt"));
    size->setAccessibleName(tr("Conversation font size"));
    size->setValue(settings.value(QStringLiteral("gui/transcript_font_size"), font().pointSize()).toInt());
    connect(size, &QSpinBox::valueChanged, this, [this](int points) {
        if (m_engine) {
            QSettings s(m_engine->config().settingsPath(), QSettings::IniFormat);
            s.setValue(QStringLiteral("gui/transcript_font_size"), points);
        }
        emit transcriptFontSizeChanged(points);
    });
    auto *form = new QFormLayout(page);
    form->addRow(tr("&Theme:"), theme);
    form->addRow(tr("Conversation &font size:"), size);
    return page;
}

} // namespace Spool
