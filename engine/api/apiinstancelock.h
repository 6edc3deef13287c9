#pragma once

#include "core/result.h"

#include <QString>
#include <QUrl>

#include <memory>
#include <optional>

class QLockFile;

namespace Spool {

// One local API per data folder: the server holds `<data>/api.lock` while it serves and writes
// where it listens to `<data>/api.json`, so a second server (or the window) can say where the
// first one is. A lock left by a process that died is taken over.
class ApiInstanceLock
{
public:
    struct Holder
    {
        qint64 pid = 0;
        QUrl url;
    };

    explicit ApiInstanceLock(const QString &dataDir);
    ~ApiInstanceLock();

    // Takes the lock; fails with Conflict, naming the holder, when another process serves.
    Status acquire();
    // Records where this server listens (after it bound its port).
    Status publish(const QUrl &url);
    void release();
    bool isHeld() const;

    // Who serves the data folder now, if anyone.
    static std::optional<Holder> holder(const QString &dataDir);

private:
    QString m_dataDir;
    std::unique_ptr<QLockFile> m_lock;
};

} // namespace Spool
