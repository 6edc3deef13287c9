#pragma once

#include <QJsonObject>
#include <QList>
#include <QMetaType>
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
    // MCP tools: the server and the tool's own name there (empty for built-in tools), and the
    // server's hints about the tool (readOnlyHint, destructiveHint, idempotentHint,
    // openWorldHint), which policies may choose to trust.
    QString server;
    QString serverTool;
    QJsonObject annotations;

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

// A problem in a policy file, with its place (1-based line and column; 0 when the problem is
// the file as a whole, such as one that cannot be read).
struct PolicyProblem
{
    QString file;
    int line = 0;
    int column = 0;
    QString message;

    // "file:line:column: message".
    QString toString() const;
    QJsonObject toJson() const;
};

// One policy's part in a decision, for `spool policy explain`.
struct PolicyTrace
{
    enum class Outcome { Satisfied, NotSatisfied, Error };

    QString policyId;
    QString file;
    int line = 0;
    QString effect; // "permit" or "forbid"
    bool ask = false;
    Outcome outcome = Outcome::NotSatisfied;
    QString error; // when outcome is Error
    QString text;  // the policy as written

    QJsonObject toJson() const;
};

// A loaded policy, for `spool policy list`.
struct PolicyInfo
{
    QString policyId;
    QString file;
    int line = 0;
    QString effect; // "permit" or "forbid"
    bool ask = false;
    QString text; // the policy as written

    QJsonObject toJson() const;
};

// Policy text with the name it is reported under (a file name, or a pseudo-file such as a
// generated grant's).
struct PolicySource
{
    QString text;
    QString fileName;
};

struct PolicyExplanation
{
    PolicyRequest request;
    PolicyDecision decision;
    QList<PolicyTrace> policies; // every loaded policy, in load order

    QJsonObject toJson() const;
};

} // namespace Spool
