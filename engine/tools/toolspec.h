#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QStringList>

namespace Spool {

enum class ToolRisk { Low, Medium, High };
QString toolRiskName(ToolRisk risk);

// What a tool is: the contract the model sees and the policy decides on.
struct ToolSpec
{
    QString name;
    QString description;
    QJsonObject parameters;   // JSON Schema of the arguments
    QStringList capabilities; // "fs.read", "fs.write", "process", "network"
    ToolRisk risk = ToolRisk::Low;
    bool requiresApproval = false;

    // Tools of MCP servers (issue 13); empty for built-in tools. The server and the tool's own
    // name there go to the policy request and the tape; the annotations are the server's hints
    // (readOnlyHint, ...), shown and offered to policies, never trusted by Spool itself.
    QString title;
    QString server;
    QString serverTool;
    QString protocolVersion;
    QJsonObject annotations;
    QStringList agents; // the agents that may use the tool; empty: every agent

    bool availableTo(const QString &agent) const { return agents.isEmpty() || agents.contains(agent); }
    QJsonObject toJson() const;
};

} // namespace Spool
