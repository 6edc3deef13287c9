#include "approvaldialog.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSyntaxHighlighter>
#include <QTabWidget>
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

// Colours a unified diff: additions green, removals red, hunk headers muted.
class DiffHighlighter : public QSyntaxHighlighter
{
public:
    using QSyntaxHighlighter::QSyntaxHighlighter;

protected:
    void highlightBlock(const QString &text) override
    {
        QTextCharFormat format;
        if (text.startsWith(QLatin1String("+++")) || text.startsWith(QLatin1String("---"))) {
            format.setFontWeight(QFont::Bold);
        } else if (text.startsWith(QLatin1Char('+'))) {
            format.setBackground(QColor(0x2e, 0xa0, 0x43, 60));
        } else if (text.startsWith(QLatin1Char('-'))) {
            format.setBackground(QColor(0xd9, 0x30, 0x25, 60));
        } else if (text.startsWith(QLatin1String("@@"))) {
            format.setForeground(QColor(0x6b, 0x72, 0x80));
        } else {
            return;
        }
        setFormat(0, int(text.size()), format);
    }
};

// A title and a body for what the call would do, from the tool's approval preview.
std::pair<QString, QString> describePreview(const QJsonObject &p)
{
    const QString kind = p.value(QStringLiteral("kind")).toString();
    auto str = [&p](const char *key) { return p.value(QLatin1String(key)).toString(); };
    if (kind == QLatin1String("diff")) {
        const QString action = str("action");
        QString title = action == QLatin1String("create")
                ? ApprovalDialog::tr("Creates %1 (%2 lines)").arg(str("path")).arg(p.value(QStringLiteral("added")).toInt())
                : action == QLatin1String("unchanged")
                ? ApprovalDialog::tr("Leaves %1 unchanged").arg(str("path"))
                : ApprovalDialog::tr("Changes %1: +%2 \u2212%3 lines")
                          .arg(str("path"))
                          .arg(p.value(QStringLiteral("added")).toInt())
                          .arg(p.value(QStringLiteral("removed")).toInt());
        if (p.value(QStringLiteral("diff_truncated")).toBool())
            title += ApprovalDialog::tr(" (diff cut short)");
        return {title, str("diff")};
    }
    if (kind == QLatin1String("command")) {
        const QString sandbox = str("sandbox");
        QString title;
        if (sandbox == QLatin1String("none"))
            title = ApprovalDialog::tr("Runs WITHOUT a sandbox, with your permissions");
        else if (sandbox == QLatin1String("unavailable"))
            title = ApprovalDialog::tr("No sandbox is available: the command will be refused");
        else
            title = p.value(QStringLiteral("network")).toBool()
                    ? ApprovalDialog::tr("Runs in the sandbox, with network")
                    : ApprovalDialog::tr("Runs in the sandbox, without network");
        QString body = str("command");
        if (p.value(QStringLiteral("is_compound")).toBool()) {
            const QStringList reasons = p.value(QStringLiteral("compound_reasons")).toVariant().toStringList();
            body += QStringLiteral("\n\n") + ApprovalDialog::tr("Note: this runs more than one command (%1).")
                                               .arg(reasons.join(QStringLiteral(", ")));
        }
        if (!str("warning").isEmpty())
            body += QStringLiteral("\n\n") + str("warning");
        return {title, body};
    }
    if (kind == QLatin1String("url"))
        return {ApprovalDialog::tr("Fetches from %1").arg(str("host")), str("method") + QLatin1Char(' ') + str("url")};
    if (kind == QLatin1String("error"))
        return {ApprovalDialog::tr("The tool would refuse this call"), str("error")};
    if (kind == QLatin1String("memory")) {
        QString body = str("text");
        const QJsonArray tags = p.value(QStringLiteral("tags")).toArray();
        if (!tags.isEmpty()) {
            QStringList names;
            for (const QJsonValue &t : tags)
                names.append(t.toString());
            body += QStringLiteral("\n\n") + ApprovalDialog::tr("Tags: %1").arg(names.join(QStringLiteral(", ")));
        }
        return {ApprovalDialog::tr("Remembers this (%1), for later runs").arg(str("scope")), body};
    }
    if (kind == QLatin1String("mcp")) {
        const QString where = str("sandbox") == QLatin1String("bwrap") ? ApprovalDialog::tr(", in the sandbox")
                            : str("sandbox") == QLatin1String("none") ? ApprovalDialog::tr(", not sandboxed")
                                                                     : QString();
        const QString title = ApprovalDialog::tr("Calls %1 on the MCP server “%2”%3")
                                      .arg(str("tool"), str("server"), where);
        QStringList body;
        body << ApprovalDialog::tr("Server: %1 (%2, protocol %3)").arg(str("target"), str("transport"), str("protocol_version"));
        if (!str("description").isEmpty())
            body << QString() << str("description");
        QStringList hints;
        const QJsonObject a = p.value(QStringLiteral("annotations")).toObject();
        hints << (a.value(QStringLiteral("readOnlyHint")).toBool() ? ApprovalDialog::tr("only reads")
                                                                    : ApprovalDialog::tr("may change things"));
        if (!a.value(QStringLiteral("readOnlyHint")).toBool())
            hints << (a.value(QStringLiteral("destructiveHint")).toBool() ? ApprovalDialog::tr("may destroy data")
                                                                           : ApprovalDialog::tr("does not destroy data"));
        hints << (a.value(QStringLiteral("openWorldHint")).toBool() ? ApprovalDialog::tr("reaches outside systems")
                                                                     : ApprovalDialog::tr("stays within its own world"));
        body << QString() << ApprovalDialog::tr("The server says the tool %1. Spool has not checked this.")
                                     .arg(hints.join(QStringLiteral(", ")));
        return {title, body.join(QLatin1Char('\n'))};
    }
    return {};
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

    // What the call would do, when the tool can say.
    const auto [previewTitle, previewBody] = describePreview(approval.preview);
    QWidget *details = arguments;
    if (!previewBody.isEmpty()) {
        m_previewTitle = new QLabel(QStringLiteral("<b>%1</b>").arg(previewTitle.toHtmlEscaped()), this);
        m_previewTitle->setAccessibleName(tr("What the call would do"));
        m_preview = new QPlainTextEdit(this);
        m_preview->setReadOnly(true);
        m_preview->setLineWrapMode(QPlainTextEdit::NoWrap);
        m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        m_preview->setAccessibleName(tr("Preview"));
        m_preview->setPlainText(previewBody);
        if (approval.preview.value(QStringLiteral("kind")).toString() == QLatin1String("diff"))
            new DiffHighlighter(m_preview->document());
        auto *page = new QWidget(this);
        auto *pageLayout = new QVBoxLayout(page);
        pageLayout->setContentsMargins(0, 0, 0, 0);
        pageLayout->addWidget(m_previewTitle);
        pageLayout->addWidget(m_preview, 1);
        auto *tabs = new QTabWidget(this);
        tabs->setAccessibleName(tr("Call details"));
        tabs->addTab(page, tr("What it will do"));
        tabs->addTab(arguments, tr("Arguments"));
        details = tabs;
    }

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
    m_allowAlways = new QPushButton(tr("Allow &always"), this);
    m_allowAlways->setAccessibleName(tr("Always allow exactly this call"));
    m_allowAlways->setToolTip(tr("Allow exactly this call (this tool, these arguments) from now on. "
                                 "Grants are listed in Settings \u2192 Permissions, where you can revoke them."));
    m_allowAlways->setAutoDefault(false);
    m_deny->setAccessibleName(tr("Deny this call"));
    m_allowOnce->setAccessibleName(tr("Allow this call once"));
    m_allowSession->setAccessibleName(tr("Allow this tool for the rest of the session"));
    // Enter answers with the safe choice.
    m_deny->setDefault(true);
    m_allowOnce->setAutoDefault(false);
    m_allowSession->setAutoDefault(false);
    auto *buttons = new QDialogButtonBox(this);
    buttons->addButton(m_allowAlways, QDialogButtonBox::AcceptRole);
    buttons->addButton(m_allowSession, QDialogButtonBox::AcceptRole);
    buttons->addButton(m_allowOnce, QDialogButtonBox::AcceptRole);
    buttons->addButton(m_deny, QDialogButtonBox::RejectRole);
    connect(m_deny, &QPushButton::clicked, this, [this] { decide(false, ApprovalScope::Once); });
    connect(m_allowOnce, &QPushButton::clicked, this, [this] { decide(true, ApprovalScope::Once); });
    connect(m_allowSession, &QPushButton::clicked, this, [this] { decide(true, ApprovalScope::Session); });
    connect(m_allowAlways, &QPushButton::clicked, this, [this] { decide(true, ApprovalScope::Always); });

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title);
    layout->addLayout(form);
    if (details == arguments)
        layout->addWidget(new QLabel(tr("Arguments:"), this));
    layout->addWidget(details, 1);
    layout->addWidget(m_countdown);
    layout->addWidget(m_status);
    layout->addWidget(buttons);
    resize(640, 520);

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

QString ApprovalDialog::previewText() const
{
    return m_preview ? m_previewTitle->text() + QLatin1Char('\n') + m_preview->toPlainText() : QString();
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
    for (QPushButton *b : {m_allowOnce, m_allowSession, m_allowAlways, m_deny})
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
