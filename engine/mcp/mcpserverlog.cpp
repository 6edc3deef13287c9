#include "mcp/mcpserverlog.h"

#include <QStringList>

namespace Spool {

namespace {
constexpr qsizetype maxLineChars = 8192; // one runaway line must not push out all the others
}

McpServerLog::McpServerLog(int maxLines, qsizetype maxBytes)
    : m_maxLines(qMax(1, maxLines)), m_maxBytes(qMax<qsizetype>(1024, maxBytes))
{
}

void McpServerLog::append(const QString &source, const QString &text)
{
    QString t = text;
    if (t.size() > maxLineChars)
        t = t.left(maxLineChars) + QStringLiteral(" [... %1 more characters]").arg(text.size() - maxLineChars);
    m_bytes += t.size() * 2;
    m_lines.append(Line{QDateTime::currentDateTimeUtc(), source, t});
    while (m_lines.size() > 1 && (m_lines.size() > m_maxLines || m_bytes > m_maxBytes)) {
        m_bytes -= m_lines.front().text.size() * 2;
        m_lines.removeFirst();
    }
}

QString McpServerLog::tail(int n) const
{
    QStringList out;
    for (qsizetype i = qMax<qsizetype>(0, m_lines.size() - n); i < m_lines.size(); ++i)
        out.append(m_lines.at(i).text);
    return out.join(QLatin1Char('\n'));
}

void McpServerLog::clear()
{
    m_lines.clear();
    m_bytes = 0;
}

} // namespace Spool
