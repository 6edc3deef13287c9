#pragma once

#include <QMetaType>
#include <QString>

namespace Spool {

// One bar of a run's timeline: a provider call, a tool call or an approval wait.
struct TimelineSpan
{
    enum class Kind { Provider, Tool, Approval };

    Kind kind = Kind::Provider;
    QString key;          // call id, approval id, or the provider turn number
    QString label;        // "deterministic/echo-1", "clock", "approval: echo"
    qint64 startMs = 0;   // ms since the epoch
    qint64 endMs = 0;     // 0 while open
    qint64 startSeq = 0;  // the tape events that opened and closed it
    qint64 endSeq = 0;
    QString status;       // "ok", "failed", "allow", "deny", "timeout", "cancelled", "retrying", ""
    QString detail;       // tokens, exit code, who decided

    bool isOpen() const { return endMs == 0; }
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::TimelineSpan)
