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

    QJsonObject toJson() const;
};

} // namespace Spool
