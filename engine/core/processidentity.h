#pragma once

#include <QString>

namespace Spool {

// Who a process is, in terms that outlive a reused process id: what the instance tracker
// records for each Spool that opens the journal, and the journal's own list of who has it open.
namespace ProcessIdentity {

// This machine and boot: the host name and the kernel's boot id. A reboot ends every process
// recorded under an earlier one.
QString currentHost();
// The process's start time from /proc (clock ticks since boot), empty when there is no such
// process: with the pid, it tells a live process from a later one given the same id.
QString startTime(qint64 pid);
// Whether the process recorded as (`pid`, `startTime`) on `host` is still running. Only a
// process on this host and boot can be seen; any other counts as gone.
bool isRunning(qint64 pid, const QString &startTime, const QString &host);

} // namespace ProcessIdentity
} // namespace Spool
