#pragma once

#include <QHash>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace Spool {

struct ProviderRequest;
struct ToolCallRequest;

// The names Spool's tools go by on the wire, for one request. The hosted APIs take tool names
// matching ^[a-zA-Z0-9_-]{1,64}$ only (OpenAI: [a-zA-Z0-9_-]+ of at most 64; Anthropic:
// {1,64} in its guide, {1,128} in its errors), while Spool's own names have dots (`fs.read`)
// and names from elsewhere (MCP servers) may hold slashes, spaces, any letter, any length.
//
// wireName() is a pure function of the name, so the same tool has the same wire name in every
// request, run, session and process, and history re-sent from the tape keeps its names:
//   - a name that is already valid is itself (`clock`, `get_weather`);
//   - a name that is valid but for dots has them turned into underscores (`fs.read` ->
//     `fs_read`, `mcp.github.create_issue` -> `mcp_github_create_issue`);
//   - anything else (slashes, spaces, other characters, longer than 64) becomes a readable
//     prefix and 8 hex digits of the SHA-256 of the whole name (`my server/Get issue` ->
//     `my_server_Get_issue_ee105503`).
// Within one request two names could still meet on one wire name (`fs.read` next to a tool
// really called `fs_read`). The table resolves that the same way whatever the order of the
// names: names that are valid as they are keep themselves, and any other name whose wire name
// is taken gets its hashed form (hashedName(), then with a counter), so a request stays valid
// and every wire name decodes to exactly one Spool name.
class WireToolNames
{
public:
    static constexpr int maxLength = 64;

    static bool isWireName(const QString &name);
    // The wire name of `name` when nothing else in the request claims it.
    static QString wireName(const QString &name);
    // A readable prefix of `name` and a hash of it (and of `attempt`, when above 0).
    static QString hashedName(const QString &name, int attempt = 0);

    WireToolNames() = default;
    // `offered`: the tools the model may call, in order; `others`: names that appear in the
    // request too (calls in the history, a tool_choice).
    WireToolNames(const QStringList &offered, const QStringList &others);
    // The table for `request`: its tools, every tool its history called, its tool_choice.
    static WireToolNames forRequest(const ProviderRequest &request);

    // The wire name of a name in the table (of any other name: wireName()).
    QString toWire(const QString &spoolName) const;
    // The Spool name behind a wire name of this table.
    std::optional<QString> toSpool(const QString &wireName) const;
    // A call the model made, with the Spool name of its tool; a name this request did not
    // offer keeps the model's spelling and gets a `nameError` that tells the model which
    // names it can call.
    ToolCallRequest decode(const ToolCallRequest &call) const;

    // The wire names of the offered tools, in order.
    QStringList offered() const { return m_offered; }
    // {wire name: Spool name} for every name that differs on the wire.
    QJsonObject renamed() const;

private:
    QHash<QString, QString> m_toWire;
    QHash<QString, QString> m_toSpool;
    QStringList m_offered;
};

} // namespace Spool
