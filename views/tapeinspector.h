#pragma once

#include <QPointer>
#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QStandardItemModel;
class QTableView;
class QTreeView;

namespace Spool {

class EngineClient;
class TapeModel;
struct TapeEvent;

// Every event of a run: seq, time, delta, kind, summary; filter by kind, search text; the full
// JSON of the selected event as a tree and as text; copy; export the run as JSONL.
class TapeInspector : public QWidget
{
    Q_OBJECT
public:
    TapeInspector(EngineClient *engine, QWidget *parent = nullptr);

    void setRun(const QString &runId);
    QString runId() const;
    // Selects the event (loading pages up to it if needed).
    void selectSeq(qint64 seq);
    void applyEvent(const TapeEvent &event);
    // Writes the run's tape to `path`; without one, asks where (a dialog that does not block).
    void exportJsonl(const QString &path = {});

    TapeModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QPlainTextEdit *jsonText() const { return m_text; }
    QLineEdit *searchField() const { return m_search; }
    QComboBox *kindFilter() const { return m_kind; }

signals:
    void status(const QString &message);

private:
    void exportRun(const QString &runId, const QString &path);
    void applyFilter();
    void showTapeEvent(qint64 seq);
    void fillTree(const QJsonValue &value);

    QPointer<EngineClient> m_engine;
    TapeModel *m_model = nullptr;
    QComboBox *m_kind = nullptr;
    QLineEdit *m_search = nullptr;
    QPushButton *m_copy = nullptr;
    QPushButton *m_export = nullptr;
    QTableView *m_table = nullptr;
    QTreeView *m_tree = nullptr;
    QStandardItemModel *m_treeModel = nullptr;
    QPlainTextEdit *m_text = nullptr;
    QLabel *m_count = nullptr;
    qint64 m_shownSeq = 0;
};

} // namespace Spool
