#include "localapipage.h"

#include "api/apiserver.h"
#include "api/apisettings.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>

namespace Spool {

LocalApiPage::LocalApiPage(ApiServer *server, const RuntimeConfig &config, QWidget *parent)
    : QWidget(parent), m_server(server), m_config(config)
{
    const ApiSettings settings = ApiSettings::load(config);

    m_enabled = new QCheckBox(tr("&Serve the local API while Spool runs"), this);
    auto *explain = new QLabel(tr("Scripts, editors and OpenAI clients on this computer can then talk to "
                                  "your agents over HTTP, on 127.0.0.1 and ::1 only, with the token below. "
                                  "Tool calls still go through your policies and approvals."),
                               this);
    explain->setWordWrap(true);
    explain->setForegroundRole(QPalette::PlaceholderText);

    m_port = new QSpinBox(this);
    m_port->setRange(0, 65535);
    m_port->setSpecialValueText(tr("any free port"));
    m_port->setValue(settings.port);
    m_port->setAccessibleName(tr("Port"));
    m_applyPort = new QPushButton(tr("A&pply"), this);
    auto *portRow = new QHBoxLayout;
    portRow->addWidget(m_port);
    portRow->addWidget(m_applyPort);
    portRow->addStretch(1);

    m_token = new QLineEdit(this);
    m_token->setReadOnly(true);
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setAccessibleName(tr("Token"));
    m_reveal = new QPushButton(tr("Sho&w"), this);
    m_reveal->setCheckable(true);
    m_copy = new QPushButton(tr("&Copy token"), this);
    m_regenerate = new QPushButton(tr("&Regenerate\u2026"), this);
    auto *tokenRow = new QHBoxLayout;
    tokenRow->addWidget(m_token, 1);
    tokenRow->addWidget(m_reveal);
    tokenRow->addWidget(m_copy);
    tokenRow->addWidget(m_regenerate);
    m_tokenPath = new QLabel(this);
    m_tokenPath->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_tokenPath->setForegroundRole(QPalette::PlaceholderText);
    m_tokenPath->setWordWrap(true);

    m_origins = new QPlainTextEdit(this);
    m_origins->setAccessibleName(tr("Allowed browser origins"));
    m_origins->setPlaceholderText(tr("One per line, e.g. http://localhost:3000. Empty: no web page may call."));
    m_origins->setPlainText(settings.allowedOrigins.join(QLatin1Char('\n')));
    m_origins->setMaximumHeight(90);
    m_saveOrigins = new QPushButton(tr("Save &origins"), this);

    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setAccessibleName(tr("Local API status"));
    m_problem = new QLabel(this);
    m_problem->setWordWrap(true);
    m_problem->setAccessibleName(tr("Local API problem"));
    m_problem->hide();

    auto *form = new QFormLayout(this);
    form->addRow(m_enabled);
    form->addRow(explain);
    form->addRow(tr("P&ort:"), portRow);
    form->addRow(tr("&Token:"), tokenRow);
    form->addRow(QString(), m_tokenPath);
    form->addRow(tr("Allowed &browser origins:"), m_origins);
    form->addRow(QString(), m_saveOrigins);
    form->addRow(m_status);
    form->addRow(m_problem);

    connect(m_enabled, &QCheckBox::toggled, this, &LocalApiPage::setServing);
    connect(m_applyPort, &QPushButton::clicked, this, &LocalApiPage::applyPort);
    connect(m_reveal, &QPushButton::toggled, this, [this](bool on) {
        m_token->setEchoMode(on ? QLineEdit::Normal : QLineEdit::Password);
    });
    connect(m_copy, &QPushButton::clicked, this, &LocalApiPage::copyToken);
    connect(m_regenerate, &QPushButton::clicked, this, &LocalApiPage::regenerateToken);
    connect(m_saveOrigins, &QPushButton::clicked, this, &LocalApiPage::saveOrigins);
    if (m_server) {
        connect(m_server, &ApiServer::started, this, &LocalApiPage::refresh);
        connect(m_server, &ApiServer::stopped, this, &LocalApiPage::refresh);
    }
    showToken();
    refresh();
}

void LocalApiPage::refresh()
{
    const bool serving = m_server && m_server->isListening();
    {
        const QSignalBlocker block(m_enabled);
        m_enabled->setChecked(serving);
    }
    m_enabled->setEnabled(m_server != nullptr);
    if (serving) {
        const QString base = m_server->url().resolved(QUrl(QStringLiteral("v1"))).toString();
        m_status->setText(tr("Serving on %1.\nOpenAI-compatible base URL: %2 (the models are your agents).")
                                  .arg(m_server->addresses().join(tr(" and ")), base));
    } else {
        m_status->setText(tr("Not serving."));
        // Why the window could not serve at start (the port taken, `spool serve` running).
        if (m_server && !m_server->lastError().isEmpty() && m_problem->isHidden())
            showProblem(m_server->lastError());
    }
}

void LocalApiPage::showProblem(const QString &message)
{
    m_problem->setVisible(!message.isEmpty());
    m_problem->setText(message);
}

void LocalApiPage::saveSettings()
{
    ApiSettings settings = ApiSettings::load(m_config);
    settings.enabled = m_server && m_server->isListening();
    settings.port = quint16(m_port->value());
    if (Status s = settings.save(m_config); !s)
        showProblem(s.errorMessage());
}

void LocalApiPage::setServing(bool on)
{
    if (!m_server)
        return;
    showProblem({});
    if (on) {
        ApiSettings settings = ApiSettings::load(m_config);
        settings.port = quint16(m_port->value());
        if (Status s = m_server->start(settings); !s)
            showProblem(s.errorMessage());
    } else {
        m_server->stop();
    }
    refresh();
    saveSettings();
    showToken(); // the first start creates the token
}

void LocalApiPage::applyPort()
{
    showProblem({});
    if (m_server && m_server->isListening()) {
        m_server->stop();
        ApiSettings settings = ApiSettings::load(m_config);
        settings.port = quint16(m_port->value());
        if (Status s = m_server->start(settings); !s)
            showProblem(s.errorMessage());
    }
    saveSettings();
    refresh();
}

void LocalApiPage::showToken()
{
    m_tokenPath->setText(m_server ? tr("Kept in %1, readable only by you.").arg(m_server->tokenPath())
                                  : QString());
    if (!m_server)
        return;
    auto token = m_server->token();
    m_token->setText(token ? QString::fromLatin1(*token) : QString());
    if (!token)
        showProblem(token.errorMessage());
}

void LocalApiPage::copyToken()
{
    if (!m_server)
        return;
    auto token = m_server->token();
    if (!token) {
        showProblem(token.errorMessage());
        return;
    }
    QApplication::clipboard()->setText(QString::fromLatin1(*token));
    m_status->setText(tr("The token is on the clipboard."));
}

void LocalApiPage::regenerateToken()
{
    if (!m_server)
        return;
    auto *ask = new QMessageBox(QMessageBox::Question, tr("Regenerate the token?"),
                                tr("Every client using the current token is refused from now on, until "
                                   "it is given the new one."),
                                QMessageBox::Cancel, this);
    ask->setObjectName(QStringLiteral("regenerateTokenQuestion"));
    QPushButton *yes = ask->addButton(tr("&Regenerate"), QMessageBox::DestructiveRole);
    ask->setDefaultButton(QMessageBox::Cancel);
    ask->setAttribute(Qt::WA_DeleteOnClose);
    connect(ask, &QMessageBox::finished, this, [this, ask, yes] {
        if (ask->clickedButton() != yes)
            return;
        if (Status s = m_server->regenerateToken(); !s) {
            showProblem(s.errorMessage());
            return;
        }
        showToken();
        m_status->setText(tr("A new token is in %1; the old one no longer works.").arg(m_server->tokenPath()));
    });
    ask->open();
}

void LocalApiPage::saveOrigins()
{
    QStringList origins;
    QStringList bad;
    const QStringList lines = m_origins->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        if (line.trimmed().isEmpty())
            continue;
        const QString o = ApiSettings::normalizeOrigin(line);
        if (o.isEmpty())
            bad.append(line.trimmed());
        else if (!origins.contains(o))
            origins.append(o);
    }
    if (!bad.isEmpty()) {
        showProblem(tr("Not an origin (scheme://host[:port], no path): %1").arg(bad.join(QStringLiteral(", "))));
        return;
    }
    showProblem({});
    ApiSettings settings = ApiSettings::load(m_config);
    settings.allowedOrigins = origins;
    if (Status s = settings.save(m_config); !s) {
        showProblem(s.errorMessage());
        return;
    }
    if (m_server)
        m_server->setAllowedOrigins(origins);
    m_origins->setPlainText(origins.join(QLatin1Char('\n')));
    m_status->setText(origins.isEmpty() ? tr("No web page may call the API.")
                                        : tr("Allowed origins saved: %1.").arg(origins.join(QStringLiteral(", "))));
}

} // namespace Spool
