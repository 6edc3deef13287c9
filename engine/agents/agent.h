#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace Spool {

// A named agent: who the model is told it is, which provider and model it runs on, which tools
// it may call, and how approvals work for it.
struct Agent
{
    // "policy": the policy decides allow / deny / ask. "ask": every allowed call also asks.
    enum class ApprovalMode { Policy, Ask };

    QString name;
    QString systemPrompt;
    QString provider;
    QString model;
    QStringList toolAllowlist; // empty means every registered tool
    ApprovalMode approvalMode = ApprovalMode::Policy;

    bool isValid() const { return !name.isEmpty(); }
    bool allowsTool(const QString &tool) const;
    QJsonObject toJson() const;

    static QString approvalModeName(ApprovalMode mode);

    // The agent that always exists, as Spool first creates it.
    static QString defaultName() { return QStringLiteral("default"); }
    static Agent builtInDefault();
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::Agent)
