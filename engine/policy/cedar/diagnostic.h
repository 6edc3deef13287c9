#pragma once

#include <QList>
#include <QString>

namespace Spool::Cedar {

// A problem found in a policy, schema or data file, with its position (1-based; 0 when the
// problem is not tied to a place, such as an unreadable file).
struct Diagnostic
{
    QString file;
    int line = 0;
    int column = 0;
    QString message;
    // The input uses a Cedar feature this engine does not implement (a template slot, for
    // example), as opposed to being wrong.
    bool unsupported = false;

    // "file:line:column: message", the form compilers use, so editors can jump to it.
    QString toString() const;
};

using Diagnostics = QList<Diagnostic>;

} // namespace Spool::Cedar
