#include "api/conversationindex.h"

#include <QCryptographicHash>

namespace Spool {

QByteArray ConversationIndex::fingerprint(const QString &agent, const QList<ChatMessage> &messages)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    auto add = [&hash](const QString &text) {
        const QByteArray bytes = text.toUtf8();
        // Length-prefixed, so no two conversations hash the same by moving a boundary.
        hash.addData(QByteArray(QByteArray::number(bytes.size()) + ':'));
        hash.addData(bytes);
    };
    add(agent);
    for (const ChatMessage &m : messages) {
        add(ChatMessage::roleName(m.role));
        add(m.text);
    }
    return hash.result();
}

std::optional<ConversationIndex::Entry> ConversationIndex::take(const QByteArray &fingerprint)
{
    auto it = m_entries.find(fingerprint);
    if (it == m_entries.end())
        return std::nullopt;
    Entry e = it.value();
    m_entries.erase(it);
    m_order.removeOne(fingerprint);
    return e;
}

void ConversationIndex::remember(const QByteArray &fingerprint, const Entry &entry)
{
    if (m_entries.contains(fingerprint))
        m_order.removeOne(fingerprint);
    m_entries.insert(fingerprint, entry);
    m_order.append(fingerprint);
    while (m_order.size() > kCapacity)
        m_entries.remove(m_order.takeFirst());
}

} // namespace Spool
