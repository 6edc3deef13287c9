#include "approvaldialog.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace Spool {

namespace {

QString riskText(const QString &risk)
{
    if (risk == QLatin1String("high"))
        return ApprovalDialog::tr("High: it can change or reach things outside this conversation.");
    if (risk == QLatin1String("medium"))
        return ApprovalDialog::tr("Medium: it can change files or run programs in the workspace.");
    return ApprovalDialog::tr("Low: it only reads or computes.");
}

} // namespace

ApprovalDialog::ApprovalDialog(const PendingToolApproval &approval, QWidget *parent)
    : QDialog(parent), m_approval(approval)
{
    setAttribute(Qt::WA_DeleteOnClose);
    setWindowTitle(tr("Approve a tool call \u2014 Spool"));
    setAccessibleName(tr("Tool approval"));

    auto *title = new QLabel(tr("<b>Allow the tool \u201c%1\u201d to run?</b>").arg(approval.tool.toHtmlEscaped()), this);
    title->setTextFormat(Qt::RichText);
    title->setAccessibleName(tr("Tool %1 asks to run").arg(approval.tool));

    auto *risk = new QLabel(riskText(approval.risk), this);
    risk->setWordWrap(true);
    risk->setAccessibleName(tr("Risk"));
    auto *why = new QLabel(approval.explanation.isEmpty() ? tr("The policy asks for every call of this tool.")
                                                          : approval.explanation, this);
    why->setWordWrap(true);
    why->setAccessibleName(tr("Why the policy asks"));

    auto *arguments = new QPlainTextEdit(this);
    arguments->setReadOnly(true);
    arguments->setPlainText(QString::fromUtf8(QJsonDocument(approval.arguments).toJson(QJsonDocument::Indented)));
    arguments->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    arguments->setAccessibleName(tr("Arguments"));
    arguments->setMinimumHeight(120);

    m_countdown = new QLabel(this);
    m_countdown->setAccessibleName(tr("Time left"));
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setAccessibleName(tr("Approval status"));
    m_status->hide();

    auto *form = new QFormLayout;
    form->addRow(tr("Risk:"), risk);
    form->addRow(tr("Why:"), why);
    form->addRow(tr("Run:"), new QLabel(approval.runId, this));

    m_deny = new QPushButton(tr("&Deny"), this);
    m_allowOnce = new QPushButton(tr("Allow &once"), this);
    m_allowSession = new QPushButton(tr("Allow for this &session"), this);
    m_deny->setAccessibleName(tr("Deny this call"));
    m_allowOnce->setAccessibleName(tr("Allow this call once"));
    m_allowSession->setAccessibleName(tr("Allow this tool for the rest of the session"));
    // Enter answers with the safe choice.
    m_deny->setDefault(true);
    m_allowOnce->setAutoDefault(false);
    m_allowSession->setAutoDefault(false);
    auto *buttons = new QDialogButtonBox(this);
    buttons->addButton(m_allowSession, QDialogButtonBox::AcceptRole);
    buttons->addButton(m_allowOnce, QDialogButtonBox::AcceptRole);
    buttons->addButton(m_deny, QDialogButtonBox::RejectRole);
    connect(m_deny, &QPushButton::clicked, this, [this] { decide(false, ApprovalScope::Once); });
    connect(m_allowOnce, &QPushButton::clicked, this, [this] { decide(true, ApprovalScope::Once); });
    connect(m_allowSession, &QPushButton::clicked, this, [this] { decide(true, ApprovalScope::Session); });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addLayout(form);
    layout->addWidget(new QLabel(tr("Arguments:"), this));
    layout->addWidget(arguments, 1);
    layout->addWidget(m_countdown);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(520, 420);

    connect(&m_tick, &QTimer::timeout, this, &ApprovalDialog::updateCountdown);
    m_tick.start(1000);
    updateCountdown();
    m_deny->setFocus();
}

void ApprovalDialog::updateCountdown()
{
    const qint64 left = (m_approval.expiresAt - QDateTime::currentMSecsSinceEpoch()) / 1000;
    if (left <= 0) {
        m_countdown->setText(tr("The request has expired; the call will not run."));
        return;
    }
    m_countdown->setText(tr("Expires in %1:%2; unanswered, the call is denied.")
                                 .arg(left / 60)
                                 .arg(left % 60, 2, 10, QLatin1Char('0')));
}

void ApprovalDialog::decide(bool allow, ApprovalScope scope)
{
    if (m_answered)
        return;
    m_answered = true;
    emit decided(m_approval.id, allow, scope);
    accept();
}

QString ApprovalDialog::statusText() const
{
    return m_status->text();
}

void ApprovalDialog::resolvedElsewhere(const PendingToolApproval &approval)
{
    if (m_answered || approval.id != m_approval.id)
        return;
    m_answered = true;
    m_tick.stop();
    for (QPushButton *b : {m_allowOnce, m_allowSession, m_deny})
        b->setEnabled(false);
    QString what;
    switch (approval.status) {
    case ApprovalStatus::Allow: what = tr("allowed"); break;
    case ApprovalStatus::Deny: what = tr("denied"); break;
    case ApprovalStatus::Timeout: what = tr("not answered in time, so denied"); break;
    case ApprovalStatus::Cancelled: what = tr("cancelled with its run"); break;
    case ApprovalStatus::Pending: what = tr("pending"); break;
    }
    m_status->setText(approval.decidedBy.startsWith(QLatin1String("system"))
                              ? tr("This request was %1.").arg(what)
                              : tr("This request was %1 elsewhere (by %2).").arg(what, approval.decidedBy));
    m_status->show();
    m_countdown->hide();
    QTimer::singleShot(2500, this, &QDialog::close);
}

} // namespace Spool
