#pragma once

#include "memory/memoryitem.h"

#include <QDialog>
#include <QPointer>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableView;

namespace Spool {

class EngineClient;
class MemoryListModel;

// The Memory view: browse what Spool remembers (pinned first, newest first), search it as a
// run would (ranked, hybrid or lexical, with scores), filter by scope and source, add, edit,
// pin and forget items, and jump to the run that created one. Modeless; talks to the engine
// only through EngineClient, and follows changes made elsewhere (a run's memory.retain, a
// `spool memory` in a terminal).
class MemoryDialog : public QDialog
{
    Q_OBJECT
public:
    explicit MemoryDialog(EngineClient *engine, QWidget *parent = nullptr);

    MemoryListModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QLineEdit *searchField() const { return m_search; }
    QComboBox *scopeFilter() const { return m_scope; }
    QComboBox *sourceFilter() const { return m_source; }
    QPlainTextEdit *editor() const { return m_text; }
    QLineEdit *tagsField() const { return m_tags; }
    QCheckBox *pinnedBox() const { return m_pinned; }
    QLabel *statusLabel() const { return m_status; }
    qint64 currentId() const { return m_currentId; }

    // Lists (or, with words in the search field, searches) again.
    void refresh();
    // Starts a new memory in the editor (saved with save()).
    void startNew();
    // Stores the editor's text, tags and pin: a new item, or the selected one changed.
    void save();
    void togglePin();
    // Forgets the selected item; asks first unless `confirm` is false.
    void forgetSelected(bool confirm = true);
    void openSelectedRun();

signals:
    // The user wants to see the run that created a memory.
    void openRun(const QString &runId);
    // A list or search came back (for tests and the status line).
    void refreshed();

private:
    void showSelected();
    void showStatus(const QString &text, bool problem = false);

    QPointer<EngineClient> m_engine;
    MemoryListModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QLineEdit *m_search = nullptr;
    QComboBox *m_scope = nullptr;
    QComboBox *m_source = nullptr;
    QPlainTextEdit *m_text = nullptr;
    QLineEdit *m_tags = nullptr;
    QCheckBox *m_pinned = nullptr;
    QPushButton *m_saveButton = nullptr;
    QPushButton *m_forgetButton = nullptr;
    QPushButton *m_runButton = nullptr;
    QLabel *m_status = nullptr;
    qint64 m_currentId = 0;
    MemoryItem m_current;
    int m_generation = 0;
};

} // namespace Spool
