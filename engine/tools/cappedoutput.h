#pragma once

#include <QByteArray>
#include <QString>

namespace Spool {

// Collects what a command prints up to a byte cap, keeping the head and the tail: the model
// needs to see how a long output began and how it ended (errors come last). Bytes in between are
// counted and dropped as they arrive, so memory stays at the cap whatever the producer writes.
//
// The marker that replaces the dropped middle follows ToolResult::forModel's wording, so the
// model reads one kind of note whichever layer cut the text.
class CappedOutput
{
public:
    // `headShare` of the cap keeps the beginning, the rest the end; 1.0 keeps only the head.
    explicit CappedOutput(qint64 cap, double headShare = 0.75);

    void append(const char *data, qint64 size);
    void append(const QByteArray &data) { append(data.constData(), data.size()); }

    qint64 totalBytes() const { return m_total; }
    bool truncated() const { return m_total > m_cap; }

    // Head, marker, tail as UTF-8 text. Multi-byte sequences cut at the seams are dropped
    // rather than turned into replacement characters; invalid UTF-8 elsewhere becomes U+FFFD.
    QString text() const;

    static QString marker(qint64 shownBytes, qint64 totalBytes);

    // The same head-and-tail cut for text already in memory, counted in characters, e.g. for
    // what the model sees of a tool's output (where ToolResult::forModel keeps only the head).
    // Returns `text` unchanged when it fits. Never splits a surrogate pair.
    static QString capText(const QString &text, qsizetype cap, double headShare = 0.75);

private:
    QByteArray tail() const;

    qint64 m_cap;
    qint64 m_headCap;
    qint64 m_tailCap;
    QByteArray m_head;
    QByteArray m_ring; // the last m_tailCap bytes seen after the head filled, as a ring
    qint64 m_ringPos = 0;
    bool m_ringFull = false;
    qint64 m_total = 0;
};

} // namespace Spool
