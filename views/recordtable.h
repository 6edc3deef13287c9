#pragma once

class QString;
class QTableView;

namespace Spool {

// The look and behaviour shared by the read-only tables of records (runs, tape events, active
// runs, grants): whole rows selected one at a time, no editing, compact rows, no row numbers,
// the last column taking the rest of the width.
void setUpRecordTable(QTableView *table, const QString &accessibleName);

} // namespace Spool
