#include "memorypage.h"

#include "client/engineclient.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

namespace Spool {

MemoryPage::MemoryPage(EngineClient *engine, QWidget *parent) : QWidget(parent), m_engine(engine)
{
    m_enabled = new QCheckBox(tr("Give runs the &memories relevant to each message"), this);
    m_topK = new QSpinBox(this);
    m_topK->setRange(1, 50);
    m_topK->setAccessibleName(tr("Memories per run"));
    m_budget = new QSpinBox(this);
    m_budget->setRange(0, 100000);
    m_budget->setSingleStep(100);
    m_budget->setSuffix(tr(" tokens"));
    m_budget->setAccessibleName(tr("Memory token budget"));
    m_minScore = new QDoubleSpinBox(this);
    m_minScore->setRange(0, 1);
    m_minScore->setSingleStep(0.05);
    m_minScore->setDecimals(2);
    m_minScore->setAccessibleName(tr("Minimum score"));
    m_provider = new QComboBox(this);
    m_provider->setAccessibleName(tr("Embedding provider"));
    m_model = new QLineEdit(this);
    m_model->setAccessibleName(tr("Embedding model"));
    m_model->setPlaceholderText(tr("e.g. text-embedding-3-small, nomic-embed-text"));
    auto *apply = new QPushButton(tr("&Apply"), this);
    m_saveStatus = new QLabel(this);
    m_saveStatus->setWordWrap(true);
    m_saveStatus->hide();

    m_folders = new QListWidget(this);
    m_folders->setAccessibleName(tr("Folders to import"));
    auto *addFolderButton = new QPushButton(tr("Add &Folder\u2026"), this);
    auto *removeFolder = new QPushButton(tr("&Remove"), this);
    m_import = new QPushButton(tr("&Import Now"), this);
    m_progress = new QProgressBar(this);
    m_progress->setAccessibleName(tr("Import progress"));
    m_progress->hide();
    m_importStatus = new QLabel(this);
    m_importStatus->setWordWrap(true);
    m_importStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_importStatus->setAccessibleName(tr("Import result"));
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setAccessibleName(tr("Memory status"));
    m_reindex = new QPushButton(tr("Recompute &Vectors"), this);

    auto *form = new QFormLayout;
    form->addRow(m_enabled);
    form->addRow(tr("Memories per run, at most:"), m_topK);
    form->addRow(tr("Token &budget:"), m_budget);
    form->addRow(tr("Minimum &score:"), m_minScore);
    form->addRow(tr("&Embeddings from:"), m_provider);
    form->addRow(tr("Embedding m&odel:"), m_model);
    auto *applyRow = new QHBoxLayout;
    applyRow->addWidget(m_saveStatus, 1);
    applyRow->addWidget(apply);
    form->addRow(applyRow);
    auto *folderButtons = new QHBoxLayout;
    folderButtons->addWidget(addFolderButton);
    folderButtons->addWidget(removeFolder);
    folderButtons->addStretch(1);
    folderButtons->addWidget(m_import);
    auto *statusRow = new QHBoxLayout;
    statusRow->addWidget(m_status, 1);
    statusRow->addWidget(m_reindex);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(new QLabel(tr("Folders of your notes and documents (Markdown, text, code):"), this));
    layout->addWidget(m_folders, 1);
    layout->addLayout(folderButtons);
    layout->addWidget(m_progress);
    layout->addWidget(m_importStatus);
    layout->addLayout(statusRow);

    connect(apply, &QPushButton::clicked, this, &MemoryPage::save);
    connect(m_enabled, &QCheckBox::toggled, this, [this] {
        if (!m_loading)
            save();
    });
    connect(addFolderButton, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Folder to import"));
        if (!folder.isEmpty())
            addFolder(folder);
    });
    connect(removeFolder, &QPushButton::clicked, this, [this] {
        delete m_folders->currentItem();
        save();
    });
    connect(m_import, &QPushButton::clicked, this, &MemoryPage::importNow);
    connect(m_reindex, &QPushButton::clicked, this, [this] {
        if (!m_engine)
            return;
        m_engine->call(this, [](Engine &e) { return e.memories().reindex(); }, [this](const Status &s) {
            if (!s)
                m_status->setText(s.errorMessage());
        });
    });
    if (!m_engine)
        return;
    connect(m_engine, &EngineClient::memoryStatusChanged, this, &MemoryPage::showStatus);
    m_engine->call(this, [](Engine &e) { return e.providers().listing(); }, [this](const ProviderListing &listing) {
        const QString chosen = m_provider->currentData().toString();
        const QSignalBlocker block(m_provider);
        m_provider->clear();
        m_provider->addItem(tr("None (lexical search only)"), QString());
        for (const ProviderListing::Entry &e : listing.providers) {
            if (!e.builtIn && e.config.kind == ProviderConfig::Kind::OpenAi)
                m_provider->addItem(e.config.name, e.config.name);
        }
        const int at = m_provider->findData(chosen);
        m_provider->setCurrentIndex(at < 0 ? 0 : at);
        m_engine->call(this, [](Engine &e) { return e.memorySettings(); },
                       [this](const MemorySettings &s) { load(s); });
    });
    m_engine->call(this, [](Engine &e) { return e.memories().status(); },
                   [this](const MemoryStatus &s) { showStatus(s); });
}

void MemoryPage::load(const MemorySettings &s)
{
    m_loading = true;
    m_enabled->setChecked(s.enabled);
    m_topK->setValue(s.topK);
    m_budget->setValue(s.tokenBudget);
    m_minScore->setValue(s.minScore);
    int at = m_provider->findData(s.embeddingProvider);
    if (at < 0 && !s.embeddingProvider.isEmpty()) {
        m_provider->addItem(tr("%1 (not configured)").arg(s.embeddingProvider), s.embeddingProvider);
        at = m_provider->count() - 1;
    }
    m_provider->setCurrentIndex(at < 0 ? 0 : at);
    m_model->setText(s.embeddingModel);
    m_folders->clear();
    m_folders->addItems(s.folders);
    m_loading = false;
}

void MemoryPage::showStatus(const MemoryStatus &st)
{
    QString text = tr("%n memory(s)", nullptr, int(st.items));
    if (st.documents > 0)
        text += tr(" from %n imported file(s) and notes", nullptr, int(st.documents));
    if (st.embeddingModel.isEmpty()) {
        text += tr(". Search is lexical (words only): no embedding model is configured.");
    } else {
        text += tr(". Vectors of %1: %2 of %3%4.")
                        .arg(st.embeddingModel)
                        .arg(st.vectors)
                        .arg(st.items)
                        .arg(st.indexing ? tr(", computing") : QString());
    }
    if (!st.lastError.isEmpty())
        text += QLatin1Char('\n') + tr("Problem: %1").arg(st.lastError);
    m_status->setText(text);
    m_reindex->setEnabled(!st.embeddingModel.isEmpty());
}

void MemoryPage::addFolder(const QString &folder)
{
    const QString path = QFileInfo(folder).absoluteFilePath();
    if (m_folders->findItems(path, Qt::MatchExactly).isEmpty())
        m_folders->addItem(path);
    save();
}

void MemoryPage::save()
{
    if (!m_engine)
        return;
    MemorySettings s;
    s.enabled = m_enabled->isChecked();
    s.topK = m_topK->value();
    s.tokenBudget = m_budget->value();
    s.minScore = m_minScore->value();
    s.embeddingProvider = m_provider->currentData().toString();
    s.embeddingModel = s.embeddingProvider.isEmpty() ? QString() : m_model->text().trimmed();
    for (int i = 0; i < m_folders->count(); ++i)
        s.folders.append(m_folders->item(i)->text());
    m_engine->call(this, [s](Engine &e) { return e.setMemorySettings(s); }, [this](const Status &status) {
        m_saveStatus->setVisible(!status);
        m_saveStatus->setText(status ? QString() : status.errorMessage());
    });
}

void MemoryPage::importNow()
{
    if (!m_engine)
        return;
    QStringList folders;
    for (int i = 0; i < m_folders->count(); ++i)
        folders.append(m_folders->item(i)->text());
    if (folders.isEmpty()) {
        m_importStatus->setText(tr("Add a folder first."));
        return;
    }
    m_import->setEnabled(false);
    m_progress->setRange(0, 0);
    m_progress->show();
    QPointer<MemoryPage> self(this);
    EngineClient *client = m_engine;
    m_engine->callAsync<MemoryImportReport>(
            this,
            [folders, self, client](Engine &e, std::function<void(MemoryImportReport)> reply) {
                e.memories().import(
                        folders,
                        [self, client](const MemoryImportProgress &p) {
                            // Progress crosses back to the window's thread like every answer.
                            QMetaObject::invokeMethod(client, [self, p] {
                                if (!self)
                                    return;
                                self->m_progress->setRange(0, p.total);
                                self->m_progress->setValue(p.done);
                                self->m_importStatus->setText(tr("Importing %1").arg(p.path));
                            }, Qt::QueuedConnection);
                        },
                        [reply](const MemoryImportReport &r) { reply(r); });
            },
            [this](const MemoryImportReport &r) {
                m_import->setEnabled(true);
                m_progress->hide();
                QString text = tr("Imported %n file(s)", nullptr, r.imported)
                        + tr(" (%n passage(s)); ", nullptr, r.chunks)
                        + tr("%1 unchanged, %2 removed.").arg(r.unchanged).arg(r.removed);
                for (const MemoryImportReport::FileError &e : r.errors)
                    text += QLatin1Char('\n') + tr("%1: %2").arg(e.path, e.message);
                m_importStatus->setText(text);
                emit imported();
            });
}

} // namespace Spool
