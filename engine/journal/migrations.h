#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace Spool {

// One step of the journal schema. Steps are applied in order, each in its own transaction,
// and recorded in `schema_migrations`. Released steps are never edited: add a new one.
struct Migration
{
    int version = 0;
    QString name;
    QStringList statements;
};

const QList<Migration> &journalMigrations();
int latestJournalSchemaVersion();

} // namespace Spool
