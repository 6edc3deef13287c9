#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace Spool {

// An "always" answer to an approval (SPEC §6), kept as a narrow Cedar permit that Spool
// generates: this principal, this tool, exactly the arguments the user saw. Grants live in the
// journal (`policy_grants`), are loaded into the policy engine next to the user's policies,
// and can be listed and revoked. A grant is a permit without @ask: it answers the default
// policies' "ask", and, like every permit, it never overrides a forbid. GrantPermit writes
// the permit.
struct PolicyGrant
{
    QString id; // ULID
    QString principal;
    QString tool;
    // {"match": "fields" | "record", "arguments": {...}, "absent": [...], "ignored": [...]}
    QJsonObject constraints;
    QString policyText; // the generated Cedar permit
    qint64 createdAt = 0;
    QString createdBy;
    QString sourceApprovalId;
    qint64 revokedAt = 0;
    QString revokedBy;

    bool isValid() const { return !id.isEmpty(); }
    bool isActive() const { return revokedAt == 0; }
    // Its policy's id in decisions and on the tape: "grant.<id>".
    QString policyId() const;
    QJsonObject toJson() const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::PolicyGrant)
