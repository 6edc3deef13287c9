#pragma once

#include "providers/connectiontest.h"
#include "providers/providerlisting.h"

#include <QPointer>
#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace Spool {

class EngineClient;

// The "Providers" settings page: the configured model providers, a form to add or change one
// (kind, base URL, default model, API key, extra headers, timeouts), "Test connection" on what
// the form holds (saved or not), and removal. The key goes to the keychain through the engine
// and is never shown back; when keys fall back to the unencrypted file, a warning stays visible.
class ProvidersPage : public QWidget
{
    Q_OBJECT
public:
    explicit ProvidersPage(EngineClient *engine, QWidget *parent = nullptr);

    // The configuration the form holds (without the key).
    ProviderConfig formConfig() const;
    QString testResultText() const;
    bool isKeyWarningShown() const;

signals:
    void providersChanged();

private:
    void reload(const QString &select = {});
    void showEntry(const ProviderListing::Entry &entry);
    void clearForm();
    void save();
    void remove();
    void removeConfirmed(const QString &name);
    void test();
    void showResult(const QString &text, bool ok);
    void showTest(const ConnectionTest &test);
    void showKeyWarning(const QString &reason, const QString &path);
    void updateKeyPlaceholder();
    std::optional<QString> formKey() const;
    QString formError() const;
    const ProviderListing::Entry *current() const;

    QPointer<EngineClient> m_engine;
    ProviderListing m_listing;
    QString m_loadedName; // the saved provider the form shows; empty for a new one

    QListWidget *m_list = nullptr;
    QLineEdit *m_name = nullptr;
    QComboBox *m_kind = nullptr;
    QLineEdit *m_baseUrl = nullptr;
    QComboBox *m_model = nullptr;
    QLineEdit *m_key = nullptr;
    QLabel *m_keyState = nullptr;
    QLineEdit *m_keyEnv = nullptr;
    QPlainTextEdit *m_headers = nullptr;
    QSpinBox *m_connectTimeout = nullptr;
    QSpinBox *m_stallTimeout = nullptr;
    QSpinBox *m_retries = nullptr;
    QPushButton *m_test = nullptr;
    QPushButton *m_save = nullptr;
    QPushButton *m_remove = nullptr;
    QLabel *m_result = nullptr;
    QLabel *m_keyWarning = nullptr;
    int m_testGeneration = 0;
};

} // namespace Spool
