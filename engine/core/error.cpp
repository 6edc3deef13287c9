#include "core/error.h"

namespace Spool {

QString errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::None: return QStringLiteral("none");
    case ErrorCode::InvalidArgument: return QStringLiteral("invalid_argument");
    case ErrorCode::NotFound: return QStringLiteral("not_found");
    case ErrorCode::Conflict: return QStringLiteral("conflict");
    case ErrorCode::IllegalTransition: return QStringLiteral("illegal_transition");
    case ErrorCode::JournalUnavailable: return QStringLiteral("journal_unavailable");
    case ErrorCode::JournalNotSqlite: return QStringLiteral("journal_not_sqlite");
    case ErrorCode::JournalCorrupt: return QStringLiteral("journal_corrupt");
    case ErrorCode::Storage: return QStringLiteral("storage");
    case ErrorCode::DiskFull: return QStringLiteral("disk_full");
    case ErrorCode::Provider: return QStringLiteral("provider");
    case ErrorCode::Tool: return QStringLiteral("tool");
    case ErrorCode::Cancelled: return QStringLiteral("cancelled");
    case ErrorCode::Internal: return QStringLiteral("internal");
    }
    return QStringLiteral("unknown");
}

} // namespace Spool
