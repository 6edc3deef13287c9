#include "core/sseparser.h"

#include <cstring>

namespace Spool {

void SseParser::feed(QByteArrayView bytes, QList<SseEvent> &out)
{
    m_bytesFed += bytes.size();
    const char *p = bytes.data();
    const char *end = p + bytes.size();
    if (m_skipLf && p < end) {
        m_skipLf = false;
        if (*p == '\n')
            ++p;
    }
    if (m_atStart && p < end) {
        // The BOM may itself arrive in pieces; hold back until three bytes are known.
        m_line.append(p, end - p);
        if (m_line.size() < 3 && QByteArrayView("\xEF\xBB\xBF").startsWith(m_line))
            return;
        m_atStart = false;
        if (m_line.startsWith("\xEF\xBB\xBF"))
            m_line.remove(0, 3);
        const QByteArray pending = std::exchange(m_line, QByteArray());
        m_bytesFed -= pending.size(); // counted once above
        feed(pending, out);
        return;
    }
    while (p < end) {
        // Scan for the next CR or LF; memchr is far faster than a byte loop on long lines.
        const char *lf = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
        const char *scanEnd = lf ? lf : end;
        const char *cr = static_cast<const char *>(std::memchr(p, '\r', size_t(scanEnd - p)));
        const char *eol = cr ? cr : lf;
        if (!eol) {
            m_line.append(p, end - p);
            return;
        }
        if (m_line.isEmpty()) {
            processLine(QByteArrayView(p, eol - p), out);
        } else {
            m_line.append(p, eol - p);
            processLine(m_line, out);
            m_line.clear();
        }
        p = eol + 1;
        if (*eol == '\r') {
            if (p == end)
                m_skipLf = true;
            else if (*p == '\n')
                ++p;
        }
    }
}

QList<SseEvent> SseParser::feed(QByteArrayView bytes)
{
    QList<SseEvent> out;
    feed(bytes, out);
    return out;
}

void SseParser::finish(QList<SseEvent> &out)
{
    if (m_atStart && !m_line.isEmpty()) {
        m_atStart = false;
        const QByteArray pending = std::exchange(m_line, QByteArray());
        m_bytesFed -= pending.size();
        feed(pending, out);
    }
    if (!m_line.isEmpty()) {
        const QByteArray line = std::exchange(m_line, QByteArray());
        processLine(line, out);
    }
    dispatch(out);
    const QByteArray lastId = m_lastEventId;
    reset();
    m_lastEventId = lastId;
}

QList<SseEvent> SseParser::finish()
{
    QList<SseEvent> out;
    finish(out);
    return out;
}

void SseParser::reset()
{
    m_line.clear();
    m_data.clear();
    m_eventType.clear();
    m_lastEventId.clear();
    m_retryMs = -1;
    m_hasData = false;
    m_skipLf = false;
    m_atStart = true;
    m_bytesFed = 0;
}

void SseParser::processLine(QByteArrayView line, QList<SseEvent> &out)
{
    if (line.isEmpty()) {
        dispatch(out);
        return;
    }
    if (line.front() == ':')
        return; // a comment, often a keep-alive
    QByteArrayView field = line;
    QByteArrayView value;
    if (const qsizetype colon = line.indexOf(':'); colon >= 0) {
        field = line.first(colon);
        value = line.sliced(colon + 1);
        if (!value.isEmpty() && value.front() == ' ')
            value = value.sliced(1);
    }
    if (field == "data") {
        if (m_hasData)
            m_data.append('\n');
        m_data.append(value.data(), value.size());
        m_hasData = true;
    } else if (field == "event") {
        m_eventType.resize(0); // keeps the allocation: this runs once per event
        m_eventType.append(value.data(), value.size());
    } else if (field == "id") {
        if (!value.contains('\0'))
            m_lastEventId = value.toByteArray();
    } else if (field == "retry") {
        bool digits = !value.isEmpty();
        for (char c : value)
            digits = digits && c >= '0' && c <= '9';
        if (digits) {
            // More digits than 64 bits hold are still a long time, not the 0 toLongLong gives.
            bool fits = false;
            const qint64 ms = value.toByteArray().toLongLong(&fits);
            m_retryMs = fits ? int(qMin<qint64>(ms, INT_MAX)) : INT_MAX;
        }
    }
    // Other fields are ignored, as the format requires.
}

void SseParser::dispatch(QList<SseEvent> &out)
{
    // An event with no data line is not dispatched; its type is dropped with it.
    if (!m_hasData) {
        m_eventType.resize(0);
        return;
    }
    SseEvent e;
    // Streams repeat a handful of event names; the decoded name is shared, not re-decoded.
    if (m_eventType.isEmpty()) {
        e.event = QStringLiteral("message");
    } else {
        if (m_eventType != m_cachedTypeBytes) {
            m_cachedTypeBytes = m_eventType;
            m_cachedType = QString::fromUtf8(m_eventType);
        }
        e.event = m_cachedType;
    }
    e.data = QString::fromUtf8(m_data);
    if (!m_lastEventId.isEmpty())
        e.id = QString::fromUtf8(m_lastEventId);
    e.retryMs = m_retryMs;
    out.append(std::move(e));
    m_data.resize(0);
    m_eventType.resize(0);
    m_hasData = false;
}

} // namespace Spool
