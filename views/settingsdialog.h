#pragma once

#include "agents/agent.h"

#include <QDialog>
#include <QPointer>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QSpinBox;
class QStackedWidget;

namespace Spool {

class EngineClient;
class PermissionsPage;
class ProvidersPage;

// Settings, one page per area: agents, providers, the deterministic provider, appearance.
// Pages for tools and policies are added with addPage().
class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit SettingsDialog(EngineClient *engine, QWidget *parent = nullptr);

    void addPage(const QString &title, QWidget *page);
    void showPage(const QString &title);
    PermissionsPage *permissionsPage() const { return m_permissionsPage; }
    QListWidget *pageList() const { return m_pages; }
    ProvidersPage *providersPage() const { return m_providersPage; }

signals:
    void themeChanged(const QString &theme);
    void transcriptFontSizeChanged(int points);
    void agentsChanged();

protected:
    void changeEvent(QEvent *event) override;

private:
    void fitPageList();
    QWidget *createAgentsPage();
    QWidget *createDeterministicPage();
    QWidget *createAppearancePage();
    void loadAgents(const QString &select = {});
    void showAgent(const Agent &agent);
    void saveAgent();
    void removeAgent();
    // Fills the model picker from the provider's model list, asynchronously.
    void fetchModels(const QString &provider);

    QPointer<EngineClient> m_engine;
    QListWidget *m_pages = nullptr;
    PermissionsPage *m_permissionsPage = nullptr;
    QStackedWidget *m_stack = nullptr;

    QListWidget *m_agentList = nullptr;
    QLineEdit *m_agentName = nullptr;
    QComboBox *m_agentProvider = nullptr;
    QComboBox *m_agentModel = nullptr;
    QLabel *m_agentModelState = nullptr;
    int m_modelsGeneration = 0;
    ProvidersPage *m_providersPage = nullptr;
    QComboBox *m_agentApproval = nullptr;
    QPlainTextEdit *m_agentPrompt = nullptr;
    QList<Agent> m_agents;
};

} // namespace Spool
