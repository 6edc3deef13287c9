#include "tapeinspector.h"

#include "client/engineclient.h"
#include "recordtable.h"
#include "tapemodel.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QFileDialog>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

namespace Spool {

namespace {

const QStringList &allKinds()
{
    static const QStringList kinds{TapeKind::RunStatus,        TapeKind::Input,
                                   TapeKind::Context,          TapeKind::ProviderRequest,
                                   TapeKind::ProviderPartial,  TapeKind::ProviderResponse,
                                   TapeKind::ProviderError,    TapeKind::ToolCall,
                                   TapeKind::PolicyDecision,   TapeKind::ApprovalRequest,
                                   TapeKind::ApprovalDecision, TapeKind::ToolOutput,
                                   TapeKind::AssistantMessage, TapeKind::RunOwner,
                                   TapeKind::RunRetried};
    return kinds;
}

void addJson(QStandardItem *parent, const QString &key, const QJsonValue &value)
{
    auto *keyItem = new QStandardItem(key);
    auto *valueItem = new QStandardItem;
    auto *typeItem = new QStandardItem;
    switch (value.type()) {
    case QJsonValue::Object: {
        const QJsonObject o = value.toObject();
        typeItem->setText(TapeInspector::tr("object"));
        valueItem->setText(TapeInspector::tr("{%n field(s)}", nullptr, int(o.size())));
        for (auto it = o.constBegin(); it != o.constEnd(); ++it)
            addJson(keyItem, it.key(), it.value());
        break;
    }
    case QJsonValue::Array: {
        const QJsonArray a = value.toArray();
        typeItem->setText(TapeInspector::tr("array"));
        valueItem->setText(TapeInspector::tr("[%n item(s)]", nullptr, int(a.size())));
        for (int i = 0; i < a.size(); ++i)
            addJson(keyItem, QString::number(i), a.at(i));
        break;
    }
    case QJsonValue::String: {
        typeItem->setText(TapeInspector::tr("string"));
        QString s = value.toString();
        valueItem->setToolTip(s.left(4000));
        s.replace(QLatin1Char('\n'), QStringLiteral(" \u21b5 "));
        valueItem->setText(s.left(500));
        break;
    }
    case QJsonValue::Double:
        typeItem->setText(TapeInspector::tr("number"));
        valueItem->setText(QString::number(value.toDouble(), 'g', 15));
        break;
    case QJsonValue::Bool:
        typeItem->setText(TapeInspector::tr("bool"));
        valueItem->setText(value.toBool() ? QStringLiteral("true") : QStringLiteral("false"));
        break;
    default:
        typeItem->setText(TapeInspector::tr("null"));
        valueItem->setText(QStringLiteral("null"));
        break;
    }
    for (QStandardItem *item : {keyItem, valueItem, typeItem})
        item->setEditable(false);
    parent->appendRow({keyItem, valueItem, typeItem});
}

} // namespace

TapeInspector::TapeInspector(EngineClient *engine, QWidget *parent)
    : QWidget(parent), m_engine(engine)
{
    m_model = new TapeModel(engine, this);

    m_kind = new QComboBox(this);
    m_kind->setAccessibleName(tr("Filter by kind"));
    // Narrower than the longest kind, so the run panel leaves the conversation room on small
    // screens; the list shows every kind in full.
    m_kind->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_kind->setMinimumContentsLength(10);
    m_kind->addItem(tr("All kinds"));
    for (const QString &k : allKinds())
        m_kind->addItem(k, k);
    connect(m_kind, &QComboBox::currentIndexChanged, this, &TapeInspector::applyFilter);

    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search events"));
    m_search->setClearButtonEnabled(true);
    m_search->setAccessibleName(tr("Search the tape"));
    m_search->setMinimumWidth(90);
    auto *debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(250);
    connect(m_search, &QLineEdit::textChanged, debounce, qOverload<>(&QTimer::start));
    connect(debounce, &QTimer::timeout, this, &TapeInspector::applyFilter);

    m_copy = new QPushButton(tr("Copy JSON"), this);
    m_copy->setAccessibleName(tr("Copy the selected event as JSON"));
    connect(m_copy, &QPushButton::clicked, this, [this] {
        QApplication::clipboard()->setText(m_text->toPlainText());
        emit status(tr("Copied event %1").arg(m_shownSeq));
    });
    m_export = new QPushButton(tr("Export JSONL\u2026"), this);
    m_export->setAccessibleName(tr("Export the run's tape as JSON Lines"));
    connect(m_export, &QPushButton::clicked, this, [this] { exportJsonl(); });

    m_count = new QLabel(this);
    m_count->setAccessibleName(tr("Loaded events"));

    m_table = new QTableView(this);
    m_table->setModel(m_model);
    setUpRecordTable(m_table, tr("Tape events"));
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    const QFontMetrics fm = m_table->fontMetrics();
    m_table->setColumnWidth(TapeModel::SeqColumn, fm.horizontalAdvance(QStringLiteral("000000")) + 12);
    m_table->setColumnWidth(TapeModel::TimeColumn, fm.horizontalAdvance(QStringLiteral("00:00:00.000")) + 12);
    m_table->setColumnWidth(TapeModel::DeltaColumn, fm.horizontalAdvance(QStringLiteral("+000 ms")) + 12);
    m_table->setColumnWidth(TapeModel::KindColumn, fm.horizontalAdvance(QStringLiteral("approval.decision")) + 12);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) {
                if (current.isValid())
                    showTapeEvent(m_model->seqAt(current.row()));
            });
    auto updateCount = [this] {
        const int rows = m_model->rowCount();
        m_count->setText(m_model->atEnd() ? (rows == 1 ? tr("1 event") : tr("%1 events").arg(rows))
                                          : tr("%1 events loaded, more below").arg(rows));
    };
    connect(m_model, &TapeModel::pageLoaded, this, updateCount);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, updateCount);
    connect(m_model, &QAbstractItemModel::modelReset, this, updateCount);

    m_treeModel = new QStandardItemModel(this);
    m_treeModel->setHorizontalHeaderLabels({tr("Field"), tr("Value"), tr("Type")});
    m_tree = new QTreeView(this);
    m_tree->setModel(m_treeModel);
    m_tree->setAccessibleName(tr("Event JSON tree"));
    m_tree->setUniformRowHeights(true);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_text = new QPlainTextEdit(this);
    m_text->setReadOnly(true);
    m_text->setUndoRedoEnabled(false);
    m_text->setAccessibleName(tr("Event JSON text"));
    m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    auto *tabs = new QTabWidget(this);
    tabs->addTab(m_tree, tr("Tree"));
    tabs->addTab(m_text, tr("JSON"));
    tabs->setAccessibleName(tr("Selected event"));

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_kind);
    bar->addWidget(m_search, 1);
    bar->addWidget(m_copy);
    bar->addWidget(m_export);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_table);
    splitter->addWidget(tabs);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(splitter, 1);
    layout->addWidget(m_count);
}

QString TapeInspector::runId() const
{
    return m_model->runId();
}

void TapeInspector::setRun(const QString &runId)
{
    if (runId == m_model->runId())
        return;
    m_treeModel->removeRows(0, m_treeModel->rowCount());
    m_text->clear();
    m_shownSeq = 0;
    m_model->setRun(runId);
    m_export->setEnabled(!runId.isEmpty());
}

void TapeInspector::applyFilter()
{
    TapeFilter filter;
    const QString kind = m_kind->currentData().toString();
    if (!kind.isEmpty())
        filter.kinds = {kind};
    filter.text = m_search->text().trimmed();
    m_model->setFilter(filter);
}

void TapeInspector::selectSeq(qint64 seq)
{
    m_model->locate(seq, this, [this, seq](int row) {
        if (row < 0) {
            emit status(tr("Event %1 is hidden by the filter").arg(seq));
            return;
        }
        const QModelIndex index = m_model->index(row, TapeModel::KindColumn);
        m_table->setCurrentIndex(index);
        m_table->scrollTo(index, QAbstractItemView::PositionAtCenter);
    });
}

void TapeInspector::applyEvent(const TapeEvent &event)
{
    m_model->applyEvent(event);
}

void TapeInspector::showTapeEvent(qint64 seq)
{
    if (!m_engine)
        return;
    m_shownSeq = seq;
    const QString runId = m_model->runId();
    m_engine->call(this, [runId, seq](Engine &g) { return g.inspection().tapeEvent(runId, seq); },
                   [this, seq](Result<TapeEvent> e) {
                       if (!e || seq != m_shownSeq)
                           return;
                       const QJsonObject json = e->toJson();
                       m_text->setPlainText(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Indented)));
                       fillTree(json);
                   });
}

void TapeInspector::fillTree(const QJsonValue &value)
{
    m_treeModel->removeRows(0, m_treeModel->rowCount());
    const QJsonObject o = value.toObject();
    for (auto it = o.constBegin(); it != o.constEnd(); ++it)
        addJson(m_treeModel->invisibleRootItem(), it.key(), it.value());
    m_tree->expandToDepth(1);
    m_tree->resizeColumnToContents(0);
}

void TapeInspector::exportJsonl(const QString &requestedPath)
{
    const QString runId = m_model->runId();
    if (runId.isEmpty() || !m_engine)
        return;
    if (requestedPath.isEmpty()) {
        // open(), not exec(): no nested event loop; the export starts when a file is chosen.
        const QString suggested = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation)
                + QStringLiteral("/spool-run-%1.jsonl").arg(runId);
        auto *dialog = new QFileDialog(this, tr("Export the run's tape"), suggested,
                                       tr("JSON Lines (*.jsonl);;All files (*)"));
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->setAcceptMode(QFileDialog::AcceptSave);
        dialog->selectFile(suggested);
        connect(dialog, &QFileDialog::fileSelected, this, [this, runId](const QString &path) {
            if (!path.isEmpty())
                exportRun(runId, path);
        });
        dialog->open();
        return;
    }
    exportRun(runId, requestedPath);
}

void TapeInspector::exportRun(const QString &runId, const QString &path)
{
    if (!m_engine)
        return;
    emit status(tr("Exporting the tape of run %1\u2026").arg(runId));
    m_engine->call(this, [runId, path](Engine &g) { return g.inspection().exportTape(runId, path); },
                   [this, path](Result<qint64> written) {
                       if (written)
                           emit status(tr("Exported %n event(s) to %1", nullptr, int(*written)).arg(path));
                       else
                           emit status(tr("Export failed: %1").arg(written.errorMessage()));
                   });
}

} // namespace Spool
