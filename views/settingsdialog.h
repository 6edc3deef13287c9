#pragma once

#include "agents/agent.h"

#include <QDialog>
#include <QPointer>

class QComboBox;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QSpinBox;
class QStackedWidget;

namespace Spool {

class EngineClient;

// Settings, one page per area: agents, the deterministic provider, appearance. Pages for
// providers, tools and policies are added with addPage().
class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit SettingsDialog(EngineClient *engine, QWidget *parent = nullptr);

    void addPage(const QString &title, QWidget *page);
    void showPage(const QString &title);

signals:
    void themeChanged(const QString &theme);
    void transcriptFontSizeChanged(int points);
    void agentsChanged();

private:
    QWidget *createAgentsPage();
    QWidget *createDeterministicPage();
    QWidget *createAppearancePage();
    void loadAgents(const QString &select = {});
    void showAgent(const Agent &agent);
    void saveAgent();
    void removeAgent();

    QPointer<EngineClient> m_engine;
    QListWidget *m_pages = nullptr;
    QStackedWidget *m_stack = nullptr;

    QListWidget *m_agentList = nullptr;
    QLineEdit *m_agentName = nullptr;
    QComboBox *m_agentProvider = nullptr;
    QLineEdit *m_agentModel = nullptr;
    QComboBox *m_agentApproval = nullptr;
    QPlainTextEdit *m_agentPrompt = nullptr;
    QList<Agent> m_agents;
};

} // namespace Spool
