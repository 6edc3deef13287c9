// Fuzzes the SSE parser that every provider stream and the MCP client read through (core/sseparser).
//
// Input: one byte that seeds how the stream is cut, then the stream. Invariants:
// - the events do not depend on how the stream was cut into chunks (the network cuts anywhere,
//   between a CR and its LF, inside a UTF-8 character or a byte order mark);
// - the parser never hands out more than it was fed: each event needs a `data` field name in
//   the input, and each UTF-16 unit of its data at least one input byte;
// - it counts what it was fed, holds back no more than that, and finish() leaves it empty.
#include "fuzzcheck.h"

#include "core/sseparser.h"

#include <cstddef>
#include <cstdint>

using Spool::SseEvent;
using Spool::SseParser;

namespace {

bool sameEvents(const QList<SseEvent> &a, const QList<SseEvent> &b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (a[i].event != b[i].event || a[i].data != b[i].data || a[i].id != b[i].id
            || a[i].retryMs != b[i].retryMs)
            return false;
    }
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const unsigned seed = data[0];
    const QByteArrayView stream(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    SseParser whole;
    QList<SseEvent> wholeEvents;
    whole.feed(stream, wholeEvents);
    SPOOL_FUZZ_CHECK(whole.bytesFed() == stream.size(), "bytesFed counts every byte once");
    SPOOL_FUZZ_CHECK(whole.pendingBytes() <= stream.size(), "holds back no more than it was fed");
    const QString lastIdBeforeFinish = whole.lastEventId();
    whole.finish(wholeEvents);
    SPOOL_FUZZ_CHECK(whole.pendingBytes() == 0 && whole.bytesFed() == 0, "finish() resets");

    // Chunk lengths from a small linear congruential sequence: 0 (an empty read) to 16 bytes,
    // so CR/LF pairs, BOMs and UTF-8 sequences get split in every way.
    SseParser pieces;
    QList<SseEvent> pieceEvents;
    unsigned state = seed * 2654435761u + 1;
    qsizetype from = 0;
    while (from < stream.size()) {
        state = state * 1103515245u + 12345u;
        const qsizetype length = qMin<qsizetype>((state >> 16) % 17, stream.size() - from);
        pieces.feed(stream.sliced(from, length), pieceEvents);
        from += length;
        SPOOL_FUZZ_CHECK(pieces.bytesFed() == from, "bytesFed counts every chunk once");
    }
    SPOOL_FUZZ_CHECK(pieces.lastEventId() == lastIdBeforeFinish, "last id independent of chunks");
    pieces.finish(pieceEvents);
    SPOOL_FUZZ_CHECK(sameEvents(wholeEvents, pieceEvents), "events independent of chunks");

    qsizetype handedOut = 0;
    for (const SseEvent &e : wholeEvents) {
        handedOut += e.data.size() + 4; // "data"
        SPOOL_FUZZ_CHECK(!e.event.isEmpty(), "an event always has a type");
        SPOOL_FUZZ_CHECK(!e.id.contains(QChar(0)), "an id with NUL is ignored");
        SPOOL_FUZZ_CHECK(e.retryMs >= -1, "retry is a time or unset");
    }
    SPOOL_FUZZ_CHECK(handedOut <= stream.size(), "never more data out than bytes in");
    return 0;
}
