#pragma once

#include "core/memorysettings.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace Spool {

class EngineClient;
struct MemoryStatus;

// Settings → Memory: whether runs are given memory and how much (top-k, token budget, minimum
// score), the embedding provider and model (none: search is lexical, and the page says so),
// the folders of documents to import, with progress and a clear error per file, and how far
// the vectors are.
class MemoryPage : public QWidget
{
    Q_OBJECT
public:
    explicit MemoryPage(EngineClient *engine, QWidget *parent = nullptr);

    QCheckBox *enabledBox() const { return m_enabled; }
    QSpinBox *topKField() const { return m_topK; }
    QSpinBox *budgetField() const { return m_budget; }
    QComboBox *providerPicker() const { return m_provider; }
    QLineEdit *modelField() const { return m_model; }
    QListWidget *folderList() const { return m_folders; }
    QLabel *statusLabel() const { return m_status; }
    QLabel *importLabel() const { return m_importStatus; }
    QProgressBar *importProgress() const { return m_progress; }

    // Adds a folder to import (as the Add button does after its file dialog) and saves.
    void addFolder(const QString &folder);
    // Imports every folder of the list now.
    void importNow();
    void save();

signals:
    void imported();

private:
    void load(const MemorySettings &settings);
    void showStatus(const MemoryStatus &status);

    QPointer<EngineClient> m_engine;
    QCheckBox *m_enabled = nullptr;
    QSpinBox *m_topK = nullptr;
    QSpinBox *m_budget = nullptr;
    QDoubleSpinBox *m_minScore = nullptr;
    QComboBox *m_provider = nullptr;
    QLineEdit *m_model = nullptr;
    QListWidget *m_folders = nullptr;
    QPushButton *m_import = nullptr;
    QPushButton *m_reindex = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_importStatus = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_saveStatus = nullptr;
    bool m_loading = true;
};

} // namespace Spool
