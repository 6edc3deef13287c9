#include "mcpserverspage.h"

#include "client/engineclient.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace Spool {

namespace {

QMap<QString, QString> parseLines(const QString &text, QString *bad)
{
    QMap<QString, QString> map;
    for (const QString &raw : text.split(QLatin1Char('\n'))) {
        const QString line = raw.trimmed();
        if (line.isEmpty())
            continue;
        int eq = line.indexOf(QLatin1Char('='));
        const int colon = line.indexOf(QLatin1Char(':'));
        if (eq <= 0 || (colon > 0 && colon < eq))
            eq = colon;
        if (eq <= 0) {
            *bad = line;
            return {};
        }
        map.insert(line.left(eq).trimmed(), line.mid(eq + 1).trimmed());
    }
    return map;
}

QString joinLines(const QMap<QString, QString> &map, const QString &separator)
{
    QStringList lines;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        lines << it.key() + separator + it.value();
    return lines.join(QLatin1Char('\n'));
}

QStringList splitList(const QString &text, const QString &separators)
{
    QStringList out;
    QString current;
    for (const QChar c : text) {
        if (separators.contains(c)) {
            if (!current.trimmed().isEmpty())
                out << current.trimmed();
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.trimmed().isEmpty())
        out << current.trimmed();
    return out;
}

QString stateText(const McpServerStatus &s)
{
    if (s.state == QLatin1String("ready"))
        return QObject::tr("ready");
    if (s.state == QLatin1String("starting"))
        return QObject::tr("starting…");
    if (s.state == QLatin1String("restarting"))
        return QObject::tr("restarting");
    if (s.state == QLatin1String("failed"))
        return QObject::tr("failed");
    if (s.state == QLatin1String("disabled"))
        return QObject::tr("off");
    return QObject::tr("not started");
}

} // namespace

McpServersPage::McpServersPage(EngineClient *engine, QWidget *parent) : QWidget(parent), m_engine(engine)
{
    m_list = new QListWidget(this);
    m_list->setAccessibleName(tr("MCP servers"));
    m_list->setMaximumWidth(200);
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row < 0 || row >= m_servers.size())
            return;
        showServer(m_servers.at(row));
    });
    auto *newButton = new QPushButton(tr("&New"), this);
    connect(newButton, &QPushButton::clicked, this, &McpServersPage::clearForm);
    auto *importButton = new QPushButton(tr("&Import…"), this);
    importButton->setToolTip(tr("Bring servers from another app's configuration (the mcpServers JSON of "
                                "Claude Desktop, Cursor, LM Studio, …); keys and tokens go to the keychain"));
    connect(importButton, &QPushButton::clicked, this, &McpServersPage::chooseImport);
    auto *left = new QVBoxLayout;
    left->addWidget(m_list, 1);
    auto *leftButtons = new QHBoxLayout;
    leftButtons->addWidget(newButton);
    leftButtons->addWidget(importButton);
    left->addLayout(leftButtons);

    m_name = new QLineEdit(this);
    m_name->setAccessibleName(tr("Server name"));
    m_name->setPlaceholderText(tr("e.g. github, filesystem (letters, digits, - and _)"));
    m_transport = new QComboBox(this);
    m_transport->setAccessibleName(tr("Transport"));
    m_transport->addItem(tr("A program on this computer (stdio)"), QStringLiteral("stdio"));
    m_transport->addItem(tr("A remote server (Streamable HTTP)"), QStringLiteral("http"));
    m_command = new QLineEdit(this);
    m_command->setAccessibleName(tr("Command"));
    m_command->setPlaceholderText(tr("e.g. npx -y @modelcontextprotocol/server-filesystem /home/me/notes"));
    m_url = new QLineEdit(this);
    m_url->setAccessibleName(tr("URL"));
    m_url->setPlaceholderText(tr("https://example.com/mcp"));
    m_env = new QPlainTextEdit(this);
    m_env->setAccessibleName(tr("Environment"));
    m_env->setPlaceholderText(tr("NAME=value, one per line"));
    m_env->setMaximumHeight(56);
    m_env->setTabChangesFocus(true);
    m_secretEnv = new QLineEdit(this);
    m_secretEnv->setAccessibleName(tr("Secret variables"));
    m_secretEnv->setPlaceholderText(tr("Names, e.g. GITHUB_TOKEN: values are asked for and kept in the keychain"));
    m_headers = new QPlainTextEdit(this);
    m_headers->setAccessibleName(tr("Headers"));
    m_headers->setPlaceholderText(tr("Name: value, one per line"));
    m_headers->setMaximumHeight(56);
    m_headers->setTabChangesFocus(true);
    m_secretHeaders = new QLineEdit(this);
    m_secretHeaders->setAccessibleName(tr("Secret headers"));
    m_secretHeaders->setPlaceholderText(tr("Names, e.g. Authorization: values kept in the keychain"));
    m_enabled = new QCheckBox(tr("&On"), this);
    m_enabled->setChecked(true);
    m_sandbox = new QCheckBox(tr("Run it in the &sandbox (no home folder; only the paths below)"), this);
    m_network = new QCheckBox(tr("Give the sandboxed server the net&work"), this);
    m_readPaths = new QLineEdit(this);
    m_readPaths->setAccessibleName(tr("Readable paths"));
    m_readPaths->setPlaceholderText(tr("Folders it may read, separated by ':'"));
    m_writePaths = new QLineEdit(this);
    m_writePaths->setAccessibleName(tr("Writable paths"));
    m_writePaths->setPlaceholderText(tr("Folders it may change, separated by ':'"));
    m_agents = new QLineEdit(this);
    m_agents->setAccessibleName(tr("Agents"));
    m_agents->setPlaceholderText(tr("Every agent; or names separated by commas"));
    m_timeout = new QSpinBox(this);
    m_timeout->setAccessibleName(tr("Call timeout"));
    m_timeout->setRange(1, 86400);
    m_timeout->setSuffix(tr(" s"));
    m_timeout->setValue(McpServerConfig().callTimeoutSeconds);
    auto updateTransport = [this] {
        const bool remote = m_transport->currentData().toString() == QLatin1String("http");
        for (QWidget *w : std::initializer_list<QWidget *>{m_command, m_env, m_secretEnv, m_sandbox, m_network,
                                                           m_readPaths, m_writePaths})
            w->setEnabled(!remote);
        for (QWidget *w : std::initializer_list<QWidget *>{m_url, m_headers, m_secretHeaders})
            w->setEnabled(remote);
    };
    connect(m_transport, &QComboBox::currentIndexChanged, this, updateTransport);
    updateTransport();

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Kind:"), m_transport);
    form->addRow(tr("&Command:"), m_command);
    form->addRow(tr("&URL:"), m_url);
    form->addRow(tr("&Environment:"), m_env);
    form->addRow(tr("Secret &variables:"), m_secretEnv);
    form->addRow(tr("&Headers:"), m_headers);
    form->addRow(tr("Secret h&eaders:"), m_secretHeaders);
    form->addRow(QString(), m_sandbox);
    form->addRow(QString(), m_network);
    form->addRow(tr("May &read:"), m_readPaths);
    form->addRow(tr("May wri&te:"), m_writePaths);
    form->addRow(tr("A&gents:"), m_agents);
    form->addRow(tr("A call may take:"), m_timeout);
    form->addRow(QString(), m_enabled);

    m_save = new QPushButton(tr("&Save"), this);
    connect(m_save, &QPushButton::clicked, this, &McpServersPage::save);
    m_test = new QPushButton(tr("&Test"), this);
    m_test->setToolTip(tr("Start the server (or try again) and list its tools"));
    connect(m_test, &QPushButton::clicked, this, &McpServersPage::test);
    m_restart = new QPushButton(tr("Re&start"), this);
    connect(m_restart, &QPushButton::clicked, this, &McpServersPage::restart);
    // No mnemonic: every letter of "Sign in" is taken on this page.
    m_signIn = new QPushButton(tr("Sign in"), this);
    m_signIn->setToolTip(
        tr("Start the server so that it sends you to its sign-in page in your browser"));
    m_signIn->hide();
    connect(m_signIn, &QPushButton::clicked, this, &McpServersPage::signIn);
    m_remove = new QPushButton(tr("Re&move"), this);
    connect(m_remove, &QPushButton::clicked, this, &McpServersPage::remove);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_save);
    buttons->addWidget(m_test);
    buttons->addWidget(m_restart);
    buttons->addWidget(m_signIn);
    buttons->addStretch(1);
    buttons->addWidget(m_remove);

    m_state = new QLabel(this);
    m_state->setAccessibleName(tr("Server state"));
    m_state->setWordWrap(true);
    m_state->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_signInBox = new QWidget(this);
    m_signInText = new QLabel(m_signInBox);
    m_signInText->setAccessibleName(tr("Sign-in"));
    m_signInText->setWordWrap(true);
    m_signInText->setTextFormat(Qt::RichText);
    m_signInText->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_signInText->setOpenExternalLinks(true);
    m_cancelSignIn = new QPushButton(tr("Cancel sign-in"), m_signInBox);
    m_cancelSignIn->setToolTip(
        tr("Tell the server you do not sign in now; it stops waiting for the browser"));
    connect(m_cancelSignIn, &QPushButton::clicked, this, &McpServersPage::cancelSignIn);
    auto *signInLayout = new QHBoxLayout(m_signInBox);
    signInLayout->setContentsMargins(0, 0, 0, 0);
    signInLayout->addWidget(m_signInText, 1);
    signInLayout->addWidget(m_cancelSignIn);
    m_signInBox->hide();
    m_result = new QLabel(this);
    m_result->setAccessibleName(tr("Result"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->hide();

    m_tools = new QTreeWidget(this);
    m_tools->setAccessibleName(tr("Tools of the server"));
    m_tools->setHeaderLabels({tr("Tool"), tr("Offered"), tr("Server's hints (not verified)"), tr("Description")});
    m_tools->setRootIsDecorated(false);
    m_tools->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    connect(m_tools, &QTreeWidget::itemChanged, this, &McpServersPage::onToolToggled);
    m_log = new QPlainTextEdit(this);
    m_log->setAccessibleName(tr("Server log"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(2000);
    m_log->setPlaceholderText(tr("The server's messages (its stderr) and what Spool noticed"));

    auto *right = new QVBoxLayout;
    right->addLayout(form);
    right->addLayout(buttons);
    right->addWidget(m_state);
    right->addWidget(m_signInBox);
    right->addWidget(m_result);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_tools);
    split->addWidget(m_log);
    right->addWidget(split, 1);

    auto *layout = new QHBoxLayout(this);
    layout->addLayout(left);
    layout->addLayout(right, 1);

    if (!m_engine)
        return;
    connect(m_engine, &EngineClient::mcpServersChanged, this, [this](const QString &) { reload(m_loadedName); });
    connect(m_engine, &EngineClient::mcpServerLogAppended, this, &McpServersPage::onLogLine);
    // The window opens the page in the browser; this page says what is awaited, and offers the
    // page again and a way out.
    connect(m_engine, &EngineClient::mcpSignInRequested, this,
            [this](const QString &server, const QUrl &url) {
                m_signInUrls.insert(server, url);
                if (const McpServerStatus *s = current(); s && s->config.name == server)
                    showState(*s);
                showSignIn();
            });
    reload();
}

const McpServerStatus *McpServersPage::current() const
{
    for (const McpServerStatus &s : m_servers) {
        if (s.config.name == m_loadedName)
            return &s;
    }
    return nullptr;
}

void McpServersPage::reload(const QString &select)
{
    if (!m_engine)
        return;
    m_engine->call(this, [](Engine &e) { return e.mcp().servers(); }, [this, select](const QList<McpServerStatus> &servers) {
        m_servers = servers;
        const QSignalBlocker blocker(m_list);
        m_list->clear();
        int row = -1;
        for (int i = 0; i < servers.size(); ++i) {
            const McpServerStatus &s = servers.at(i);
            m_list->addItem(QStringLiteral("%1 — %2").arg(s.config.name, stateText(s)));
            m_list->item(i)->setData(Qt::UserRole, s.config.name);
            if (s.config.name == select)
                row = i;
        }
        if (row >= 0) {
            m_list->setCurrentRow(row);
            // The form keeps what the user typed; the state, tools and log follow the engine.
            showState(servers.at(row));
            showTools(servers.at(row));
        } else if (!servers.isEmpty() && select.isEmpty() && m_loadedName.isEmpty() && m_name->text().isEmpty()) {
            m_list->setCurrentRow(0);
            showServer(servers.first());
        }
    });
}

void McpServersPage::selectServer(const QString &name)
{
    for (const McpServerStatus &s : std::as_const(m_servers)) {
        if (s.config.name == name) {
            for (int i = 0; i < m_list->count(); ++i) {
                if (m_list->item(i)->data(Qt::UserRole).toString() == name) {
                    const QSignalBlocker blocker(m_list);
                    m_list->setCurrentRow(i);
                }
            }
            showServer(s);
            return;
        }
    }
}

void McpServersPage::showServer(const McpServerStatus &status)
{
    const McpServerConfig &c = status.config;
    m_loadedName = c.name;
    m_name->setText(c.name);
    m_transport->setCurrentIndex(c.isRemote() ? 1 : 0);
    QStringList words{c.command};
    for (const QString &a : c.args)
        words << (a.contains(QLatin1Char(' ')) || a.isEmpty() ? QLatin1Char('"') + a + QLatin1Char('"') : a);
    m_command->setText(c.isRemote() ? QString() : words.join(QLatin1Char(' ')));
    m_url->setText(c.url);
    m_env->setPlainText(joinLines(c.env, QStringLiteral("=")));
    m_secretEnv->setText(c.secretEnv.join(QStringLiteral(", ")));
    m_headers->setPlainText(joinLines(c.headers, QStringLiteral(": ")));
    m_secretHeaders->setText(c.secretHeaders.join(QStringLiteral(", ")));
    m_enabled->setChecked(c.enabled);
    m_sandbox->setChecked(c.sandbox);
    m_network->setChecked(c.sandboxNetwork);
    m_readPaths->setText(c.readOnlyPaths.join(QLatin1Char(':')));
    m_writePaths->setText(c.readWritePaths.join(QLatin1Char(':')));
    m_agents->setText(c.agents.join(QStringLiteral(", ")));
    m_timeout->setValue(c.callTimeoutSeconds);
    m_remove->setEnabled(true);
    m_test->setEnabled(true);
    m_restart->setEnabled(c.enabled);
    m_result->hide();
    showState(status);
    showTools(status);
    loadLog(c.name);
}

void McpServersPage::showState(const McpServerStatus &s)
{
    // A server still starting may be waiting for the browser; any other state ended the wait.
    if (s.state != QLatin1String("starting"))
        m_signInUrls.remove(s.config.name);
    const bool waiting = m_signInUrls.contains(s.config.name);
    m_signIn->setVisible(s.config.isRemote());
    m_signIn->setEnabled(s.config.enabled && !s.isReady() && !waiting);
    QStringList parts{tr("<b>%1</b>").arg(stateText(s).toHtmlEscaped())};
    if (!s.serverName.isEmpty())
        parts << tr("%1 %2, protocol %3").arg(s.serverName, s.serverVersion, s.protocolVersion).toHtmlEscaped();
    if (!s.sandbox.isEmpty())
        parts << (s.sandbox == QLatin1String("bwrap") ? tr("in the sandbox") : tr("not sandboxed"));
    if (s.pid > 0)
        parts << tr("process group %1").arg(s.pid);
    if (s.restarts > 0)
        parts << tr("%n restart(s)", nullptr, s.restarts);
    if (s.state == QLatin1String("restarting") && s.restartAt > 0)
        parts << tr("next attempt at %1").arg(QDateTime::fromMSecsSinceEpoch(s.restartAt).toString(QStringLiteral("HH:mm:ss")));
    if (s.config.isRemote())
        parts << (waiting          ? tr("waiting for you to sign in")
                      : s.signedIn ? tr("signed in")
                                   : tr("not signed in"));
    QString html = parts.join(QStringLiteral(" · "));
    if (!s.error.isEmpty())
        html += QStringLiteral("<br>") + s.error.toHtmlEscaped();
    m_state->setText(html);
    showSignIn();
}

void McpServersPage::showSignIn()
{
    const QUrl url = m_signInUrls.value(m_loadedName);
    m_signInBox->setVisible(url.isValid() && !m_loadedName.isEmpty());
    if (!m_signInBox->isVisible())
        return;
    m_signInText->setText(
        tr("%1 is waiting for you to sign in, in your browser. If no page opened, "
           "<a href=\"%2\">open the sign-in page</a>.")
            .arg(m_loadedName.toHtmlEscaped(), url.toString(QUrl::FullyEncoded).toHtmlEscaped()));
}

void McpServersPage::signIn()
{
    // Starting the server makes it answer 401, which starts the sign-in (McpOAuthFlow); the
    // engine waits for the browser at most a few minutes, and so does Test.
    test();
}

void McpServersPage::cancelSignIn()
{
    const QString name = m_loadedName;
    const QUrl page = m_signInUrls.value(name);
    if (!page.isValid())
        return;
    m_engine->call(this, [name](Engine &e) { return e.mcp().cancelSignIn(name); },
                   [this, name](const Status &s) {
                       if (!s)
                           return showResult(s.errorMessage(), false);
                       m_signInUrls.remove(name);
                       showSignIn();
                       showResult(tr("Sign-in to %1 cancelled.").arg(name), true);
                   });
}

void McpServersPage::showTools(const McpServerStatus &s)
{
    m_fillingTools = true;
    m_tools->clear();
    for (const McpToolState &t : s.tools) {
        auto *item = new QTreeWidgetItem(m_tools);
        item->setText(0, t.name);
        item->setData(0, Qt::UserRole, t.name);
        item->setToolTip(0, t.spoolName);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(0, t.enabled ? Qt::Checked : Qt::Unchecked);
        item->setText(1, t.offered ? tr("yes") : (t.problem.isEmpty() ? tr("no") : t.problem));
        QStringList hints;
        for (const QString &h : {QStringLiteral("readOnlyHint"), QStringLiteral("destructiveHint"),
                                 QStringLiteral("idempotentHint"), QStringLiteral("openWorldHint")}) {
            if (t.annotations.value(h).toBool())
                hints << h.chopped(4);
        }
        item->setText(2, hints.join(QStringLiteral(", ")));
        item->setText(3, t.description.simplified());
        item->setToolTip(3, t.description);
    }
    m_fillingTools = false;
}

void McpServersPage::loadLog(const QString &name)
{
    m_log->clear();
    if (!m_engine)
        return;
    m_engine->call(this, [name](Engine &e) { return e.mcp().log(name); },
                   [this, name](const Result<QList<McpLogEntry>> &lines) {
                       if (!lines || name != m_loadedName)
                           return;
                       for (const McpLogEntry &l : *lines)
                           onLogLine(name, l);
                   });
}

void McpServersPage::onLogLine(const QString &server, const McpLogEntry &entry)
{
    if (server != m_loadedName)
        return;
    m_log->appendPlainText(QStringLiteral("%1 [%2] %3")
                                   .arg(QDateTime::fromMSecsSinceEpoch(entry.at).toString(QStringLiteral("HH:mm:ss")),
                                        entry.source, entry.text));
}

void McpServersPage::clearForm()
{
    m_loadedName.clear();
    {
        const QSignalBlocker blocker(m_list);
        m_list->clearSelection();
        m_list->setCurrentRow(-1);
    }
    showServer(McpServerStatus{});
    m_loadedName.clear();
    m_remove->setEnabled(false);
    m_test->setEnabled(false);
    m_restart->setEnabled(false);
    m_state->clear();
    m_name->setFocus();
}

McpServerConfig McpServersPage::formConfig() const
{
    McpServerConfig c;
    if (const McpServerStatus *saved = current())
        c = saved->config; // what the form does not show (tool toggles, limits) stays
    c.name = m_name->text().trimmed();
    QString bad;
    c.env = parseLines(m_env->toPlainText(), &bad);
    c.headers = parseLines(m_headers->toPlainText(), &bad);
    c.secretEnv = splitList(m_secretEnv->text(), QStringLiteral(", "));
    c.secretHeaders = splitList(m_secretHeaders->text(), QStringLiteral(", "));
    if (m_transport->currentData().toString() == QLatin1String("http")) {
        c.url = m_url->text().trimmed();
        c.command.clear();
        c.args.clear();
        c.env.clear();
        c.secretEnv.clear();
        c.sandbox = false;
    } else {
        const QStringList words = QProcess::splitCommand(m_command->text());
        c.command = words.value(0);
        c.args = words.mid(1);
        c.url.clear();
        c.headers.clear();
        c.secretHeaders.clear();
        c.sandbox = m_sandbox->isChecked();
    }
    c.enabled = m_enabled->isChecked();
    c.sandboxNetwork = c.sandbox && m_network->isChecked();
    c.readOnlyPaths = splitList(m_readPaths->text(), QStringLiteral(":\n"));
    c.readWritePaths = splitList(m_writePaths->text(), QStringLiteral(":\n"));
    c.agents = splitList(m_agents->text(), QStringLiteral(", "));
    c.callTimeoutSeconds = m_timeout->value();
    return c;
}

void McpServersPage::save()
{
    if (!m_engine)
        return;
    QString bad;
    parseLines(m_env->toPlainText(), &bad);
    parseLines(m_headers->toPlainText(), &bad);
    if (!bad.isEmpty()) {
        showResult(tr("Write each variable or header as NAME=value: \"%1\"").arg(bad), false);
        return;
    }
    const McpServerConfig c = formConfig();
    if (Status valid = c.validate(); !valid) {
        showResult(valid.errorMessage(), false);
        return;
    }
    // Values are asked only for secrets the keychain does not hold yet for this server.
    QStringList known;
    if (const McpServerStatus *saved = current(); saved && saved->config.name == c.name)
        known = saved->config.secretEnv + saved->config.secretHeaders;
    QMap<QString, QString> secrets;
    for (const QString &key : c.secretEnv + c.secretHeaders) {
        if (known.contains(key))
            continue;
        bool ok = false;
        const QString value = QInputDialog::getText(this, tr("Secret value"),
                                                    tr("Value of %1 for %2 (kept in the keychain):").arg(key, c.name),
                                                    QLineEdit::Password, QString(), &ok);
        if (!ok || value.isEmpty()) {
            showResult(tr("Not saved: %1 needs a value.").arg(key), false);
            return;
        }
        secrets.insert(key, value);
    }
    m_save->setEnabled(false);
    const QString name = c.name;
    m_engine->callAsync<Status>(
            this, [c, secrets](Engine &e, std::function<void(Status)> reply) { e.mcp().save(c, secrets, reply); },
            [this, name](const Status &s) {
                m_save->setEnabled(true);
                if (!s) {
                    showResult(s.errorMessage(), false);
                    return;
                }
                showResult(tr("Saved %1.").arg(name), true);
                m_loadedName = name;
                reload(name);
                emit serversChanged();
            });
}

void McpServersPage::remove()
{
    if (!m_engine || m_loadedName.isEmpty())
        return;
    const QString name = m_loadedName;
    if (QMessageBox::question(this, tr("Remove MCP server"),
                              tr("Remove %1, its stored secrets and its sign-in?").arg(name))
        != QMessageBox::Yes)
        return;
    m_engine->callAsync<Status>(
            this, [name](Engine &e, std::function<void(Status)> reply) { e.mcp().remove(name, reply); },
            [this, name](const Status &s) {
                if (!s) {
                    showResult(s.errorMessage(), false);
                    return;
                }
                clearForm();
                showResult(tr("Removed %1.").arg(name), true);
                reload();
                emit serversChanged();
            });
}

void McpServersPage::test()
{
    if (!m_engine || m_loadedName.isEmpty())
        return;
    const QString name = m_loadedName;
    const bool remote = current() && current()->config.isRemote();
    m_test->setEnabled(false);
    showResult(tr("Starting %1…").arg(name), true);
    m_engine->callAsync<McpServerStatus>(
            this,
            [name, remote](Engine &e, std::function<void(McpServerStatus)> reply) {
                e.mcp().test(name, (remote ? 300 : 60) * 1000, reply);
            },
            [this, name](const McpServerStatus &s) {
                m_test->setEnabled(true);
                if (s.isReady()) {
                    const int offered = int(std::count_if(s.tools.cbegin(), s.tools.cend(),
                                                           [](const McpToolState &t) { return t.offered; }));
                    showResult(tr("%1 works: %2 tools, %3 offered to agents.").arg(name).arg(s.listedTools).arg(offered), true);
                } else {
                    showResult(tr("%1 does not work: %2").arg(name, s.error.isEmpty() ? stateText(s) : s.error), false);
                }
                if (name == m_loadedName) {
                    showState(s);
                    showTools(s);
                }
            });
}

void McpServersPage::restart()
{
    if (!m_engine || m_loadedName.isEmpty())
        return;
    const QString name = m_loadedName;
    m_engine->call(this, [name](Engine &e) { return e.mcp().restart(name); }, [this](const Status &s) {
        if (!s)
            showResult(s.errorMessage(), false);
    });
}

void McpServersPage::onToolToggled(QTreeWidgetItem *item, int column)
{
    if (m_fillingTools || column != 0 || !m_engine || m_loadedName.isEmpty())
        return;
    const QString server = m_loadedName;
    const QString tool = item->data(0, Qt::UserRole).toString();
    const bool enabled = item->checkState(0) == Qt::Checked;
    m_engine->call(this, [server, tool, enabled](Engine &e) { return e.mcp().setToolEnabled(server, tool, enabled); },
                   [this](const Status &s) {
                       if (!s)
                           showResult(s.errorMessage(), false);
                   });
}

void McpServersPage::chooseImport()
{
    const QString path = QFileDialog::getOpenFileName(
            this, tr("Import MCP servers"), QDir::homePath() + QStringLiteral("/.config/Claude"),
            tr("MCP configuration (*.json);;All files (*)"));
    if (!path.isEmpty())
        importFile(path);
}

void McpServersPage::importFile(const QString &path)
{
    if (!m_engine)
        return;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        showResult(tr("Cannot read %1: %2").arg(path, file.errorString()), false);
        return;
    }
    const QByteArray json = file.readAll();
    m_engine->callAsync<Result<McpImportReport>>(
            this,
            [json](Engine &e, std::function<void(Result<McpImportReport>)> reply) {
                e.mcp().importServers(json, false, reply);
            },
            [this, path](const Result<McpImportReport> &r) {
                if (!r) {
                    showResult(tr("Nothing imported from %1: %2").arg(path, r.errorMessage()), false);
                    return;
                }
                QStringList lines;
                lines << tr("Imported %n server(s).", nullptr, int(r->added.size() + r->replaced.size()));
                if (!r->secrets.isEmpty())
                    lines << tr("Kept in the keychain: %1.").arg(r->secrets.join(QStringLiteral("; ")));
                lines += r->warnings;
                showResult(lines.join(QLatin1Char('\n')), true);
                reload(r->added.value(0));
                emit serversChanged();
            });
}

void McpServersPage::showResult(const QString &text, bool ok)
{
    m_result->setText(text);
    m_result->setStyleSheet(ok ? QString() : QStringLiteral("QLabel { color: #c5221f; }"));
    m_result->show();
}

} // namespace Spool
