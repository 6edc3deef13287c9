#pragma once

#include <QtGlobal>

#include <ctime>

namespace Spool::Test {

// Measures the CPU time the calling thread spends, not the wall clock: on a machine shared
// with other builds and tests, time the thread spends waiting for a core is not counted, so a
// bound on an algorithm's cost does not fail just because the machine is busy.
class ThreadCpuTimer
{
public:
    ThreadCpuTimer() { start(); }
    void start() { m_start = now(); }
    qint64 elapsedMs() const { return (now() - m_start) / 1000000; }

private:
    static qint64 now()
    {
        timespec t{};
        ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return qint64(t.tv_sec) * 1000000000 + t.tv_nsec;
    }
    qint64 m_start = 0;
};

} // namespace Spool::Test
