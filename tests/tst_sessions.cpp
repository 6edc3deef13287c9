#include "core/ulid.h"
#include "journal/journalstore.h"
#include "runs/runstore.h"
#include "sessions/sessionresolver.h"
#include "sessions/sessionstore.h"

#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace Spool;

class tst_Sessions : public QObject
{
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void ulidsAreValidAndMonotonic();
    void keyValidation_data();
    void keyValidation();
    void resolution_data();
    void resolution();
    void autoTitleUntilRenamed();
    void archiveFreesKeyAndRestoreChecksIt();
    void deleteCascades();
    void resetMovesTheContextFloor();
    void findByIdKeyOrPrefix();
    void fullTextSearch();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<JournalStore> m_journal;
    std::unique_ptr<SessionStore> m_store;
};

void tst_Sessions::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    m_journal = std::make_unique<JournalStore>();
    QVERIFY(m_journal->open(m_dir->filePath(QStringLiteral("j.sqlite3")), QStringLiteral("s")));
    m_store = std::make_unique<SessionStore>(*m_journal);
}

void tst_Sessions::cleanup()
{
    m_store.reset();
    m_journal.reset();
    m_dir.reset();
}

void tst_Sessions::ulidsAreValidAndMonotonic()
{
    QString previous;
    QSet<QString> seen;
    // Many ids in the same millisecond still sort in creation order.
    for (int i = 0; i < 5000; ++i) {
        const QString id = Ulid::generateAt(1700000000000);
        QVERIFY(Ulid::isValid(id));
        QCOMPARE(Ulid::timestamp(id), qint64(1700000000000));
        QVERIFY2(id > previous, qPrintable(id + QStringLiteral(" <= ") + previous));
        QVERIFY(!seen.contains(id));
        seen.insert(id);
        previous = id;
    }
    // A clock that steps back does not break the order.
    const QString later = Ulid::generateAt(1600000000000);
    QVERIFY(later > previous);
    QVERIFY(Ulid::isValid(Ulid::generate()));
    QVERIFY(!Ulid::isValid(QStringLiteral("not-a-ulid")));
    QVERIFY(!Ulid::isValid(QStringLiteral("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"))); // beyond 48 bits
    QVERIFY(!Ulid::isValid(QStringLiteral("01ARZ3NDEKTSV4RRFFQ69G5FAU"))); // U is not Crockford
}

void tst_Sessions::keyValidation_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<bool>("valid");
    QTest::newRow("simple") << QStringLiteral("demo") << true;
    QTest::newRow("all allowed characters") << QStringLiteral("A-z_0.9:x") << true;
    QTest::newRow("one character") << QStringLiteral("a") << true;
    QTest::newRow("128 characters") << QString(128, QLatin1Char('k')) << true;
    QTest::newRow("129 characters") << QString(129, QLatin1Char('k')) << false;
    QTest::newRow("empty") << QString() << false;
    QTest::newRow("space") << QStringLiteral("my session") << false;
    QTest::newRow("slash") << QStringLiteral("a/b") << false;
    QTest::newRow("unicode") << QStringLiteral("caf\u00e9") << false;
    QTest::newRow("sql quote") << QStringLiteral("x'; DROP TABLE sessions;--") << false;
    QTest::newRow("newline") << QStringLiteral("a\nb") << false;
}

void tst_Sessions::keyValidation()
{
    QFETCH(QString, key);
    QFETCH(bool, valid);
    QCOMPARE(bool(SessionStore::validateKey(key)), valid);
    auto created = m_store->create(key.isEmpty() ? QStringLiteral("\x01") : key, QStringLiteral("p"),
                                   QStringLiteral("d"), QStringLiteral("default"));
    QCOMPARE(bool(created), valid);
}

// Existing sessions: "mine" (key mine, principal alice, device d1), "theirs" (principal bob),
// "elsewhere" (alice on device d2), "old" (archived).
void tst_Sessions::resolution_data()
{
    QTest::addColumn<QString>("id");  // "mine", "theirs", ... = that session's id; "missing" = unknown ULID
    QTest::addColumn<QString>("key");
    QTest::addColumn<bool>("create");
    QTest::addColumn<int>("error");   // ErrorCode, None for success
    QTest::addColumn<QString>("expect"); // which session: an existing name, or "new"

    const int ok = int(ErrorCode::None);
    QTest::newRow("key found") << QString() << QStringLiteral("mine") << false << ok << QStringLiteral("mine");
    QTest::newRow("key found, create allowed") << QString() << QStringLiteral("mine") << true << ok << QStringLiteral("mine");
    QTest::newRow("key missing, create") << QString() << QStringLiteral("fresh") << true << ok << QStringLiteral("new");
    QTest::newRow("key missing, no create") << QString() << QStringLiteral("fresh") << false << int(ErrorCode::NotFound) << QString();
    QTest::newRow("id found") << QStringLiteral("mine") << QString() << false << ok << QStringLiteral("mine");
    QTest::newRow("id missing") << QStringLiteral("missing") << QString() << true << int(ErrorCode::NotFound) << QString();
    QTest::newRow("id and key agree") << QStringLiteral("mine") << QStringLiteral("mine") << false << ok << QStringLiteral("mine");
    QTest::newRow("id and key disagree") << QStringLiteral("mine") << QStringLiteral("other") << true << int(ErrorCode::Conflict) << QString();
    QTest::newRow("nothing, create") << QString() << QString() << true << ok << QStringLiteral("new");
    QTest::newRow("nothing, no create") << QString() << QString() << false << int(ErrorCode::InvalidArgument) << QString();
    QTest::newRow("other principal by key") << QString() << QStringLiteral("theirs") << true << int(ErrorCode::Conflict) << QString();
    QTest::newRow("other principal by id") << QStringLiteral("theirs") << QString() << false << int(ErrorCode::Conflict) << QString();
    QTest::newRow("other device by key") << QString() << QStringLiteral("elsewhere") << true << int(ErrorCode::Conflict) << QString();
    QTest::newRow("archived by id") << QStringLiteral("old") << QString() << false << int(ErrorCode::Conflict) << QString();
    QTest::newRow("archived key is free again") << QString() << QStringLiteral("old") << true << ok << QStringLiteral("new");
    QTest::newRow("invalid key") << QString() << QStringLiteral("bad key!") << true << int(ErrorCode::InvalidArgument) << QString();
    QTest::newRow("invalid id") << QStringLiteral("not-an-id") << QString() << true << int(ErrorCode::InvalidArgument) << QString();
}

void tst_Sessions::resolution()
{
    QFETCH(QString, id);
    QFETCH(QString, key);
    QFETCH(bool, create);
    QFETCH(int, error);
    QFETCH(QString, expect);

    QHash<QString, SessionInfo> existing;
    auto make = [&](const QString &name, const QString &principal, const QString &device) {
        auto s = m_store->create(name, principal, device, QStringLiteral("default"));
        QVERIFY(s);
        existing.insert(name, *s);
    };
    make(QStringLiteral("mine"), QStringLiteral("alice"), QStringLiteral("d1"));
    make(QStringLiteral("theirs"), QStringLiteral("bob"), QStringLiteral("d1"));
    make(QStringLiteral("elsewhere"), QStringLiteral("alice"), QStringLiteral("d2"));
    make(QStringLiteral("old"), QStringLiteral("alice"), QStringLiteral("d1"));
    QVERIFY(m_store->archive(existing.value(QStringLiteral("old")).id));

    SessionSelector selector;
    selector.key = key;
    if (id == QLatin1String("missing"))
        selector.id = Ulid::generate();
    else if (existing.contains(id))
        selector.id = existing.value(id).id;
    else
        selector.id = id;

    SessionResolver resolver(*m_store);
    auto r = resolver.resolve(selector, SessionBinding{QStringLiteral("alice"), QStringLiteral("d1")},
                              create, QStringLiteral("default"));
    QCOMPARE(int(r.error().code), error);
    if (error != int(ErrorCode::None)) {
        QVERIFY(!r.errorMessage().isEmpty());
        return;
    }
    if (expect == QLatin1String("new")) {
        QVERIFY(r->created);
        QCOMPARE(r->session.principal, QStringLiteral("alice"));
        QCOMPARE(r->session.deviceId, QStringLiteral("d1"));
        QCOMPARE(r->session.key, key);
        for (const SessionInfo &s : std::as_const(existing))
            QVERIFY(r->session.id != s.id);
    } else {
        QVERIFY(!r->created);
        QCOMPARE(r->session.id, existing.value(expect).id);
    }
}

void tst_Sessions::autoTitleUntilRenamed()
{
    auto s = m_store->create(QString(), QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    QVERIFY(s);
    QCOMPARE(s->titleSource, QStringLiteral("none"));
    const QString longText = QStringLiteral("Please summarise the quarterly report and highlight the risks we discussed\nsecond line");
    const QString title = SessionStore::titleFromText(longText);
    QVERIFY(title.size() <= 61);
    QVERIFY(title.startsWith(QStringLiteral("Please summarise")));
    QVERIFY(!title.contains(QLatin1Char('\n')));
    QVERIFY(m_store->setAutoTitle(s->id, title));
    QCOMPARE(m_store->byId(s->id)->title, title);
    // Only the first message names the session...
    QVERIFY(m_store->setAutoTitle(s->id, QStringLiteral("second message")));
    QCOMPARE(m_store->byId(s->id)->title, title);
    // ...and a user's name is never replaced.
    auto renamed = m_store->rename(s->id, QStringLiteral("  Q3   report  "));
    QVERIFY(renamed);
    QCOMPARE(renamed->title, QStringLiteral("Q3 report"));
    QCOMPARE(renamed->titleSource, QStringLiteral("user"));
    QVERIFY(!m_store->rename(s->id, QStringLiteral("   ")));
}

void tst_Sessions::archiveFreesKeyAndRestoreChecksIt()
{
    auto first = m_store->create(QStringLiteral("k"), QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    QVERIFY(first);
    auto clash = m_store->create(QStringLiteral("k"), QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    QVERIFY(!clash);
    QCOMPARE(clash.error().code, ErrorCode::Conflict);
    QVERIFY(m_store->archive(first->id));
    auto second = m_store->create(QStringLiteral("k"), QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    QVERIFY2(second, qPrintable(second.errorMessage()));
    auto restored = m_store->restore(first->id);
    QVERIFY(!restored);
    QCOMPARE(restored.error().code, ErrorCode::Conflict);
    QVERIFY(m_store->archive(second->id));
    QVERIFY(m_store->restore(first->id));
    QCOMPARE(m_store->byLiveKey(QStringLiteral("k"))->id, first->id);
}

void tst_Sessions::deleteCascades()
{
    auto s = m_store->create(QStringLiteral("doomed"), QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    QVERIFY(s);
    RunStore runs(*m_journal);
    auto r = runs.create(NewRun{s->id, QStringLiteral("default"), QStringLiteral("deterministic"),
                                QStringLiteral("echo-1"), QStringLiteral("x"), QStringLiteral("i")});
    QVERIFY(r);
    QVERIFY(m_journal->exec(QStringLiteral("INSERT INTO approvals(id, run_id, session_id, call_id, tool, "
                                           "arguments, risk, created_at, expires_at) VALUES "
                                           "('A', ?, ?, 'c', 'echo', '{}', 'low', 0, 0)"),
                            {r->id, s->id}));
    auto keep = m_store->create(QStringLiteral("kept"), QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    QVERIFY(keep);
    QVERIFY(m_store->remove(s->id));
    for (const char *table : {"runs", "orchestrator_tape", "approvals"}) {
        auto q = m_journal->exec(QStringLiteral("SELECT COUNT(*) FROM %1").arg(QLatin1String(table)));
        QVERIFY(q && q->next());
        QCOMPARE(q->value(0).toInt(), 0);
    }
    QCOMPARE(m_store->byId(s->id).error().code, ErrorCode::NotFound);
    QVERIFY(m_store->byId(keep->id));
}

void tst_Sessions::resetMovesTheContextFloor()
{
    auto s = m_store->create(QString(), QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    RunStore runs(*m_journal);
    for (int i = 0; i < 3; ++i)
        QVERIFY(runs.create(NewRun{s->id, QStringLiteral("default"), QStringLiteral("deterministic"),
                                   QStringLiteral("echo-1"), QStringLiteral("x"), QStringLiteral("i")}));
    auto reset = m_store->reset(s->id);
    QVERIFY(reset);
    QCOMPARE(reset->contextFloor, 3);
    QCOMPARE(reset->runCount, 3); // the tape stays
}

void tst_Sessions::findByIdKeyOrPrefix()
{
    auto s = m_store->create(QStringLiteral("named"), QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    QVERIFY(s);
    QCOMPARE(m_store->find(s->id)->id, s->id);
    QCOMPARE(m_store->find(s->id.toLower())->id, s->id);
    QCOMPARE(m_store->find(QStringLiteral("named"))->id, s->id);
    QCOMPARE(m_store->find(s->id.left(20))->id, s->id);
    QCOMPARE(m_store->find(QStringLiteral("nothing-here")).error().code, ErrorCode::NotFound);
    QCOMPARE(m_store->find(QStringLiteral("%")).error().code, ErrorCode::NotFound);
}

void tst_Sessions::fullTextSearch()
{
    RunStore runs(*m_journal);
    auto a = m_store->create(QStringLiteral("a"), QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    auto b = m_store->create(QStringLiteral("b"), QStringLiteral("p"), QStringLiteral("d"), QStringLiteral("default"));
    auto ra = runs.create(NewRun{a->id, QStringLiteral("default"), QStringLiteral("deterministic"), QStringLiteral("m"), {}, QStringLiteral("i")});
    auto rb = runs.create(NewRun{b->id, QStringLiteral("default"), QStringLiteral("deterministic"), QStringLiteral("m"), {}, QStringLiteral("i")});
    QVERIFY(m_journal->appendTape(ra->id, TapeKind::Input, {{QStringLiteral("text"), QStringLiteral("Tell me about Café culture")}}));
    QVERIFY(m_journal->appendTape(rb->id, TapeKind::AssistantMessage, {{QStringLiteral("text"), QStringLiteral("Kubernetes pods restart")}}));
    QVERIFY(m_journal->appendTape(rb->id, TapeKind::ToolOutput, {{QStringLiteral("text"), QStringLiteral("cafe in a tool output is not indexed")}}));

    auto search = [&](const QString &text) {
        SessionFilter f;
        f.search = text;
        QStringList keys;
        const auto found = m_store->list(f);
        if (!found)
            return QStringList{QStringLiteral("error: ") + found.errorMessage()};
        for (const SessionInfo &s : *found)
            keys.append(s.key);
        keys.sort();
        return keys;
    };
    QCOMPARE(search(QStringLiteral("cafe")), QStringList{QStringLiteral("a")});      // diacritics folded
    QCOMPARE(search(QStringLiteral("kube")), QStringList{QStringLiteral("b")});      // prefix
    QCOMPARE(search(QStringLiteral("pods restart")), QStringList{QStringLiteral("b")});
    QCOMPARE(search(QStringLiteral("\"unbalanced")), QStringList{});                 // no syntax error
    QCOMPARE(search(QStringLiteral("b")), QStringList{QStringLiteral("b")});         // key match
}

QTEST_GUILESS_MAIN(tst_Sessions)
#include "tst_sessions.moc"
