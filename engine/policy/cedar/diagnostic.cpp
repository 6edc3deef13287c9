#include "policy/cedar/diagnostic.h"

namespace Spool::Cedar {

QString Diagnostic::toString() const
{
    QString where = file;
    if (line > 0) {
        if (!where.isEmpty())
            where += QLatin1Char(':');
        where += QString::number(line) + QLatin1Char(':') + QString::number(column);
    }
    return where.isEmpty() ? message : where + QLatin1String(": ") + message;
}

} // namespace Spool::Cedar
