#pragma once

#include <QString>
#include <QStringList>

namespace Spool::Cedar {

// Runs one test file in the format of Cedar's integration suite
// (github.com/cedar-policy/cedar-integration-tests): a JSON object naming a policy file, an
// entities file and a schema (paths relative to the suite's root), with requests that each
// state the expected decision, the policies that determined it ("reason") and the policies
// that errored. A request passes when all three match (the last two as sets).
//
// A file that needs a Cedar feature this engine does not implement is skipped, never passed.
class IntegrationTest
{
public:
    struct Outcome
    {
        QString file;
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        QString skipReason;    // why the file's requests were skipped
        QStringList failures;  // one line per failing request: what was expected, what came
    };

    // `rootDir` is the folder the file's paths are relative to; when empty, the nearest folder
    // above the test file where its policy file exists (so `spool policy test` can take just
    // the file).
    static Outcome run(const QString &testFile, const QString &rootDir = QString());
};

} // namespace Spool::Cedar
