#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace Spool {

// A server asking the user something during a tool call (MCP elicitation), as it crosses to
// the front ends: the question, and, once answered, the answer. Form questions carry a flat
// JSON Schema of fields (strings, numbers, booleans, enums); URL questions ask the user to
// open a page. The engine fills in the schema's defaults on accept.
struct McpUserQuestion
{
    QString id;       // the engine's id for this question
    QString server;
    QString runId;    // the run whose tool call the server was serving, when known
    QString callId;
    QString tool;     // mcp.<server>.<tool>
    QString message;
    QString mode = QStringLiteral("form"); // form, url
    QJsonObject schema;
    QString url;
    qint64 askedAt = 0;

    // The answer: accept, decline or cancel; content for an accepted form.
    QString action;
    QJsonObject content;
    QString answeredBy; // gui, cli, system (no one to ask, or the call ended)

    QJsonObject toJson() const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::McpUserQuestion)
