#include "providers/wiretoolnames.h"

#include "providers/providertypes.h"

#include <QCryptographicHash>
#include <QSet>

#include <algorithm>

namespace Spool {

namespace {

constexpr int kHashDigits = 8;

bool isWireChar(QChar c)
{
    const char16_t u = c.unicode();
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '_'
            || u == '-';
}

// `name` with every run of characters the wire does not take turned into one underscore.
QString sanitized(const QString &name)
{
    QString out;
    out.reserve(name.size());
    for (const QChar c : name) {
        if (isWireChar(c))
            out.append(c);
        else if (!out.endsWith(QLatin1Char('_')))
            out.append(QLatin1Char('_'));
    }
    while (out.startsWith(QLatin1Char('_')))
        out.remove(0, 1);
    while (out.endsWith(QLatin1Char('_')))
        out.chop(1);
    return out;
}

// A name from the tool_choice parameter, in either API's shape.
QStringList choiceNames(const QJsonObject &parameters)
{
    QStringList names;
    const QJsonObject choice = parameters.value(QStringLiteral("tool_choice")).toObject();
    if (const QString n = choice.value(QStringLiteral("name")).toString(); !n.isEmpty())
        names.append(n); // Anthropic: {"type": "tool", "name": ...}
    const QJsonObject function = choice.value(QStringLiteral("function")).toObject();
    if (const QString n = function.value(QStringLiteral("name")).toString(); !n.isEmpty())
        names.append(n); // OpenAI: {"type": "function", "function": {"name": ...}}
    return names;
}

} // namespace

bool WireToolNames::isWireName(const QString &name)
{
    return !name.isEmpty() && name.size() <= maxLength && std::all_of(name.begin(), name.end(), isWireChar);
}

QString WireToolNames::hashedName(const QString &name, int attempt)
{
    QByteArray input = name.toUtf8();
    if (attempt > 0)
        input += '\n' + QByteArray::number(attempt);
    const QString hash = QString::fromLatin1(
            QCryptographicHash::hash(input, QCryptographicHash::Sha256).toHex().left(kHashDigits));
    QString prefix = sanitized(name).left(maxLength - kHashDigits - 1);
    while (prefix.endsWith(QLatin1Char('_')))
        prefix.chop(1);
    return (prefix.isEmpty() ? QStringLiteral("tool") : prefix) + QLatin1Char('_') + hash;
}

QString WireToolNames::wireName(const QString &name)
{
    if (isWireName(name))
        return name;
    QString dotted = name;
    dotted.replace(QLatin1Char('.'), QLatin1Char('_'));
    if (isWireName(dotted))
        return dotted;
    return hashedName(name);
}

WireToolNames::WireToolNames(const QStringList &offered, const QStringList &others)
{
    QStringList names = offered + others;
    names.removeAll(QString());
    names.sort();
    names.removeDuplicates();
    // Names valid as they are claim themselves first; the rest take their wire name when it
    // is free, else a hashed one. Sorted input makes the outcome independent of the order the
    // request lists its tools in.
    for (const QString &n : std::as_const(names)) {
        if (isWireName(n)) {
            m_toWire.insert(n, n);
            m_toSpool.insert(n, n);
        }
    }
    for (const QString &n : std::as_const(names)) {
        if (m_toWire.contains(n))
            continue;
        QString wire = wireName(n);
        for (int attempt = 1; m_toSpool.contains(wire); ++attempt)
            wire = hashedName(n, attempt);
        m_toWire.insert(n, wire);
        m_toSpool.insert(wire, n);
    }
    for (const QString &n : offered) {
        if (!n.isEmpty() && !m_offered.contains(toWire(n)))
            m_offered.append(toWire(n));
    }
}

WireToolNames WireToolNames::forRequest(const ProviderRequest &request)
{
    QStringList offered;
    for (const ToolDefinition &t : request.tools)
        offered.append(t.name);
    QStringList others = choiceNames(request.parameters);
    for (const ChatMessage &m : request.messages) {
        for (const ToolCallRequest &c : m.toolCalls)
            others.append(c.name);
        if (m.role == ChatMessage::Role::Tool)
            others.append(m.toolName);
    }
    return WireToolNames(offered, others);
}

QString WireToolNames::toWire(const QString &spoolName) const
{
    const auto it = m_toWire.constFind(spoolName);
    return it != m_toWire.cend() ? *it : wireName(spoolName);
}

std::optional<QString> WireToolNames::toSpool(const QString &wireName) const
{
    const auto it = m_toSpool.constFind(wireName);
    if (it == m_toSpool.cend())
        return std::nullopt;
    return *it;
}

ToolCallRequest WireToolNames::decode(const ToolCallRequest &call) const
{
    ToolCallRequest c = call;
    // Only the tools offered in this request can be called: a name from the history alone is
    // a tool the model may no longer use.
    if (m_offered.contains(call.name)) {
        c.name = m_toSpool.value(call.name);
        return c;
    }
    c.nameError = QStringLiteral("The call was not run: there is no tool named \"%1\". The tools "
                                 "you can call are: %2.")
                          .arg(call.name.left(100),
                               m_offered.isEmpty() ? QStringLiteral("none")
                                                   : m_offered.join(QStringLiteral(", ")));
    return c;
}

QJsonObject WireToolNames::renamed() const
{
    QJsonObject out;
    for (auto it = m_toSpool.cbegin(); it != m_toSpool.cend(); ++it) {
        if (it.key() != it.value())
            out.insert(it.key(), it.value());
    }
    return out;
}

} // namespace Spool
