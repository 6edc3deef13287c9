#pragma once

#include <QString>
#include <QStringView>

#include <optional>

// Parsing and printing for the values of Cedar's `decimal` and `datetime` extensions. Each
// value is a single 64-bit integer, so they need no class of their own:
// - a decimal is its value times 10^4 (four digits after the point);
// - a datetime is milliseconds since the Unix epoch (UTC);
// - a duration is milliseconds.
namespace Spool::Cedar::ExtensionValues {

// `-?[0-9]+\.[0-9]{1,4}`, within the 64-bit range; std::nullopt otherwise.
std::optional<qint64> parseDecimal(QStringView text);
QString formatDecimal(qint64 value);

// `YYYY-MM-DD`, optionally followed by `Thh:mm:ss`, optional `.SSS`, then `Z` or `(+|-)hhmm`.
std::optional<qint64> parseDatetime(QStringView text);
QString formatDatetime(qint64 millisSinceEpoch);

// An optional `-`, then quantity-unit pairs in the order d, h, m, s, ms, each at most once.
std::optional<qint64> parseDuration(QStringView text);
QString formatDuration(qint64 millis);

// `datetime.toDate()` (midnight of the same UTC day; std::nullopt on overflow) and
// `datetime.toTime()` (milliseconds since that midnight).
std::optional<qint64> datetimeToDate(qint64 millis);
qint64 datetimeToTime(qint64 millis);

} // namespace Spool::Cedar::ExtensionValues
