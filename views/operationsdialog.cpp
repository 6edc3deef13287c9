#include "operationsdialog.h"

#include "client/engineclient.h"
#include "recordtable.h"
#include "runlistmodel.h"

#include <QDesktopServices>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

namespace Spool {

namespace {

QString counts(const QMap<QString, qint64> &map)
{
    QStringList parts;
    for (auto it = map.constBegin(); it != map.constEnd(); ++it)
        parts.append(QStringLiteral("%1 %2").arg(it.value()).arg(it.key()));
    return parts.isEmpty() ? OperationsDialog::tr("none") : parts.join(QStringLiteral(", "));
}

} // namespace

OperationsDialog::OperationsDialog(EngineClient *engine, QWidget *parent)
    : QDialog(parent), m_engine(engine)
{
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(tr("Operations \u2014 Spool"));
    setAccessibleName(tr("Operations"));

    m_runs = new RunListModel(this);
    m_table = new QTableView(this);
    m_table->setModel(m_runs);
    setUpRecordTable(m_table, tr("Runs in progress"));
    m_table->setColumnHidden(RunListModel::TokensColumn, true);
    m_cancel = new QPushButton(tr("&Cancel run"), this);
    m_cancel->setAccessibleName(tr("Cancel the selected run"));
    connect(m_cancel, &QPushButton::clicked, this, &OperationsDialog::cancelSelected);

    m_counters = new QLabel(this);
    m_counters->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_counters->setAccessibleName(tr("Engine counters"));
    m_journal = new QLabel(this);
    m_journal->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_journal->setWordWrap(true);
    m_journal->setAccessibleName(tr("Journal"));
    m_check = new QPushButton(tr("C&heck integrity"), this);
    m_check->setAccessibleName(tr("Check the journal's integrity"));
    connect(m_check, &QPushButton::clicked, this, [this] { refresh(true); });
    auto *open = new QPushButton(tr("&Open folder"), this);
    open->setAccessibleName(tr("Open the journal's folder"));
    connect(open, &QPushButton::clicked, this, [this] {
        if (m_engine)
            QDesktopServices::openUrl(QUrl::fromLocalFile(m_engine->config().dataDir));
    });

    auto *runsBox = new QGroupBox(tr("Runs in progress"), this);
    auto *runsLayout = new QVBoxLayout(runsBox);
    runsLayout->addWidget(m_table);
    auto *runButtons = new QHBoxLayout;
    runButtons->addStretch();
    runButtons->addWidget(m_cancel);
    runsLayout->addLayout(runButtons);

    auto *countersBox = new QGroupBox(tr("Counters"), this);
    auto *countersLayout = new QVBoxLayout(countersBox);
    countersLayout->addWidget(m_counters);

    auto *journalBox = new QGroupBox(tr("Journal"), this);
    auto *journalLayout = new QVBoxLayout(journalBox);
    journalLayout->addWidget(m_journal);
    auto *journalButtons = new QHBoxLayout;
    journalButtons->addStretch();
    journalButtons->addWidget(open);
    journalButtons->addWidget(m_check);
    journalLayout->addLayout(journalButtons);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(runsBox, 2);
    layout->addWidget(countersBox);
    layout->addWidget(journalBox);
    resize(720, 560);

    connect(&m_refresh, &QTimer::timeout, this, [this] { refresh(false); });
    m_refresh.start(2000);
    if (m_engine) {
        connect(m_engine, &EngineClient::runUpdated, this, [this](const RunInfo &run) {
            if (run.isTerminal())
                m_runs->removeKey(run.id);
            else
                m_runs->updateRun(run);
        });
    }
    refresh(false);
}

void OperationsDialog::refresh(bool checkJournal)
{
    if (!m_engine)
        return;
    if (checkJournal)
        m_check->setEnabled(false);
    m_engine->call(this, [checkJournal](Engine &g) { return g.status(checkJournal); },
                   [this](GatewayStatus status) {
                       m_check->setEnabled(true);
                       showStatus(status);
                   });
    m_engine->call(this,
                   [](Engine &g) {
                       RunFilter f;
                       f.activeOnly = true;
                       return g.runs(f);
                   },
                   [this](Result<QList<RunInfo>> runs) {
                       if (runs)
                           m_runs->setRows(*runs);
                       m_cancel->setEnabled(m_runs->rowCount() > 0);
                   });
}

void OperationsDialog::showStatus(const GatewayStatus &s)
{
    const GatewayCounters &c = s.counters;
    m_counters->setText(
            tr("This window: %1 run(s) started, ended: %2\n"
               "Provider calls: %3 (%4 failed) \u00b7 Tool calls: %5 \u00b7 Tape events: %6\n"
               "Approvals: %7\n"
               "Whole journal: %8 live session(s); runs: %9; approvals: %10")
                    .arg(c.runsStarted)
                    .arg(counts(c.runsEnded))
                    .arg(c.providerCalls)
                    .arg(c.providerFailures)
                    .arg(c.toolCalls)
                    .arg(c.tapeEvents)
                    .arg(counts(c.approvals))
                    .arg(s.sessions)
                    .arg(counts(s.runsByState), counts(s.approvalsByStatus)));
    const QLocale locale;
    m_journal->setText(tr("%1\n%2 (+%3 write-ahead log) \u00b7 schema %4 \u00b7 %5 tape events \u00b7 health: %6")
                               .arg(s.journal.path, locale.formattedDataSize(s.journal.fileBytes),
                                    locale.formattedDataSize(s.journal.walBytes))
                               .arg(s.journal.schemaVersion)
                               .arg(s.journal.tapeEvents)
                               .arg(s.journal.check == QLatin1String("not checked")
                                            ? tr("not checked yet")
                                            : s.journal.check));
}

QString OperationsDialog::countersText() const
{
    return m_counters->text();
}

QString OperationsDialog::journalText() const
{
    return m_journal->text();
}

void OperationsDialog::cancelSelected()
{
    const QModelIndex current = m_table->currentIndex();
    const QString runId = current.isValid() ? current.data(RunListModel::IdRole).toString()
                          : (m_runs->rowCount() ? m_runs->rowAt(0).id : QString());
    if (runId.isEmpty() || !m_engine)
        return;
    m_engine->call(this, [runId](Engine &g) { return g.cancelRun(runId, QStringLiteral("gui")); },
                   [this](Result<RunInfo>) { refresh(false); });
}

} // namespace Spool
