#pragma once

#include <QString>

namespace Spool {

// `<journal>.checked`, beside the journal: what lets JournalStore::open() skip the full
// integrity check (PRAGMA quick_check, which reads every page). It records
//   - the Spool processes that have the journal open now ("holders"), each added once its
//     open succeeded and removed when it closes;
//   - the state of the journal's files (size, modification time and inode of the file and its
//     WAL) when the last holder closed it;
//   - when the journal was last checked in full.
// The journal is in doubt, and checked in full, when the stamp is missing or unreadable, when
// the last full check is over a week old, or when no recorded holder is still running and the
// files are not as the last one left them: after a crash, a copy, a restore, or a change by
// anything but Spool. While a holder runs (the window, a `spool serve`), its writes are
// expected and others open without the full check.
//
// Only a hint: it is written without syncs, and a stamp lost or torn (a power cut, a full
// disk) means one full check. Updates hold an flock on the file, so processes opening and
// closing at once do not lose each other's entries.
class JournalStamp
{
public:
    explicit JournalStamp(const QString &journalPath);

    static constexpr qint64 kFullCheckIntervalMs = 7LL * 24 * 3600 * 1000;

    struct Verdict
    {
        bool checkInFull = true;
        qint64 lastFullCheckMs = 0; // 0: never
    };
    Verdict judge(qint64 nowMs) const;

    // This process has the journal open (after a successful open), last checked in full at
    // `lastFullCheckMs`.
    void enter(qint64 lastFullCheckMs);
    // This process closed it; the last holder to leave records the files' state.
    void leave();

    QString path() const { return m_path; }

private:
    QString m_journalPath;
    QString m_path;
};

} // namespace Spool
