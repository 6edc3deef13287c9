#include "tools/cappedoutput.h"

#include <QStringDecoder>

#include <algorithm>
#include <cstring>

namespace Spool {

namespace {

bool isContinuationByte(char c)
{
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// Length of `bytes` without a trailing, incomplete UTF-8 sequence.
qsizetype completeUtf8Prefix(const QByteArray &bytes)
{
    qsizetype end = bytes.size();
    qsizetype i = end;
    // Walk back over at most three continuation bytes to the lead byte of the last sequence.
    while (i > 0 && end - i < 4 && isContinuationByte(bytes.at(i - 1)))
        --i;
    if (i == 0)
        return end;
    const auto lead = static_cast<unsigned char>(bytes.at(i - 1));
    int need = 1;
    if (lead >= 0xF0)
        need = 4;
    else if (lead >= 0xE0)
        need = 3;
    else if (lead >= 0xC0)
        need = 2;
    else
        return end; // ASCII or stray continuation bytes: nothing to trim
    return (end - (i - 1) < need) ? i - 1 : end;
}

QString decode(const QByteArray &bytes)
{
    QStringDecoder decoder(QStringDecoder::Utf8);
    return decoder.decode(bytes);
}

} // namespace

CappedOutput::CappedOutput(qint64 cap, double headShare)
    : m_cap(qMax<qint64>(0, cap)),
      m_headCap(qBound<qint64>(0, qint64(double(m_cap) * qBound(0.0, headShare, 1.0)), m_cap)),
      m_tailCap(m_cap - m_headCap)
{
}

void CappedOutput::append(const char *data, qint64 size)
{
    if (size <= 0)
        return;
    m_total += size;
    if (m_head.size() < m_headCap) {
        const qint64 take = qMin(size, m_headCap - m_head.size());
        m_head.append(data, take);
        data += take;
        size -= take;
    }
    if (size <= 0 || m_tailCap == 0)
        return;
    if (m_ring.isEmpty())
        m_ring.resize(m_tailCap);
    // Only the last m_tailCap bytes of this chunk can survive.
    if (size > m_tailCap) {
        data += size - m_tailCap;
        size = m_tailCap;
    }
    while (size > 0) {
        const qint64 room = m_tailCap - m_ringPos;
        const qint64 n = qMin(size, room);
        std::memcpy(m_ring.data() + m_ringPos, data, size_t(n));
        m_ringPos += n;
        data += n;
        size -= n;
        if (m_ringPos == m_tailCap) {
            m_ringPos = 0;
            m_ringFull = true;
        }
    }
}

QByteArray CappedOutput::tail() const
{
    if (!m_ringFull)
        return m_ring.left(m_ringPos);
    return m_ring.mid(m_ringPos) + m_ring.left(m_ringPos);
}

QString CappedOutput::text() const
{
    if (!truncated())
        return decode(m_head + tail());
    QByteArray head = m_head;
    head.truncate(completeUtf8Prefix(head));
    QByteArray end = tail();
    qsizetype skip = 0;
    while (skip < end.size() && skip < 3 && isContinuationByte(end.at(skip)))
        ++skip;
    end.remove(0, skip);
    const qint64 shown = head.size() + end.size();
    QString out = decode(head);
    out += marker(shown, m_total);
    out += decode(end);
    return out;
}

QString CappedOutput::marker(qint64 shownBytes, qint64 totalBytes)
{
    return QStringLiteral("\n[output truncated: %1 of %2 bytes shown, %3 bytes left out here]\n")
            .arg(shownBytes)
            .arg(totalBytes)
            .arg(totalBytes - shownBytes);
}

QString CappedOutput::capText(const QString &text, qsizetype cap, double headShare)
{
    if (cap < 0 || text.size() <= cap)
        return text;
    qsizetype head = qBound<qsizetype>(0, qsizetype(double(cap) * qBound(0.0, headShare, 1.0)), cap);
    qsizetype tail = cap - head;
    if (head > 0 && text.at(head - 1).isHighSurrogate())
        --head;
    if (tail > 0 && text.at(text.size() - tail).isLowSurrogate())
        --tail;
    const qsizetype shown = head + tail;
    return text.left(head)
            + QStringLiteral("\n[output truncated: %1 of %2 characters shown, %3 characters left "
                             "out here]\n")
                      .arg(shown)
                      .arg(text.size())
                      .arg(text.size() - shown)
            + text.right(tail);
}

} // namespace Spool
