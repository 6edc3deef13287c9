#pragma once

#include "core/result.h"

#include <QString>
#include <QStringList>

namespace Spool {

struct RuntimeConfig;

// How the local API serves: read from `spool.conf` (the `api/...` keys), written by Settings →
// Local API. Every access rule is on whatever these say; the limits only tune them.
struct ApiSettings
{
    bool enabled = false;       // the window serves the API while it runs
    quint16 port = 8642;        // 0: any free port
    QStringList allowedOrigins; // browser origins allowed to call, exactly (scheme://host[:port])

    int maxConnections = 64;           // beyond: 503
    qint64 maxBodyBytes = 4 << 20;     // beyond: 413
    int maxHeaderBytes = 32 << 10;     // beyond: 431
    int headerTimeoutMs = 10000;       // a request must arrive whole within this (slowloris): 408
    int idleTimeoutMs = 60000;         // a kept-alive connection with no request is closed
    qint64 maxPendingWriteBytes = 8 << 20; // a client that stops reading a stream is dropped

    static ApiSettings load(const RuntimeConfig &config);
    // Writes enabled, port and allowed origins; the limits are edited in the file only.
    Status save(const RuntimeConfig &config) const;

    // An origin as browsers send it: scheme://host[:port], lower case, no path. Empty when
    // `text` is not one.
    static QString normalizeOrigin(const QString &text);
};

} // namespace Spool
