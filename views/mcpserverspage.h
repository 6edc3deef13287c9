#pragma once

#include "mcp/mcpserverstatus.h"

#include <QHash>
#include <QPointer>
#include <QUrl>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTreeWidget;
class QTreeWidgetItem;

namespace Spool {

class EngineClient;

// Settings → MCP servers: the servers of mcp.json with their state, a form to add or change one
// (a command or a URL, environment and headers, secrets that go to the keychain, the sandbox,
// the agents that may use it), Test, Restart, Remove, Import (another app's mcpServers file),
// the server's tools with a toggle each, and its log as it grows. A remote server that asks the
// user to sign in shows it here too: the page the browser was sent to (the window opens it),
// to open again or to cancel; Sign in starts the server so that it asks.
class McpServersPage : public QWidget
{
    Q_OBJECT
public:
    explicit McpServersPage(EngineClient *engine, QWidget *parent = nullptr);

    // For tests: what the form holds, and the page's parts.
    McpServerConfig formConfig() const;
    QString selectedServer() const { return m_loadedName; }
    void selectServer(const QString &name);
    QListWidget *serverList() const { return m_list; }
    QTreeWidget *toolTree() const { return m_tools; }
    QLabel *statusLabel() const { return m_state; }
    QLabel *resultLabel() const { return m_result; }
    QLabel *signInLabel() const { return m_signInText; }
    QPlainTextEdit *logView() const { return m_log; }
    // Imports a file as the Import button does, without the file dialog.
    void importFile(const QString &path);

signals:
    void serversChanged();

private:
    void reload(const QString &select = {});
    void showServer(const McpServerStatus &status);
    void showState(const McpServerStatus &status);
    void showTools(const McpServerStatus &status);
    void loadLog(const QString &name);
    void clearForm();
    void save();
    void remove();
    void test();
    void restart();
    void signIn();
    void cancelSignIn();
    void showSignIn();
    void chooseImport();
    void onToolToggled(QTreeWidgetItem *item, int column);
    void onLogLine(const QString &server, const McpLogEntry &entry);
    void showResult(const QString &text, bool ok);
    const McpServerStatus *current() const;

    QPointer<EngineClient> m_engine;
    QList<McpServerStatus> m_servers;
    QString m_loadedName;

    QListWidget *m_list = nullptr;
    QLineEdit *m_name = nullptr;
    QComboBox *m_transport = nullptr;
    QLineEdit *m_command = nullptr;
    QLineEdit *m_url = nullptr;
    QPlainTextEdit *m_env = nullptr;
    QLineEdit *m_secretEnv = nullptr;
    QPlainTextEdit *m_headers = nullptr;
    QLineEdit *m_secretHeaders = nullptr;
    QCheckBox *m_enabled = nullptr;
    QCheckBox *m_sandbox = nullptr;
    QCheckBox *m_network = nullptr;
    QLineEdit *m_readPaths = nullptr;
    QLineEdit *m_writePaths = nullptr;
    QLineEdit *m_agents = nullptr;
    QSpinBox *m_timeout = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_remove = nullptr;
    QPushButton *m_test = nullptr;
    QPushButton *m_restart = nullptr;
    QPushButton *m_signIn = nullptr;
    QWidget *m_signInBox = nullptr;
    QLabel *m_signInText = nullptr;
    QPushButton *m_cancelSignIn = nullptr;
    QHash<QString, QUrl> m_signInUrls; // the sign-in page each server is waiting on, by server
    QLabel *m_state = nullptr;
    QLabel *m_result = nullptr;
    QTreeWidget *m_tools = nullptr;
    QPlainTextEdit *m_log = nullptr;
    bool m_fillingTools = false;
};

} // namespace Spool
