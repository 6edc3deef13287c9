#include "providerspage.h"

#include "client/engineclient.h"
#include "messageboxes.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QVBoxLayout>

namespace Spool {

namespace {

const QString kOpenAi = QStringLiteral("openai");
const QString kAnthropic = QStringLiteral("anthropic");

// "Name: value" or "Name=value", one per line.
QRegularExpression headerLine()
{
    static const QRegularExpression re(QStringLiteral("^\\s*([^=:\\s]+)\\s*[:=]\\s?(.*)$"));
    return re;
}

} // namespace

ProvidersPage::ProvidersPage(EngineClient *engine, QWidget *parent)
    : QWidget(parent), m_engine(engine)
{
    m_keyWarning = new QLabel(this);
    m_keyWarning->setAccessibleName(tr("Key storage warning"));
    m_keyWarning->setWordWrap(true);
    m_keyWarning->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_keyWarning->setStyleSheet(QStringLiteral(
            "QLabel { background: rgba(217, 48, 37, 0.12); border: 1px solid rgba(217, 48, 37, 0.6);"
            " border-radius: 3px; padding: 6px; }"));
    m_keyWarning->hide();

    m_list = new QListWidget(this);
    m_list->setAccessibleName(tr("Configured providers"));
    m_list->setMaximumWidth(180);
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row < 0)
            return;
        if (const ProviderListing::Entry *e = m_listing.find(m_list->item(row)->text()))
            showEntry(*e);
    });

    m_name = new QLineEdit(this);
    m_name->setAccessibleName(tr("Provider name"));
    m_name->setPlaceholderText(tr("e.g. openai, ollama, claude"));
    m_kind = new QComboBox(this);
    m_kind->setAccessibleName(tr("API kind"));
    // The long first choice must not set the dialog's width; the list shows it whole.
    m_kind->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_kind->setMinimumContentsLength(24);
    m_kind->addItem(tr("OpenAI-compatible (OpenAI, Ollama, LM Studio, llama.cpp, vLLM, OpenRouter)"),
                    kOpenAi);
    m_kind->addItem(tr("Anthropic"), kAnthropic);
    m_baseUrl = new QLineEdit(this);
    m_baseUrl->setAccessibleName(tr("Base URL"));
    auto *urlHint = new QLabel(tr("Local servers: Ollama http://127.0.0.1:11434/v1, LM Studio "
                                  "http://127.0.0.1:1234/v1, llama.cpp http://127.0.0.1:8080/v1"),
                               this);
    urlHint->setWordWrap(true);
    urlHint->setEnabled(false); // muted
    m_model = new QComboBox(this);
    m_model->setEditable(true);
    m_model->setInsertPolicy(QComboBox::NoInsert);
    m_model->setAccessibleName(tr("Default model"));
    m_model->lineEdit()->setPlaceholderText(tr("Test the connection to list the server's models"));
    m_key = new QLineEdit(this);
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setAccessibleName(tr("API key"));
    m_key->setAccessibleDescription(tr("Stored in the system keychain; never shown again"));
    m_keyState = new QLabel(this);
    m_keyState->setAccessibleName(tr("Where the key is kept"));
    m_keyState->setWordWrap(true);
    m_keyEnv = new QLineEdit(this);
    m_keyEnv->setAccessibleName(tr("Key from environment variable"));
    m_keyEnv->setPlaceholderText(tr("Optional, e.g. OPENAI_API_KEY, instead of a stored key"));
    m_headers = new QPlainTextEdit(this);
    m_headers->setAccessibleName(tr("Extra headers"));
    m_headers->setPlaceholderText(tr("One per line, e.g. OpenAI-Organization: org-123"));
    m_headers->setMaximumHeight(64);
    m_headers->setTabChangesFocus(true);
    m_connectTimeout = new QSpinBox(this);
    m_connectTimeout->setAccessibleName(tr("Connect timeout"));
    m_connectTimeout->setRange(1, 600);
    m_connectTimeout->setSuffix(tr(" s"));
    m_stallTimeout = new QSpinBox(this);
    m_stallTimeout->setAccessibleName(tr("Silence timeout"));
    m_stallTimeout->setToolTip(tr("How long the server may send nothing during a reply before "
                                  "Spool gives up"));
    m_stallTimeout->setRange(1, 3600);
    m_stallTimeout->setSuffix(tr(" s"));
    m_retries = new QSpinBox(this);
    m_retries->setAccessibleName(tr("Retries"));
    m_retries->setRange(0, 10);

    connect(m_kind, &QComboBox::currentIndexChanged, this, [this] {
        const auto kind = ProviderConfig::parseKind(m_kind->currentData().toString());
        m_baseUrl->setPlaceholderText(
                ProviderConfig::defaultBaseUrl(kind.value_or(ProviderConfig::Kind::OpenAi)));
    });

    m_test = new QPushButton(tr("&Test connection"), this);
    m_test->setAccessibleName(tr("Test connection"));
    connect(m_test, &QPushButton::clicked, this, &ProvidersPage::test);
    m_result = new QLabel(this);
    m_result->setAccessibleName(tr("Connection test result"));
    m_result->setWordWrap(true);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Kind:"), m_kind);
    form->addRow(tr("&Base URL:"), m_baseUrl);
    form->addRow(QString(), urlHint);
    form->addRow(tr("Default &model:"), m_model);
    form->addRow(tr("API &key:"), m_key);
    form->addRow(QString(), m_keyState);
    form->addRow(tr("Key from &environment:"), m_keyEnv);
    form->addRow(tr("Extra &headers:"), m_headers);
    form->addRow(tr("&Connect timeout:"), m_connectTimeout);
    form->addRow(tr("&Silence timeout:"), m_stallTimeout);
    form->addRow(tr("&Retries:"), m_retries);
    auto *testRow = new QHBoxLayout;
    testRow->addWidget(m_test, 0, Qt::AlignTop);
    testRow->addWidget(m_result, 1);
    form->addRow(testRow);

    auto *add = new QPushButton(tr("&New provider"), this);
    add->setAccessibleName(tr("New provider"));
    connect(add, &QPushButton::clicked, this, [this] {
        m_list->clearSelection();
        m_list->setCurrentRow(-1);
        clearForm();
        m_name->setFocus();
    });
    m_remove = new QPushButton(tr("&Remove"), this);
    m_remove->setAccessibleName(tr("Remove provider"));
    connect(m_remove, &QPushButton::clicked, this, &ProvidersPage::remove);
    m_save = new QPushButton(tr("&Save"), this);
    m_save->setAccessibleName(tr("Save provider"));
    connect(m_save, &QPushButton::clicked, this, &ProvidersPage::save);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(add);
    buttons->addStretch();
    buttons->addWidget(m_remove);
    buttons->addWidget(m_save);

    auto *right = new QVBoxLayout;
    right->addLayout(form, 1);
    right->addLayout(buttons);
    auto *row = new QHBoxLayout;
    row->addWidget(m_list);
    row->addLayout(right, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_keyWarning);
    layout->addLayout(row, 1);

    clearForm();
    if (m_engine) {
        connect(m_engine, &EngineClient::keyStorageFallback, this, [this](const QString &reason) {
            showKeyWarning(reason, m_listing.keyFilePath);
        });
        reload();
    }
}

const ProviderListing::Entry *ProvidersPage::current() const
{
    return m_loadedName.isEmpty() ? nullptr : m_listing.find(m_loadedName);
}

void ProvidersPage::reload(const QString &select)
{
    if (!m_engine)
        return;
    m_engine->call(this, [](Engine &g) { return g.providers().listing(); },
                   [this, select](ProviderListing listing) {
                       m_listing = listing;
                       QSignalBlocker block(m_list);
                       m_list->clear();
                       int row = -1;
                       for (const ProviderListing::Entry &e : std::as_const(m_listing.providers)) {
                           if (e.builtIn)
                               continue;
                           m_list->addItem(e.config.name);
                           if (e.config.name == select)
                               row = m_list->count() - 1;
                       }
                       if (m_listing.keysInFile)
                           showKeyWarning(m_listing.keyFileReason, m_listing.keyFilePath);
                       if (!m_listing.warnings.isEmpty())
                           showResult(m_listing.warnings.join(QLatin1Char('\n')), false);
                       if (row < 0 && select.isEmpty() && m_list->count() > 0)
                           row = 0;
                       if (row >= 0) {
                           m_list->setCurrentRow(row);
                           if (const ProviderListing::Entry *e = m_listing.find(m_list->item(row)->text()))
                               showEntry(*e);
                       } else if (m_loadedName.isEmpty() || !m_listing.find(m_loadedName)) {
                           clearForm();
                       }
                   });
}

void ProvidersPage::clearForm()
{
    m_loadedName.clear();
    m_name->setReadOnly(false);
    m_name->clear();
    m_kind->setCurrentIndex(0);
    m_baseUrl->clear();
    m_baseUrl->setPlaceholderText(ProviderConfig::defaultBaseUrl(ProviderConfig::Kind::OpenAi));
    m_model->clear();
    m_model->setEditText(QString());
    m_key->clear();
    m_keyEnv->clear();
    m_headers->clear();
    const ProviderConfig defaults;
    m_connectTimeout->setValue(defaults.connectTimeoutMs / 1000);
    m_stallTimeout->setValue(defaults.stallTimeoutMs / 1000);
    m_retries->setValue(defaults.maxRetries);
    m_remove->setEnabled(false);
    m_result->clear();
    m_keyState->setText(tr("A new provider. Local servers usually need no key."));
    updateKeyPlaceholder();
}

void ProvidersPage::showEntry(const ProviderListing::Entry &entry)
{
    const ProviderConfig &c = entry.config;
    m_loadedName = c.name;
    ++m_testGeneration; // a test of the previous form no longer applies
    m_test->setEnabled(true);
    m_name->setText(c.name);
    m_name->setReadOnly(true); // a new name is a new provider: "New provider"
    m_kind->setCurrentIndex(qMax(0, m_kind->findData(c.kindName())));
    m_baseUrl->setText(c.baseUrl);
    m_model->clear();
    m_model->setEditText(c.defaultModel);
    m_key->clear();
    m_keyEnv->setText(ProviderConfig::isEnvironmentRef(c.keyRef) ? c.keyRef.mid(4) : QString());
    QStringList headers;
    for (auto it = c.extraHeaders.cbegin(); it != c.extraHeaders.cend(); ++it)
        headers.append(it.key() + QStringLiteral(": ") + it.value());
    m_headers->setPlainText(headers.join(QLatin1Char('\n')));
    m_connectTimeout->setValue(qMax(1, c.connectTimeoutMs / 1000));
    m_stallTimeout->setValue(qMax(1, c.stallTimeoutMs / 1000));
    m_retries->setValue(c.maxRetries);
    m_remove->setEnabled(true);
    m_result->clear();

    const QString storage = entry.keyStorage;
    if (storage == QLatin1String("keychain"))
        m_keyState->setText(tr("The key is stored in the system keychain."));
    else if (storage == QLatin1String("file"))
        m_keyState->setText(tr("The key is stored unencrypted in %1.").arg(m_listing.keyFilePath));
    else if (storage == QLatin1String("environment"))
        m_keyState->setText(tr("The key is read from the environment variable %1.").arg(c.keyRef.mid(4)));
    else if (storage == QLatin1String("missing"))
        m_keyState->setText(tr("No key is stored for this provider: type one and save."));
    else
        m_keyState->setText(tr("No key: fine for local servers."));
    updateKeyPlaceholder();
}

void ProvidersPage::updateKeyPlaceholder()
{
    const ProviderListing::Entry *e = current();
    const bool stored = e && (e->keyStorage == QLatin1String("keychain")
                              || e->keyStorage == QLatin1String("file"));
    m_key->setPlaceholderText(stored ? tr("Stored; type a new key to replace it")
                                     : tr("Leave empty for servers that need no key"));
}

ProviderConfig ProvidersPage::formConfig() const
{
    ProviderConfig c;
    if (const ProviderListing::Entry *e = current())
        c = e->config; // keeps what the form does not show (retry delays, max tokens)
    c.name = m_name->text().trimmed();
    c.kind = ProviderConfig::parseKind(m_kind->currentData().toString()).value_or(ProviderConfig::Kind::OpenAi);
    c.baseUrl = m_baseUrl->text().trimmed();
    c.defaultModel = m_model->currentText().trimmed();
    const QString env = m_keyEnv->text().trimmed();
    if (!env.isEmpty())
        c.keyRef = QStringLiteral("env:") + env;
    else if (ProviderConfig::isEnvironmentRef(c.keyRef))
        c.keyRef.clear();
    c.extraHeaders.clear();
    const QStringList lines = m_headers->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        const auto m = headerLine().match(line);
        if (m.hasMatch() && !m.captured(2).trimmed().isEmpty())
            c.extraHeaders.insert(m.captured(1), m.captured(2).trimmed());
    }
    c.connectTimeoutMs = m_connectTimeout->value() * 1000;
    c.stallTimeoutMs = m_stallTimeout->value() * 1000;
    c.maxRetries = m_retries->value();
    return c;
}

std::optional<QString> ProvidersPage::formKey() const
{
    const QString key = m_key->text().trimmed();
    if (key.isEmpty())
        return std::nullopt;
    return key;
}

QString ProvidersPage::formError() const
{
    const QStringList lines = m_headers->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (const QString &line : lines) {
        if (!line.trimmed().isEmpty() && !headerLine().match(line).hasMatch())
            return tr("\u201c%1\u201d is not a header: write one per line as Name: value.").arg(line.trimmed());
    }
    const QString env = m_keyEnv->text().trimmed();
    static const QRegularExpression envName(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
    if (!env.isEmpty() && !envName.match(env).hasMatch())
        return tr("\u201c%1\u201d is not the name of an environment variable.").arg(env);
    if (!env.isEmpty() && formKey())
        return tr("Give either a key or an environment variable, not both.");
    return QString();
}

void ProvidersPage::showResult(const QString &text, bool ok)
{
    m_result->setStyleSheet(ok ? QString() : QStringLiteral("QLabel { color: #c62828; }"));
    m_result->setText(text);
}

QString ProvidersPage::testResultText() const
{
    return m_result->text();
}

bool ProvidersPage::isKeyWarningShown() const
{
    return !m_keyWarning->isHidden();
}

void ProvidersPage::showKeyWarning(const QString &reason, const QString &path)
{
    m_keyWarning->setText(
            tr("\u26a0 No keychain is in use (%1). API keys are stored unencrypted in %2, "
               "readable only by you. Start a keychain service (GNOME Keyring, KWallet) to keep "
               "them encrypted.")
                    .arg(reason.isEmpty() ? tr("none answered") : reason, path));
    m_keyWarning->show();
}

void ProvidersPage::save()
{
    if (!m_engine)
        return;
    if (const QString error = formError(); !error.isEmpty()) {
        showResult(error, false);
        return;
    }
    const ProviderConfig config = formConfig();
    if (Status valid = config.validate(); !valid) {
        showResult(tr("Not saved: %1").arg(valid.errorMessage()), false);
        return;
    }
    const std::optional<QString> key = formKey();
    m_save->setEnabled(false);
    showResult(tr("Saving\u2026"), true);
    m_engine->callAsync<Status>(
            this,
            [config, key](Engine &g, std::function<void(Status)> reply) {
                g.providers().add(config, key, [reply](const Status &s) { reply(s); });
            },
            [this, name = config.name](Status status) {
                m_save->setEnabled(true);
                if (!status) {
                    showResult(tr("Not saved: %1").arg(status.errorMessage()), false);
                    return;
                }
                m_key->clear();
                m_loadedName = name;
                reload(name);
                showResult(tr("Saved \u201c%1\u201d.").arg(name), true);
                emit providersChanged();
            });
}

void ProvidersPage::remove()
{
    if (!m_engine || m_loadedName.isEmpty())
        return;
    const QString name = m_loadedName;
    askToConfirm(this, tr("Remove provider"),
                 tr("Remove the provider \u201c%1\u201d and its stored key? Agents using it will "
                    "fail until they use another provider.")
                         .arg(name),
                 tr("&Remove"), this, [this, name] { removeConfirmed(name); });
}

void ProvidersPage::removeConfirmed(const QString &name)
{
    if (!m_engine)
        return;
    m_engine->callAsync<Status>(
            this,
            [name](Engine &g, std::function<void(Status)> reply) {
                g.providers().remove(name, [reply](const Status &s) { reply(s); });
            },
            [this, name](Status status) {
                if (!status) {
                    showResult(tr("Not removed: %1").arg(status.errorMessage()), false);
                    return;
                }
                m_loadedName.clear();
                reload();
                showResult(tr("Removed \u201c%1\u201d.").arg(name), true);
                emit providersChanged();
            });
}

void ProvidersPage::test()
{
    if (!m_engine)
        return;
    if (const QString error = formError(); !error.isEmpty()) {
        showResult(error, false);
        return;
    }
    ProviderConfig config = formConfig();
    if (config.name.isEmpty())
        config.name = QStringLiteral("unsaved"); // a test needs no name
    const std::optional<QString> key = formKey();
    const int generation = ++m_testGeneration;
    m_test->setEnabled(false);
    showResult(tr("Testing %1\u2026").arg(config.endpoint(QString()).toDisplayString()), true);
    m_engine->callAsync<ConnectionTest>(
            this,
            [config, key](Engine &g, std::function<void(ConnectionTest)> reply) {
                g.providers().test(config, key, [reply](const ConnectionTest &t) { reply(t); });
            },
            [this, generation](ConnectionTest result) {
                if (generation != m_testGeneration)
                    return;
                m_test->setEnabled(true);
                showTest(result);
            });
}

void ProvidersPage::showTest(const ConnectionTest &t)
{
    if (t.ok) {
        const QString text = t.models.isEmpty()
                ? tr("\u2713 It works: the server answered in %1 ms.").arg(t.latencyMs)
                : t.models.size() == 1
                ? tr("\u2713 It works: 1 model available, answered in %1 ms.").arg(t.latencyMs)
                : tr("\u2713 It works: %1 models available, answered in %2 ms.")
                          .arg(t.models.size())
                          .arg(t.latencyMs);
        showResult(text, true);
        if (!t.models.isEmpty()) {
            const QString model = m_model->currentText();
            m_model->clear();
            m_model->addItems(t.models);
            m_model->setEditText(model.isEmpty() ? t.models.constFirst() : model);
        }
        return;
    }
    const ProviderError e = t.error.value_or(ProviderError{});
    QString hint;
    switch (e.errorClass) {
    case ProviderErrorClass::Network:
    case ProviderErrorClass::Timeout:
        hint = tr("Is the server running at %1?").arg(formConfig().endpoint(QString()).toDisplayString());
        break;
    case ProviderErrorClass::InvalidRequest:
    case ProviderErrorClass::MalformedResponse:
        hint = tr("Check the base URL: for OpenAI-compatible servers it usually ends in /v1.");
        break;
    default: break;
    }
    showResult(tr("\u2717 It does not work. %1 %2 %3")
                       .arg(providerErrorClassDescription(e.errorClass), e.message, hint)
                       .trimmed(),
               false);
}

} // namespace Spool
