// The smallest Qt program making a one-shot `spool chat`'s durable commits: QtCore and QtSql
// (the QSQLITE driver, as the journal uses), a WAL journal with synchronous=FULL, N inserts of
// one transaction each, nothing else. bench_chat runs it beside `spool chat` and the sqlite3
// CLI, so the report says how much of the gap is Spool's and how much is Qt's own start.
// Usage: bench_chat_qtfloor DATABASE COMMITS
#include <QCoreApplication>
#include <QSqlDatabase>
#include <QSqlQuery>

#include <cstdlib>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 3)
        return 2;
    bool ok = false;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"));
        db.setDatabaseName(QString::fromLocal8Bit(argv[1]));
        if (!db.open())
            return 1;
        QSqlQuery q(db);
        ok = q.exec(QStringLiteral("PRAGMA journal_mode = WAL"))
                && q.exec(QStringLiteral("PRAGMA synchronous = FULL"))
                && q.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, payload TEXT)"));
        for (int i = 0, n = std::atoi(argv[2]); ok && i < n; ++i)
            ok = q.exec(QStringLiteral("INSERT INTO t(payload) VALUES "
                                       "('{\"kind\":\"tape event\",\"text\":\"hello\"}')"));
    }
    QSqlDatabase::removeDatabase(QString::fromLatin1(QSqlDatabase::defaultConnection));
    return ok ? 0 : 1;
}
