#include "providers/wirerequest.h"

#include "core/logging.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QSet>

#include <algorithm>

namespace Spool {

namespace {

constexpr int kMaxCallId = 40; // OpenAI's limit; Anthropic has none

QString hashedCallId(const QString &id, int attempt)
{
    QByteArray input = id.toUtf8();
    if (attempt > 0)
        input += '\n' + QByteArray::number(attempt);
    return QStringLiteral("call_")
            + QString::fromLatin1(
                    QCryptographicHash::hash(input, QCryptographicHash::Sha256).toHex().left(24));
}

// Assigns wire ids to the calls of a request in order: the same history always gets the same
// ids, and no id is used twice.
class CallIds
{
public:
    QString assign(const QString &id)
    {
        QString wire = WireRequest::isWireCallId(id) ? id : hashedCallId(id, 0);
        for (int attempt = 1; m_used.contains(wire); ++attempt)
            wire = hashedCallId(id, attempt);
        m_used.insert(wire);
        return wire;
    }

private:
    QSet<QString> m_used;
};

// A call of the assistant message being answered, waiting for its result.
struct OpenCall
{
    QString id;     // Spool's
    QString wireId;
    QString name;   // wire name
};

QString describeAttachments(const QList<Attachment> &attachments)
{
    if (attachments.isEmpty())
        return QStringLiteral("(empty message)");
    QStringList names;
    for (const Attachment &a : attachments)
        names.append(a.name.isEmpty() ? a.mime : a.name);
    return QStringLiteral("(attached: %1)").arg(names.join(QStringLiteral(", ")));
}

// tool_choice names a tool in either API's shape; it goes out under its wire name.
QJsonObject withWireChoice(QJsonObject parameters, const WireToolNames &names)
{
    if (!parameters.value(QStringLiteral("tool_choice")).isObject())
        return parameters;
    QJsonObject choice = parameters.value(QStringLiteral("tool_choice")).toObject();
    if (choice.value(QStringLiteral("name")).isString())
        choice.insert(QStringLiteral("name"),
                      names.toWire(choice.value(QStringLiteral("name")).toString()));
    if (choice.value(QStringLiteral("function")).isObject()) {
        QJsonObject function = choice.value(QStringLiteral("function")).toObject();
        function.insert(QStringLiteral("name"),
                        names.toWire(function.value(QStringLiteral("name")).toString()));
        choice.insert(QStringLiteral("function"), function);
    }
    parameters.insert(QStringLiteral("tool_choice"), choice);
    return parameters;
}

} // namespace

bool WireRequest::isWireCallId(const QString &id)
{
    return !id.isEmpty() && id.size() <= kMaxCallId
            && std::all_of(id.begin(), id.end(), [](QChar c) {
                   const char16_t u = c.unicode();
                   return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9')
                           || u == '_' || u == '-';
               });
}

WireRequest::WireRequest(const ProviderRequest &request)
    : m_request(request), m_names(WireToolNames::forRequest(request))
{
    for (ToolDefinition &t : m_request.tools)
        t.name = m_names.toWire(t.name);
    m_request.parameters = withWireChoice(m_request.parameters, m_names);

    CallIds ids;
    QList<ChatMessage> out;
    QList<OpenCall> open;
    int unanswered = 0;
    int orphans = 0;
    // Calls of the last assistant message still without a result get one before anything
    // else is said, so that the request stays valid; the model is told nothing came back.
    auto closeOpenCalls = [&] {
        for (const OpenCall &c : std::as_const(open)) {
            out.append(ChatMessage::toolResult(c.wireId, c.name,
                                               QStringLiteral("No result was recorded for this call; "
                                                              "it did not finish."),
                                               false));
            ++unanswered;
        }
        open.clear();
    };

    for (const ChatMessage &original : std::as_const(m_request.messages)) {
        ChatMessage m = original;
        switch (m.role) {
        case ChatMessage::Role::Tool: {
            const auto it = std::find_if(open.begin(), open.end(),
                                         [&m](const OpenCall &c) { return c.id == m.toolCallId; });
            if (it == open.end()) {
                ++orphans; // no call of the message before asked for it
                continue;
            }
            m.toolCallId = it->wireId;
            m.toolName = it->name;
            open.erase(it);
            out.append(m);
            continue;
        }
        case ChatMessage::Role::Assistant:
            closeOpenCalls();
            if (m.text.trimmed().isEmpty() && m.toolCalls.isEmpty())
                continue;
            for (ToolCallRequest &c : m.toolCalls) {
                const OpenCall call{c.id, ids.assign(c.id), m_names.toWire(c.name)};
                c.id = call.wireId;
                c.name = call.name;
                open.append(call);
            }
            out.append(m);
            continue;
        case ChatMessage::Role::User:
            closeOpenCalls();
            if (m.text.trimmed().isEmpty())
                m.text = describeAttachments(m.attachments);
            out.append(m);
            continue;
        case ChatMessage::Role::System:
            closeOpenCalls();
            if (!m.text.trimmed().isEmpty())
                out.append(m);
            continue;
        }
    }
    closeOpenCalls();
    if (unanswered > 0 || orphans > 0)
        qCWarning(lcProviders) << "request history repaired:" << unanswered
                               << "call(s) without a result," << orphans
                               << "result(s) without their call";
    m_request.messages = out;
}

QJsonObject WireRequest::snapshot() const
{
    QJsonObject s = m_request.toJson();
    const QJsonObject renamed = m_names.renamed();
    if (!renamed.isEmpty())
        s.insert(QStringLiteral("tool_names"), renamed);
    return s;
}

ProviderResponse WireRequest::decode(const ProviderResponse &response) const
{
    ProviderResponse r = response;
    for (ToolCallRequest &c : r.toolCalls)
        c = m_names.decode(c);
    return r;
}

} // namespace Spool
