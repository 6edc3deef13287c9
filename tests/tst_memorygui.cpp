// Memory in the window (issue 11), offscreen, on a real engine thread: the Memory view's model
// under QAbstractItemModelTester; browse, search, add, edit, pin, forget, filter, and the jump
// to the run that created an item; Settings → Memory imports a folder with progress and an
// error per bad file; the transcript shows which memories a run used, and the session header
// how full the context was.
#include "testsupport.h"

#include "client/engineclient.h"
#include "mainwindow.h"
#include "memorydialog.h"
#include "memorylistmodel.h"
#include "memorypage.h"
#include "runpanel.h"
#include "sessionbar.h"
#include "transcriptview.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Spool;

namespace {

MemoryItem item(qint64 id, const QString &text, bool pinned = false)
{
    MemoryItem m;
    m.id = id;
    m.text = text;
    m.pinned = pinned;
    m.createdAt = 1700000000000 + id;
    return m;
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

} // namespace

class tst_MemoryGui : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void cleanup();

    void modelUnderTester();
    void browseAddEditPinForget();
    void searchAndFilters();
    void jumpsToTheRun();
    void settingsPageImports();
    void transcriptShowsMemoriesUsed();

private:
    template<typename R, typename Work>
    std::optional<R> ask(Work work);
    void openWindow();

    std::unique_ptr<Test::TempEnvironment> m_env;
    std::unique_ptr<EngineClient> m_engine;
    std::unique_ptr<MainWindow> m_window;
};

template<typename R, typename Work>
std::optional<R> tst_MemoryGui::ask(Work work)
{
    std::optional<R> result;
    m_engine->call(this, std::move(work), [&result](R r) { result.emplace(std::move(r)); });
    if (!QTest::qWaitFor([&result] { return result.has_value(); }, 10000))
        return std::nullopt;
    return result;
}

void tst_MemoryGui::initTestCase()
{
    qputenv("SPOOL_KEYSTORE", "file");
}

void tst_MemoryGui::init()
{
    m_env = std::make_unique<Test::TempEnvironment>();
    m_env->config.frontEnd = QStringLiteral("gui");
    m_engine = std::make_unique<EngineClient>(m_env->config, &Gateway::create);
    QSignalSpy ready(m_engine.get(), &EngineClient::ready);
    m_engine->start();
    QVERIFY(ready.wait(10000));
}

void tst_MemoryGui::cleanup()
{
    m_window.reset();
    m_engine.reset();
    m_env.reset();
}

void tst_MemoryGui::openWindow()
{
    m_window = std::make_unique<MainWindow>(*m_engine);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
}

void tst_MemoryGui::modelUnderTester()
{
    MemoryListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setItems({item(3, QStringLiteral("three"), true), item(2, QStringLiteral("two")), item(1, QStringLiteral("one"))});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(model.index(0, MemoryListModel::PinnedColumn).data().toString(), QStringLiteral("\u2605"));
    QCOMPARE(model.index(1, MemoryListModel::TextColumn).data().toString(), QStringLiteral("two"));
    QCOMPARE(model.index(1, MemoryListModel::TextColumn).data(MemoryListModel::IdRole).toLongLong(), 2);
    QVERIFY(!model.index(0, 0).data(MemoryListModel::ScoreRole).isValid());
    // A refresh changes only what changed: one edit, one removal, one new item.
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
    model.setItems({item(4, QStringLiteral("four")), item(3, QStringLiteral("three, edited"), true), item(1, QStringLiteral("one"))});
    QCOMPARE(model.rowCount(), 3);
    QCOMPARE(removed.size(), 1);
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(reset.size(), 0);
    QCOMPARE(model.index(1, MemoryListModel::TextColumn).data().toString(), QStringLiteral("three, edited"));
    // Search results come with scores, and going back to the list resets once.
    model.setHits({MemoryHit{item(1, QStringLiteral("one")), 0.75, 1, 0, 3.2, 0}});
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.index(0, MemoryListModel::ScoreColumn).data().toString(), QStringLiteral("0.750"));
    QCOMPARE(model.index(0, 0).data(MemoryListModel::ScoreRole).toDouble(), 0.75);
    model.setItems({item(1, QStringLiteral("one"))});
    QVERIFY(!model.isSearch());
    QCOMPARE(model.index(0, MemoryListModel::ScoreColumn).data().toString(), QString());
}

void tst_MemoryGui::browseAddEditPinForget()
{
    auto *dialog = new MemoryDialog(m_engine.get());
    QPointer<MemoryDialog> guard(dialog);
    dialog->show();
    {
    QAbstractItemModelTester tester(dialog->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_VERIFY(dialog->statusLabel()->text().contains(QLatin1String("0")));

    // Add.
    dialog->startNew();
    dialog->editor()->setPlainText(QStringLiteral("The staging host is stage.example.org"));
    dialog->tagsField()->setText(QStringLiteral("infra, hosts"));
    dialog->save();
    QTRY_COMPARE(dialog->model()->rowCount(), 1);
    QTRY_VERIFY(dialog->currentId() > 0);
    const qint64 id = dialog->currentId();
    auto stored = ask<Result<MemoryItem>>([id](Engine &e) { return e.memories().get(id); });
    QCOMPARE((*stored)->tags, (QStringList{"infra", "hosts"}));
    QCOMPARE((*stored)->source, MemorySource::User);
    // A duplicate is refused, and the view says why.
    dialog->startNew();
    dialog->editor()->setPlainText(QStringLiteral("The staging host is stage.example.org"));
    dialog->save();
    QTRY_VERIFY2(dialog->statusLabel()->text().contains(QLatin1String("already")), qPrintable(dialog->statusLabel()->text()));

    // Edit and pin the selected one.
    dialog->table()->selectRow(0);
    QCOMPARE(dialog->currentId(), id);
    dialog->editor()->setPlainText(QStringLiteral("The staging host is stage2.example.org"));
    dialog->pinnedBox()->setChecked(true);
    dialog->save();
    QTRY_COMPARE(dialog->model()->index(0, MemoryListModel::TextColumn).data().toString(),
                 QStringLiteral("The staging host is stage2.example.org"));
    QTRY_COMPARE(dialog->model()->index(0, MemoryListModel::PinnedColumn).data().toString(), QStringLiteral("\u2605"));
    dialog->togglePin();
    QTRY_COMPARE(dialog->model()->index(0, MemoryListModel::PinnedColumn).data().toString(), QString());

    // Something added elsewhere (a run, a terminal) shows up.
    MemoryItem other;
    other.text = QStringLiteral("Backups run nightly");
    QVERIFY(*ask<Result<MemoryItem>>([other](Engine &e) { return e.memories().add(other); }));
    QTRY_COMPARE(dialog->model()->rowCount(), 2);

    // Forget.
    const int row = dialog->model()->rowOf(QString::number(id));
    dialog->table()->selectRow(row);
    dialog->forgetSelected(false);
    QTRY_COMPARE(dialog->model()->rowCount(), 1);
    QCOMPARE((*ask<Result<MemoryItem>>([id](Engine &e) { return e.memories().get(id); })).error().code, ErrorCode::NotFound);
    }
    dialog->close();
    QTRY_VERIFY(!guard);
}

void tst_MemoryGui::searchAndFilters()
{
    for (const QString &text : {QStringLiteral("kiwi orchard notes"), QStringLiteral("apple orchard notes"),
                                QStringLiteral("the wifi password is in the safe")}) {
        MemoryItem m;
        m.text = text;
        QVERIFY(*ask<Result<MemoryItem>>([m](Engine &e) { return e.memories().add(m); }));
    }
    MemoryDialog dialog(m_engine.get());
    dialog.show();
    QTRY_COMPARE(dialog.model()->rowCount(), 3);
    QSignalSpy refreshed(&dialog, &MemoryDialog::refreshed);
    dialog.searchField()->setText(QStringLiteral("orchard kiwi"));
    QTest::keyClick(dialog.searchField(), Qt::Key_Return);
    QTRY_VERIFY(dialog.model()->isSearch());
    QTRY_COMPARE(dialog.model()->rowCount(), 2);
    QVERIFY(dialog.model()->index(0, MemoryListModel::TextColumn).data().toString().startsWith(QLatin1String("kiwi")));
    QVERIFY(!dialog.model()->index(0, MemoryListModel::ScoreColumn).data().toString().isEmpty());
    QVERIFY2(dialog.statusLabel()->text().contains(QLatin1String("lexical")), qPrintable(dialog.statusLabel()->text()));
    QVERIFY(dialog.statusLabel()->text().contains(QLatin1String("no embedding model")));
    // Filters: a source with nothing in it.
    dialog.searchField()->clear();
    QTRY_VERIFY(!dialog.model()->isSearch());
    dialog.sourceFilter()->setCurrentIndex(dialog.sourceFilter()->findData(QStringLiteral("file")));
    QTRY_COMPARE(dialog.model()->rowCount(), 0);
    dialog.sourceFilter()->setCurrentIndex(0);
    dialog.scopeFilter()->setCurrentIndex(dialog.scopeFilter()->findData(QStringLiteral("session")));
    QTRY_COMPARE(dialog.model()->rowCount(), 0);
    dialog.scopeFilter()->setCurrentIndex(dialog.scopeFilter()->findData(QStringLiteral("global")));
    QTRY_COMPARE(dialog.model()->rowCount(), 3);
}

void tst_MemoryGui::jumpsToTheRun()
{
    openWindow();
    RunRequest r;
    r.session.key = QStringLiteral("origin");
    r.text = QStringLiteral("hello");
    r.source = QStringLiteral("test");
    auto run = ask<Result<RunInfo>>([r](Engine &e) { return e.startRun(r); });
    QVERIFY(run && *run);
    const QString runId = (*run)->id;
    const QString sessionId = (*run)->sessionId;
    MemoryItem m;
    m.text = QStringLiteral("Saved from a run");
    m.source = MemorySource::Run;
    m.runId = runId;
    QVERIFY(*ask<Result<MemoryItem>>([m](Engine &e) { return e.memories().add(m); }));
    // A later run in the same session, so the run panel's newest is not the one asked for.
    QTRY_VERIFY_WITH_TIMEOUT((*ask<Result<RunInfo>>([runId](Engine &e) { return e.run(runId); }))->isTerminal(), 10000);
    auto later = ask<Result<RunInfo>>([r](Engine &e) { return e.startRun(r); });
    QVERIFY(later && *later);
    QCOMPARE((*later)->sessionId, sessionId);
    // Another session is shown; the Memory view's Open Run goes back to the origin.
    m_window->startNewSession();
    m_window->showMemory();
    MemoryDialog *dialog = m_window->findChild<MemoryDialog *>();
    QVERIFY(dialog);
    QTRY_COMPARE(dialog->model()->rowCount(), 1);
    dialog->table()->selectRow(0);
    QSignalSpy open(dialog, &MemoryDialog::openRun);
    dialog->openSelectedRun();
    QCOMPARE(open.size(), 1);
    QCOMPARE(open.first().first().toString(), runId);
    QTRY_COMPARE(m_window->currentSessionId(), sessionId);
    // ...and the run itself, in the run panel.
    QTRY_COMPARE(m_window->runPanel()->selectedRunId(), runId);
}

void tst_MemoryGui::settingsPageImports()
{
    QTemporaryDir docs;
    QVERIFY(writeFile(docs.filePath(QStringLiteral("notes.md")), "# Hosts\n\nThe build host is builder.example.\n"));
    QVERIFY(writeFile(docs.filePath(QStringLiteral("broken.txt")), QByteArray("binary\0data", 11)));
    MemoryPage page(m_engine.get());
    page.show();
    QTRY_VERIFY2(page.statusLabel()->text().contains(QLatin1String("lexical")), qPrintable(page.statusLabel()->text()));
    QTRY_VERIFY(page.enabledBox()->isChecked());
    page.addFolder(docs.path());
    QCOMPARE(page.folderList()->count(), 1);
    QSignalSpy imported(&page, &MemoryPage::imported);
    page.importNow();
    QVERIFY(imported.wait(10000));
    QVERIFY2(page.importLabel()->text().contains(QLatin1String("Imported 1 file")), qPrintable(page.importLabel()->text()));
    QVERIFY2(page.importLabel()->text().contains(QLatin1String("broken.txt")) &&
             page.importLabel()->text().contains(QLatin1String("binary")), qPrintable(page.importLabel()->text()));
    // The folder is in the settings, and the file in memory.
    auto settings = ask<MemorySettings>([](Engine &e) { return e.memorySettings(); });
    QCOMPARE(settings->folders, QStringList{QFileInfo(docs.path()).absoluteFilePath()});
    auto status = ask<MemoryStatus>([](Engine &e) { return e.memories().status(); });
    QCOMPARE(status->documents, qint64(1));
    // Turning memory off is saved at once.
    page.enabledBox()->setChecked(false);
    QTRY_VERIFY(!ask<MemorySettings>([](Engine &e) { return e.memorySettings(); })->enabled);
}

void tst_MemoryGui::transcriptShowsMemoriesUsed()
{
    MemoryItem m;
    m.text = QStringLiteral("The deploy key lives in the team vault.");
    QVERIFY(*ask<Result<MemoryItem>>([m](Engine &e) { return e.memories().add(m); }));
    openWindow();
    m_window->send(QStringLiteral("where is the deploy key?"));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->transcript()->document()->toPlainText().contains(QLatin1String("used 1 memory")), 10000);
    QVERIFY(m_window->transcript()->document()->toPlainText().contains(QLatin1String("team vault")));
    QTRY_VERIFY_WITH_TIMEOUT(m_window->sessionBar()->contextLabel()->text().startsWith(QLatin1String("Context ")), 10000);
    QVERIFY(m_window->sessionBar()->contextLabel()->toolTip().contains(QLatin1String("memory")));
    // Shown again when the session is opened later (from the journal, not live).
    const QString session = m_window->currentSessionId();
    m_window->startNewSession();
    m_window->selectSession(session);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->transcript()->document()->toPlainText().contains(QLatin1String("used 1 memory")), 10000);
}

QTEST_MAIN(tst_MemoryGui)
#include "tst_memorygui.moc"
