#pragma once

#include "journal/journalhealth.h"
#include "policy/policydecision.h"

#include <QJsonObject>
#include <QMap>
#include <QMetaType>

namespace Spool {

// Counters of this process since it started.
struct GatewayCounters
{
    qint64 runsStarted = 0;
    QMap<QString, qint64> runsEnded; // by terminal state
    qint64 providerCalls = 0;
    qint64 providerFailures = 0;
    qint64 toolCalls = 0;
    QMap<QString, qint64> approvals; // by outcome: allow, deny, timeout, cancelled
    qint64 tapeEvents = 0;

    QJsonObject toJson() const;
};

// What `spool status`, the operations view and the local API show.
struct GatewayStatus
{
    QString instanceId;
    QString frontEnd;
    qint64 startedAt = 0;
    GatewayCounters counters;
    QMap<QString, qint64> runsByState; // whole journal
    QMap<QString, qint64> approvalsByStatus;
    qint64 sessions = 0;
    qint64 activeRunsHere = 0;
    JournalHealth journal;
    QStringList providers;
    QStringList tools;
    QString policyEngine;
    QString policyFolder;                // the user's *.cedar files
    int policyCount = 0;                 // loaded: defaults, user files and grants
    qint64 activeGrants = 0;             // "always" grants not revoked
    QList<PolicyProblem> policyProblems; // non-empty: every tool call is denied

    QJsonObject toJson() const;
    QJsonObject policyJson() const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::GatewayStatus)
