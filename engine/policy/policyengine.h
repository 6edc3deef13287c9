#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace Spool {

// The question asked for every tool call (SPEC §6): may this principal execute this tool with
// these arguments, in this session, for this agent, in this workspace?
struct PolicyRequest
{
    QString principal;
    QString tool;
    QJsonObject arguments;
    QStringList capabilities;
    QString risk;
    bool toolRequiresApproval = false;
    QString sessionId;
    QString agent;
    QString workspace;

    QJsonObject toJson() const;
};

enum class PolicyEffect { Allow, Deny, Ask };
QString policyEffectName(PolicyEffect effect);

struct PolicyDecision
{
    PolicyEffect effect = PolicyEffect::Deny;
    QStringList determining; // ids of the policies that decided
    QStringList erroring;    // ids of policies that failed to evaluate
    QString explanation;     // for the user: why it was allowed, denied or sent for approval

    QJsonObject toJson(const QString &callId) const;
};

// Decides tool calls. Implementations are used on the engine thread and must be fast: every
// tool call passes here.
class PolicyEngine
{
public:
    virtual ~PolicyEngine() = default;
    virtual QString name() const = 0;
    virtual PolicyDecision decide(const PolicyRequest &request) const = 0;
};

} // namespace Spool
