#pragma once

#include <QString>

namespace Spool {

// ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds then 80 random bits, in
// Crockford base32. Within one millisecond the random part is incremented, so ids created by
// one process sort in creation order. Thread-safe.
class Ulid
{
public:
    static QString generate();
    // For tests: generate with an explicit clock reading.
    static QString generateAt(qint64 msecsSinceEpoch);

    static bool isValid(const QString &text);
    // Milliseconds since the epoch encoded in a valid ULID.
    static qint64 timestamp(const QString &ulid);
};

} // namespace Spool
