#include "core/ulid.h"

#include <QDateTime>
#include <QMutex>
#include <QRandomGenerator>

#include <array>
#include <cstring>

namespace Spool {

namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct UlidState
{
    QMutex mutex;
    qint64 lastMs = -1;
    // 80 random bits as 10 bytes, big-endian.
    std::array<quint8, 10> random{};
};

UlidState &state()
{
    static UlidState s;
    return s;
}

// Adds one to the 80-bit big-endian counter; returns false on overflow.
bool increment(std::array<quint8, 10> &bytes)
{
    for (int i = int(bytes.size()) - 1; i >= 0; --i) {
        if (++bytes[size_t(i)] != 0)
            return true;
    }
    return false;
}

void fillRandom(std::array<quint8, 10> &bytes)
{
    quint32 words[3];
    QRandomGenerator::system()->fillRange(words, 3);
    std::memcpy(bytes.data(), words, bytes.size());
    // Leave headroom so increments within a millisecond practically never overflow.
    bytes[0] &= 0x7F;
}

QString encode(qint64 ms, const std::array<quint8, 10> &random)
{
    QString out(26, Qt::Uninitialized);
    QChar *d = out.data();
    // 48-bit timestamp as 10 characters (the first carries only 3 bits).
    quint64 t = quint64(ms) & 0xFFFFFFFFFFFFull;
    for (int i = 9; i >= 0; --i) {
        d[i] = QLatin1Char(kAlphabet[t & 31]);
        t >>= 5;
    }
    // 80 random bits as 16 characters, 5 bits each.
    int bitPos = 0;
    for (int i = 0; i < 16; ++i) {
        int value = 0;
        for (int b = 0; b < 5; ++b, ++bitPos) {
            const int byte = bitPos / 8;
            const int bit = 7 - bitPos % 8;
            value = (value << 1) | ((random[size_t(byte)] >> bit) & 1);
        }
        d[10 + i] = QLatin1Char(kAlphabet[value]);
    }
    return out;
}

int decodeChar(QChar c)
{
    const char ch = char(c.toUpper().unicode());
    for (int i = 0; i < 32; ++i) {
        if (kAlphabet[i] == ch)
            return i;
    }
    return -1;
}

} // namespace

QString Ulid::generate()
{
    return generateAt(QDateTime::currentMSecsSinceEpoch());
}

QString Ulid::generateAt(qint64 msecsSinceEpoch)
{
    UlidState &s = state();
    QMutexLocker lock(&s.mutex);
    qint64 ms = msecsSinceEpoch;
    if (ms <= s.lastMs) {
        // Same (or an earlier, if the clock stepped back) millisecond: keep sorting order by
        // incrementing the random part of the last id; on overflow move to the next millisecond.
        ms = s.lastMs;
        if (!increment(s.random)) {
            ++ms;
            fillRandom(s.random);
        }
    } else {
        fillRandom(s.random);
    }
    s.lastMs = ms;
    return encode(ms, s.random);
}

bool Ulid::isValid(const QString &text)
{
    if (text.size() != 26)
        return false;
    if (decodeChar(text.at(0)) > 7) // 48-bit timestamps only
        return false;
    for (QChar c : text) {
        if (decodeChar(c) < 0)
            return false;
    }
    return true;
}

qint64 Ulid::timestamp(const QString &ulid)
{
    qint64 t = 0;
    for (int i = 0; i < 10 && i < ulid.size(); ++i)
        t = (t << 5) | decodeChar(ulid.at(i));
    return t;
}

} // namespace Spool
