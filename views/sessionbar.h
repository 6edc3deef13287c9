#pragma once

#include <QHash>
#include <QPointer>
#include <QStringList>
#include <QWidget>

class QComboBox;
class QLabel;
class QToolButton;

namespace Spool {

class EngineClient;
struct RunInfo;

// The session header's right side: the model this session's runs use (an editable picker
// filled from the agent's provider, empty for the agent's own model) and the tokens all its
// runs have used so far.
class SessionBar : public QWidget
{
    Q_OBJECT
public:
    explicit SessionBar(EngineClient *engine, QWidget *parent = nullptr);

    // Shows another session; an empty id hides the bar (a new session has no runs yet).
    void setSession(const QString &sessionId);
    QString sessionId() const { return m_sessionId; }
    // A run changed: its tokens count once it ends.
    void applyRun(const RunInfo &run);
    // Sets the session's model ("" goes back to the agent's), as picking it does.
    void setModel(const QString &model);
    // The providers changed: the picker's list is fetched again.
    void reload();

    QComboBox *modelPicker() const { return m_model; }
    QToolButton *workspaceButton() const { return m_workspace; }
    QString workspace() const { return m_workspacePath; }
    // Sets the folder the session's tools work in; empty goes back to the default folder.
    void setWorkspace(const QString &folder);
    QLabel *usageLabel() const { return m_usage; }
    // How full the last run's request was: "Context 12% of 128k", with the parts in the tip.
    QLabel *contextLabel() const { return m_context; }
    QString sessionModel() const { return m_sessionModel; }

signals:
    void status(const QString &message);
    void modelChanged(const QString &sessionId, const QString &model);

private:
    void load();
    void refreshUsage();
    void refreshContext();
    void commit();
    void showModel();
    void fillModels(const QStringList &models);
    void showWorkspace();

    QPointer<EngineClient> m_engine;
    QString m_sessionId;
    QString m_sessionModel; // the override; empty: the agent's
    QString m_agentModel;
    QString m_provider;
    QComboBox *m_model = nullptr;
    QLabel *m_usage = nullptr;
    QLabel *m_context = nullptr;
    QToolButton *m_workspace = nullptr;
    QString m_workspacePath; // the folder in use (the session's own, or the default)
    bool m_ownWorkspace = false;
    QHash<QString, QStringList> m_models; // by provider: switching sessions asks no server
    int m_generation = 0;
    bool m_filling = false;
};

} // namespace Spool
