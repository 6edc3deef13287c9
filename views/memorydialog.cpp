#include "memorydialog.h"

#include "client/engineclient.h"
#include "memorylistmodel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace Spool {

namespace {

QStringList splitTags(const QString &text)
{
    QStringList tags;
    for (const QString &t : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString tag = t.trimmed();
        if (!tag.isEmpty() && !tags.contains(tag))
            tags.append(tag);
    }
    return tags;
}

} // namespace

MemoryDialog::MemoryDialog(EngineClient *engine, QWidget *parent)
    : QDialog(parent), m_engine(engine), m_model(new MemoryListModel(this))
{
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(tr("Memory \u2014 Spool"));
    setAccessibleName(tr("Memory"));

    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search memory as a run would (Enter); empty lists everything"));
    m_search->setAccessibleName(tr("Search memory"));
    m_search->setClearButtonEnabled(true);
    m_scope = new QComboBox(this);
    m_scope->setAccessibleName(tr("Scope filter"));
    m_scope->addItem(tr("All scopes"), QString());
    m_scope->addItem(tr("Global"), QStringLiteral("global"));
    m_scope->addItem(tr("Agent"), QStringLiteral("agent"));
    m_scope->addItem(tr("Session"), QStringLiteral("session"));
    m_source = new QComboBox(this);
    m_source->setAccessibleName(tr("Source filter"));
    m_source->addItem(tr("All sources"), QString());
    m_source->addItem(tr("Typed by you"), QStringLiteral("user"));
    m_source->addItem(tr("Retained by the agent"), QStringLiteral("agent"));
    m_source->addItem(tr("Imported files"), QStringLiteral("file"));
    m_source->addItem(tr("Saved from runs"), QStringLiteral("run"));
    auto *add = new QPushButton(tr("&New"), this);
    add->setAccessibleName(tr("New memory"));

    m_table = new QTableView(this);
    m_table->setModel(m_model);
    m_table->setAccessibleName(tr("Memories"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(MemoryListModel::TextColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(MemoryListModel::PinnedColumn, QHeaderView::ResizeToContents);
    m_table->setWordWrap(false);

    m_text = new QPlainTextEdit(this);
    m_text->setAccessibleName(tr("Memory text"));
    m_text->setPlaceholderText(tr("What Spool should remember"));
    m_tags = new QLineEdit(this);
    m_tags->setAccessibleName(tr("Tags"));
    m_tags->setPlaceholderText(tr("tags, separated by commas"));
    m_pinned = new QCheckBox(tr("&Pinned (found first)"), this);
    m_saveButton = new QPushButton(tr("&Save"), this);
    m_forgetButton = new QPushButton(tr("&Forget"), this);
    m_forgetButton->setAccessibleName(tr("Forget memory"));
    m_runButton = new QPushButton(tr("Open &Run"), this);
    m_runButton->setAccessibleName(tr("Open the run that created this memory"));
    // Return belongs to the field it is typed in (the search runs, the editor gets a line):
    // no button of this dialog is pressed by it.
    for (QPushButton *button : {add, m_saveButton, m_forgetButton, m_runButton})
        button->setAutoDefault(false);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setAccessibleName(tr("Memory status"));

    auto *filters = new QHBoxLayout;
    filters->addWidget(m_search, 1);
    filters->addWidget(m_scope);
    filters->addWidget(m_source);
    filters->addWidget(add);

    auto *editorPane = new QWidget(this);
    auto *form = new QFormLayout(editorPane);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(m_text);
    form->addRow(tr("&Tags:"), m_tags);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_pinned);
    buttons->addStretch(1);
    buttons->addWidget(m_runButton);
    buttons->addWidget(m_forgetButton);
    buttons->addWidget(m_saveButton);
    form->addRow(buttons);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_table);
    split->addWidget(editorPane);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(filters);
    layout->addWidget(split, 1);
    layout->addWidget(m_status);
    resize(860, 600);

    connect(m_search, &QLineEdit::returnPressed, this, &MemoryDialog::refresh);
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (text.isEmpty())
            refresh(); // cleared: back to the list
    });
    connect(m_scope, &QComboBox::currentIndexChanged, this, &MemoryDialog::refresh);
    connect(m_source, &QComboBox::currentIndexChanged, this, &MemoryDialog::refresh);
    connect(add, &QPushButton::clicked, this, &MemoryDialog::startNew);
    connect(m_saveButton, &QPushButton::clicked, this, &MemoryDialog::save);
    connect(m_forgetButton, &QPushButton::clicked, this, [this] { forgetSelected(true); });
    connect(m_runButton, &QPushButton::clicked, this, &MemoryDialog::openSelectedRun);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &MemoryDialog::showSelected);
    auto *forget = new QShortcut(QKeySequence::Delete, m_table);
    connect(forget, &QShortcut::activated, this, [this] { forgetSelected(true); });
    auto *saveShortcut = new QShortcut(QKeySequence::Save, this);
    connect(saveShortcut, &QShortcut::activated, this, &MemoryDialog::save);
    auto *newShortcut = new QShortcut(QKeySequence::New, this);
    connect(newShortcut, &QShortcut::activated, this, &MemoryDialog::startNew);

    if (m_engine) {
        // Changes from runs, other windows and terminals show up here.
        connect(m_engine, &EngineClient::memoryChanged, this, &MemoryDialog::refresh);
        connect(m_engine, &EngineClient::journalChanged, this, [this] {
            if (!m_model->isSearch())
                refresh();
        });
    }
    startNew();
    refresh();
}

void MemoryDialog::refresh()
{
    if (!m_engine)
        return;
    const int generation = ++m_generation;
    const QString text = m_search->text().trimmed();
    const QString scopeName = m_scope->currentData().toString();
    const QString sourceName = m_source->currentData().toString();
    const std::optional<MemoryScope> scope = scopeName.isEmpty() ? std::nullopt : parseMemoryScope(scopeName);
    const std::optional<MemorySource> source = sourceName.isEmpty() ? std::nullopt : parseMemorySource(sourceName);
    const qint64 keep = m_currentId;
    if (text.isEmpty()) {
        MemoryFilter filter;
        filter.scope = scope;
        filter.source = source;
        filter.limit = 2000;
        m_engine->call(this, [filter](Engine &e) { return e.memories().list(filter); },
                       [this, generation, keep](const Result<QList<MemoryItem>> &items) {
                           if (generation != m_generation)
                               return;
                           if (!items) {
                               showStatus(items.errorMessage(), true);
                               return;
                           }
                           m_model->setItems(*items);
                           showStatus(tr("%n memory(s)", nullptr, int(items->size())));
                           const int row = m_model->rowOf(QString::number(keep));
                           if (row >= 0)
                               m_table->selectRow(row);
                           emit refreshed();
                       });
        return;
    }
    MemoryQuery query;
    query.text = text;
    query.limit = 50;
    query.allScopes = true;
    if (source)
        query.sources = {*source};
    m_engine->callAsync<Result<MemorySearchResult>>(
            this,
            [query](Engine &e, std::function<void(Result<MemorySearchResult>)> reply) {
                e.memories().search(query, [reply](const Result<MemorySearchResult> &r) { reply(r); });
            },
            [this, generation, scope](const Result<MemorySearchResult> &result) {
                if (generation != m_generation)
                    return;
                if (!result) {
                    showStatus(result.errorMessage(), true);
                    return;
                }
                QList<MemoryHit> hits;
                for (const MemoryHit &h : result->hits) {
                    if (!scope || h.item.scope == *scope)
                        hits.append(h);
                }
                m_model->setHits(hits);
                QString status = tr("%n match(es), %1 search", nullptr, int(hits.size())).arg(result->mode);
                if (!result->note.isEmpty())
                    status += QStringLiteral(" \u2014 ") + result->note;
                showStatus(status);
                emit refreshed();
            });
}

void MemoryDialog::showStatus(const QString &text, bool problem)
{
    m_status->setText(text);
    m_status->setForegroundRole(problem ? QPalette::BrightText : QPalette::WindowText);
}

void MemoryDialog::showSelected()
{
    const QModelIndex index = m_table->currentIndex();
    if (!index.isValid())
        return;
    m_current = index.data(MemoryListModel::ItemRole).value<MemoryItem>();
    m_currentId = m_current.id;
    m_text->setPlainText(m_current.text);
    m_tags->setText(m_current.tags.join(QStringLiteral(", ")));
    m_pinned->setChecked(m_current.pinned);
    m_forgetButton->setEnabled(true);
    m_runButton->setEnabled(!m_current.runId.isEmpty());
}

void MemoryDialog::startNew()
{
    // No current row either: choosing the same row again must load it into the editor.
    m_table->selectionModel()->clear();
    m_current = MemoryItem{};
    m_currentId = 0;
    m_text->clear();
    m_tags->clear();
    m_pinned->setChecked(false);
    m_forgetButton->setEnabled(false);
    m_runButton->setEnabled(false);
    m_text->setFocus(Qt::OtherFocusReason);
}

void MemoryDialog::save()
{
    if (!m_engine)
        return;
    MemoryItem item = m_current;
    item.text = m_text->toPlainText();
    item.tags = splitTags(m_tags->text());
    item.pinned = m_pinned->isChecked();
    const bool isNew = item.id == 0;
    if (isNew)
        item.source = MemorySource::User;
    m_engine->call(this,
                   [item, isNew](Engine &e) { return isNew ? e.memories().add(item) : e.memories().update(item); },
                   [this, isNew](const Result<MemoryItem> &saved) {
                       if (!saved) {
                           showStatus(saved.errorMessage(), true);
                           return;
                       }
                       m_current = *saved;
                       m_currentId = saved->id;
                       showStatus(isNew ? tr("Remembered %1.").arg(saved->id) : tr("Saved %1.").arg(saved->id));
                       refresh();
                   });
}

void MemoryDialog::togglePin()
{
    if (m_currentId == 0)
        return;
    m_pinned->setChecked(!m_pinned->isChecked());
    MemoryItem item = m_current;
    item.pinned = m_pinned->isChecked();
    m_engine->call(this, [item](Engine &e) { return e.memories().update(item); },
                   [this](const Result<MemoryItem> &saved) {
                       if (!saved) {
                           showStatus(saved.errorMessage(), true);
                           return;
                       }
                       m_current = *saved;
                       refresh();
                   });
}

void MemoryDialog::forgetSelected(bool confirm)
{
    if (!m_engine || m_currentId == 0)
        return;
    const qint64 id = m_currentId;
    if (confirm
        && QMessageBox::question(this, tr("Forget memory"),
                                 tr("Forget memory %1? Runs will no longer be given it.").arg(id))
                != QMessageBox::Yes)
        return;
    m_engine->call(this, [id](Engine &e) { return e.memories().remove(id); }, [this, id](const Status &s) {
        if (!s) {
            showStatus(s.errorMessage(), true);
            return;
        }
        showStatus(tr("Forgot %1.").arg(id));
        startNew();
        refresh();
    });
}

void MemoryDialog::openSelectedRun()
{
    if (!m_current.runId.isEmpty())
        emit openRun(m_current.runId);
}

} // namespace Spool
