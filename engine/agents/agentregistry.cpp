#include "agents/agentregistry.h"

#include "journal/journalstore.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlQuery>

namespace Spool {

namespace {

Agent readAgent(const QSqlQuery &q)
{
    Agent a;
    a.name = q.value(0).toString();
    a.systemPrompt = q.value(1).toString();
    a.provider = q.value(2).toString();
    a.model = q.value(3).toString();
    const QJsonArray tools = QJsonDocument::fromJson(q.value(4).toString().toUtf8()).array();
    for (const QJsonValue &t : tools)
        a.toolAllowlist.append(t.toString());
    a.approvalMode = q.value(5).toString() == QLatin1String("ask") ? Agent::ApprovalMode::Ask
                                                                   : Agent::ApprovalMode::Policy;
    return a;
}

const QString kColumns = QStringLiteral(
        "name, system_prompt, provider, model, tool_allowlist, approval_mode");

} // namespace

AgentRegistry::AgentRegistry(JournalStore &journal) : m_journal(journal) {}

Status AgentRegistry::ensureDefault()
{
    const qint64 t = QDateTime::currentMSecsSinceEpoch();
    const Agent a = Agent::builtInDefault();
    return m_journal
            .exec(QStringLiteral("INSERT OR IGNORE INTO agents(name, system_prompt, provider, "
                                 "model, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)"),
                  {a.name, a.systemPrompt, a.provider, a.model, t, t})
            .error();
}

Result<Agent> AgentRegistry::get(const QString &name) const
{
    auto q = m_journal.exec(QStringLiteral("SELECT ") + kColumns
                                    + QStringLiteral(" FROM agents WHERE name = ?"),
                            {name});
    if (!q)
        return q.error();
    if (!q->next())
        return makeError(ErrorCode::NotFound, QStringLiteral("no agent named \"%1\"").arg(name));
    return readAgent(*q);
}

Result<QList<Agent>> AgentRegistry::list() const
{
    auto q = m_journal.exec(QStringLiteral("SELECT ") + kColumns
                            + QStringLiteral(" FROM agents ORDER BY name = 'default' DESC, name"));
    if (!q)
        return q.error();
    QList<Agent> out;
    while (q->next())
        out.append(readAgent(*q));
    return out;
}

Status AgentRegistry::save(const Agent &agent)
{
    static const QRegularExpression namePattern(QStringLiteral("^[A-Za-z0-9._-]{1,64}$"));
    if (!namePattern.match(agent.name).hasMatch()) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid agent name \"%1\": use 1-64 characters of "
                                        "A-Z a-z 0-9 . _ -")
                                 .arg(agent.name.left(80)));
    }
    if (agent.provider.isEmpty() || agent.model.isEmpty())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("an agent needs a provider and a model"));
    const qint64 t = QDateTime::currentMSecsSinceEpoch();
    const QString tools = QString::fromUtf8(
            QJsonDocument(QJsonArray::fromStringList(agent.toolAllowlist)).toJson(QJsonDocument::Compact));
    return m_journal
            .exec(QStringLiteral(
                          "INSERT INTO agents(name, system_prompt, provider, model, tool_allowlist, "
                          "approval_mode, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                          "ON CONFLICT(name) DO UPDATE SET system_prompt = excluded.system_prompt, "
                          "provider = excluded.provider, model = excluded.model, "
                          "tool_allowlist = excluded.tool_allowlist, "
                          "approval_mode = excluded.approval_mode, updated_at = excluded.updated_at"),
                  {agent.name, agent.systemPrompt, agent.provider, agent.model, tools,
                   Agent::approvalModeName(agent.approvalMode), t, t})
            .error();
}

Status AgentRegistry::remove(const QString &name)
{
    if (name == Agent::defaultName())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the default agent cannot be removed"));
    auto q = m_journal.exec(QStringLiteral("DELETE FROM agents WHERE name = ?"), {name});
    if (!q)
        return q.error();
    if (q->numRowsAffected() == 0)
        return makeError(ErrorCode::NotFound, QStringLiteral("no agent named \"%1\"").arg(name));
    return {};
}

} // namespace Spool
