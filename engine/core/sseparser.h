#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace Spool {

// One dispatched server-sent event. `event` is "message" when the stream did not name it.
struct SseEvent
{
    QString event;
    QString data;
    QString id;
    int retryMs = -1; // the reconnection time the stream last set with `retry:`, -1 if none
};

// An incremental parser for `text/event-stream` (the WHATWG HTML "server-sent events" format),
// fed with whatever byte chunks the network delivers. Lines may end in CR, LF or CRLF, and a
// CRLF may be split across two chunks; UTF-8 characters may be split too, since lines are
// decoded only once complete. Comment lines (":" first) are skipped, multi-line `data:` fields
// are joined with "\n", and the last event is dispatched by finish() even when the server
// closed the stream without the blank line the format asks for: a proxy that drops it must
// not cost the user the end of a reply.
class SseParser
{
public:
    // Parses `bytes` and appends the events they complete to `out`.
    void feed(QByteArrayView bytes, QList<SseEvent> &out);
    QList<SseEvent> feed(QByteArrayView bytes);
    // The stream ended: dispatches a pending event, if any, and resets the parser.
    void finish(QList<SseEvent> &out);
    QList<SseEvent> finish();
    void reset();

    // The id of the last event, which a client would send back as Last-Event-ID.
    QString lastEventId() const { return QString::fromUtf8(m_lastEventId); }
    qint64 bytesFed() const { return m_bytesFed; }
    // Bytes held for an event not yet complete; a caller caps this against endless lines.
    qsizetype pendingBytes() const { return m_line.size() + m_data.size(); }

private:
    void processLine(QByteArrayView line, QList<SseEvent> &out);
    void dispatch(QList<SseEvent> &out);

    QByteArray m_line;       // an incomplete line carried over to the next chunk
    QByteArray m_data;       // data of the event being built
    QByteArray m_eventType;
    QByteArray m_lastEventId;
    QByteArray m_cachedTypeBytes;
    QString m_cachedType;
    int m_retryMs = -1;
    bool m_hasData = false;
    bool m_skipLf = false;   // the previous chunk ended in CR: an LF first in this one is its pair
    bool m_atStart = true;   // a UTF-8 byte order mark is skipped at the very start
    qint64 m_bytesFed = 0;
};

} // namespace Spool
