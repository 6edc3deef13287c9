#pragma once

#include <QDateTime>
#include <QList>
#include <QString>

namespace Spool {

// The server's own log as the user sees it: stderr lines of a stdio server, notifications/message
// from any server, and what the client itself noticed (skipped garbage, exits). Bounded both in
// lines and in bytes, oldest first out, so a chatty server cannot grow it without end.
class McpServerLog
{
public:
    struct Line
    {
        QDateTime time;
        QString source; // "stderr", "server", "client"
        QString text;
    };

    explicit McpServerLog(int maxLines = 2000, qsizetype maxBytes = 1024 * 1024);

    void append(const QString &source, const QString &text);
    QList<Line> lines() const { return m_lines; }
    // The last n lines as text, what an error message quotes.
    QString tail(int n) const;
    int size() const { return int(m_lines.size()); }
    void clear();

private:
    QList<Line> m_lines;
    int m_maxLines;
    qsizetype m_maxBytes;
    qsizetype m_bytes = 0;
};

} // namespace Spool
