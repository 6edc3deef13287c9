#include "permissionspage.h"

#include "client/engineclient.h"

#include <QDateTime>
#include <QDesktopServices>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTableWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace Spool {

PermissionsPage::PermissionsPage(EngineClient *engine, QWidget *parent) : QWidget(parent), m_engine(engine)
{
    auto *intro = new QLabel(tr("Calls you allowed <b>always</b>: each grant allows exactly one tool with "
                                "exactly these arguments. A policy that forbids a call still wins."),
                             this);
    intro->setWordWrap(true);
    m_grants = new QTableWidget(0, 4, this);
    m_grants->setHorizontalHeaderLabels({tr("Tool"), tr("Arguments"), tr("Granted"), tr("By")});
    m_grants->setAccessibleName(tr("Always grants"));
    m_grants->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_grants->setSelectionMode(QAbstractItemView::SingleSelection);
    m_grants->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_grants->verticalHeader()->hide();
    m_grants->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_revoke = new QPushButton(tr("&Revoke"), this);
    m_revoke->setAccessibleName(tr("Revoke the selected grant"));
    connect(m_revoke, &QPushButton::clicked, this, &PermissionsPage::revokeSelected);

    m_policies = new QLabel(this);
    m_policies->setWordWrap(true);
    m_policies->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_policies->setAccessibleName(tr("Policy files"));
    auto *openFolder = new QPushButton(tr("Open the policy &folder"), this);
    connect(openFolder, &QPushButton::clicked, this, [this] {
        if (!m_engine)
            return;
        m_engine->call(this, [](Engine &g) { return g.policies().folder(); },
                       [](QString folder) { QDesktopServices::openUrl(QUrl::fromLocalFile(folder)); });
    });
    auto *reloadPolicies = new QPushButton(tr("Re&load policies"), this);
    reloadPolicies->setAccessibleName(tr("Read the policy files again"));
    connect(reloadPolicies, &QPushButton::clicked, this, [this] {
        if (!m_engine)
            return;
        m_engine->call(this, [](Engine &g) { return g.policies().reload(); },
                       [this](QList<PolicyProblem> problems) {
                           emit status(problems.isEmpty() ? tr("Policies reloaded")
                                                          : tr("The policies have problems; every tool call is denied until they are fixed"));
                           reload();
                       });
    });

    auto *grantButtons = new QHBoxLayout;
    grantButtons->addStretch();
    grantButtons->addWidget(m_revoke);
    auto *policyButtons = new QHBoxLayout;
    policyButtons->addStretch();
    policyButtons->addWidget(openFolder);
    policyButtons->addWidget(reloadPolicies);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_grants, 1);
    layout->addLayout(grantButtons);
    layout->addWidget(m_policies);
    layout->addLayout(policyButtons);
    reload();
}

void PermissionsPage::reload()
{
    if (!m_engine)
        return;
    struct Answer
    {
        Result<QList<PolicyGrant>> grants = Error{};
        QString folder;
        QList<PolicyProblem> problems;
    };
    m_engine->call(this,
                   [](Engine &g) {
                       Answer a;
                       a.grants = g.policies().grants();
                       a.folder = g.policies().folder();
                       a.problems = g.policies().problems();
                       return a;
                   },
                   [this](Answer a) {
                       m_grants->setRowCount(0);
                       if (a.grants) {
                           for (const PolicyGrant &grant : *a.grants) {
                               const int row = m_grants->rowCount();
                               m_grants->insertRow(row);
                               const QString args = QString::fromUtf8(QJsonDocument(grant.constraints.value(QStringLiteral("arguments")).toObject())
                                                                             .toJson(QJsonDocument::Compact));
                               auto *tool = new QTableWidgetItem(grant.tool);
                               tool->setData(Qt::UserRole, grant.id);
                               m_grants->setItem(row, 0, tool);
                               auto *argsItem = new QTableWidgetItem(args);
                               argsItem->setToolTip(grant.policyText);
                               m_grants->setItem(row, 1, argsItem);
                               m_grants->setItem(row, 2, new QTableWidgetItem(QLocale().toString(
                                                                 QDateTime::fromMSecsSinceEpoch(grant.createdAt), QLocale::ShortFormat)));
                               m_grants->setItem(row, 3, new QTableWidgetItem(grant.createdBy));
                           }
                       }
                       m_revoke->setEnabled(m_grants->rowCount() > 0);
                       QString text = tr("Your policy files: %1").arg(a.folder);
                       if (a.problems.isEmpty()) {
                           text += QLatin1Char('\n') + tr("No problems.");
                       } else {
                           text += QLatin1Char('\n') + tr("Problems (every tool call is denied until they are fixed):");
                           for (const PolicyProblem &p : std::as_const(a.problems))
                               text += QStringLiteral("\n  ") + p.toString();
                       }
                       m_policies->setText(text);
                   });
}

void PermissionsPage::revokeSelected()
{
    const int row = m_grants->currentRow() >= 0 ? m_grants->currentRow() : (m_grants->rowCount() ? 0 : -1);
    if (row < 0 || !m_engine)
        return;
    const QString id = m_grants->item(row, 0)->data(Qt::UserRole).toString();
    m_engine->call(this, [id](Engine &g) { return g.policies().revokeGrant(id, QStringLiteral("gui")); },
                   [this](Result<PolicyGrant> g) {
                       emit status(g ? tr("Revoked: %1 asks again").arg(g->tool) : g.errorMessage());
                       reload();
                   });
}

} // namespace Spool
