#pragma once

#include "core/result.h"

#include <QString>

namespace Spool {

// Where Spool keeps its journal and its configuration.
// Data: --data-dir, else $SPOOL_DATA_DIR, else QStandardPaths::AppDataLocation.
// Config: --config-dir, else $SPOOL_CONFIG_DIR, else QStandardPaths::AppConfigLocation.
class DataPaths
{
public:
    static QString resolveDataDir(const QString &explicitDir = {});
    static QString resolveConfigDir(const QString &explicitDir = {});

    // Creates the folder (and parents) if needed with mode 0700; tightens an existing folder
    // Spool created to 0700. Fails with a message naming the path.
    static Status ensurePrivateDir(const QString &path);

    static QString journalFileName() { return QStringLiteral("journal.sqlite3"); }
    static QString settingsFileName() { return QStringLiteral("spool.conf"); }
};

} // namespace Spool
