#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>

#include <functional>

namespace Spool {

// A server asking the user for input (elicitation/create) and the user's answer. Form mode
// carries a flat JSON Schema of primitive fields; URL mode (2025-11-25) asks the user to open
// a page. The host shows it (a dialog in the window, a prompt in the terminal).
struct McpElicitation
{
    enum class Action { Accept, Decline, Cancel };

    QString serverName;
    QString message;
    QString mode = QStringLiteral("form"); // "form" or "url"
    QJsonObject requestedSchema;
    QString url;
    QString elicitationId;

    // The answer.
    Action action = Action::Cancel;
    QJsonObject content;

    // Fills fields the user left out with the schema's defaults (SEP-1034): what a form shows
    // pre-filled, and what "accept with defaults" sends.
    static QJsonObject withDefaults(const QJsonObject &schema, const QJsonObject &content);
    static QString actionName(Action action);
};

// The host's side: shows the question and answers later through `reply`, on the client's
// thread. On accept, fields missing from `content` get the schema's defaults from the client,
// so "accept with defaults" is an accept with empty content. A host that never replies leaves
// the server waiting; the call's timeout ends it.
class McpElicitationHandler
{
public:
    virtual ~McpElicitationHandler() = default;
    virtual void elicit(const McpElicitation &request,
                        std::function<void(const McpElicitation &answer)> reply) = 0;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::McpElicitation)
