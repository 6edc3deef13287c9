// Cedar's own integration suite (tests/fixtures/cedar-conformance): the 22 handwritten tests and
// part A of the generated corpus. Every request must produce the expected decision, the same
// determining policies and the same erroring policies; a file needing an unsupported feature
// is reported as skipped, never as passed.

#include "policy/cedar/integrationtest.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Spool::Cedar;

class tst_CedarConformance : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void handwritten_data();
    void handwritten();
    void corpus_data();
    void corpus();
    void findsTheSuiteRoot();
    void cleanupTestCase();

private:
    struct Counts
    {
        int files = 0;
        int passed = 0;
        int failed = 0;
        int skipped = 0;
    };
    void runFile(const QString &file, const QString &root, Counts &counts);

    QString m_suiteDir;
    QTemporaryDir m_corpusDir;
    Counts m_handwritten;
    Counts m_corpus;
    QElapsedTimer m_timer;
};

namespace {

QStringList testFiles(const QString &dir)
{
    QStringList files;
    QDirIterator it(dir, {QStringLiteral("*.json")}, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString f = it.next();
        if (!f.endsWith(QLatin1String(".entities.json")))
            files.append(f);
    }
    files.sort();
    return files;
}

} // namespace

void tst_CedarConformance::initTestCase()
{
    m_timer.start();
    m_suiteDir = QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/cedar-conformance");
    QVERIFY2(QFileInfo::exists(m_suiteDir + QStringLiteral("/tests")),
             qPrintable(QStringLiteral("the Cedar suite is missing: %1").arg(m_suiteDir)));

    // The corpus is kept compressed in the repository and unpacked per run.
    QVERIFY(m_corpusDir.isValid());
    QProcess tar;
    tar.start(QStringLiteral("tar"), {QStringLiteral("xzf"),
                                      m_suiteDir + QStringLiteral("/corpus-tests-part-a.tar.gz"),
                                      QStringLiteral("-C"), m_corpusDir.path()});
    QVERIFY2(tar.waitForFinished(120000), "tar did not finish");
    QVERIFY2(tar.exitStatus() == QProcess::NormalExit && tar.exitCode() == 0,
             tar.readAllStandardError().constData());
}

void tst_CedarConformance::runFile(const QString &file, const QString &root, Counts &counts)
{
    const IntegrationTest::Outcome outcome = IntegrationTest::run(file, root);
    ++counts.files;
    counts.passed += outcome.passed;
    counts.failed += outcome.failed;
    counts.skipped += outcome.skipped;
    if (outcome.skipped > 0 && outcome.failed == 0)
        QSKIP(qPrintable(outcome.skipReason));
    QVERIFY2(outcome.failed == 0,
             qPrintable(QStringLiteral("%1 of %2 requests failed:\n  %3")
                                .arg(outcome.failed)
                                .arg(outcome.failed + outcome.passed + outcome.skipped)
                                .arg(outcome.failures.join(QLatin1String("\n  ")))));
    QVERIFY2(outcome.passed > 0, "the file has no requests");
}

void tst_CedarConformance::handwritten_data()
{
    QTest::addColumn<QString>("file");
    const QStringList files = testFiles(m_suiteDir + QStringLiteral("/tests"));
    QCOMPARE(files.size(), 22);
    for (const QString &f : files)
        QTest::newRow(qPrintable(QDir(m_suiteDir).relativeFilePath(f))) << f;
}

void tst_CedarConformance::handwritten()
{
    QFETCH(QString, file);
    runFile(file, m_suiteDir, m_handwritten);
}

void tst_CedarConformance::corpus_data()
{
    QTest::addColumn<QString>("file");
    const QStringList files = testFiles(m_corpusDir.path() + QStringLiteral("/corpus-tests"));
    QVERIFY2(files.size() > 1000, "corpus part A did not unpack");
    for (const QString &f : files)
        QTest::newRow(qPrintable(QFileInfo(f).completeBaseName())) << f;
}

void tst_CedarConformance::corpus()
{
    QFETCH(QString, file);
    runFile(file, m_corpusDir.path(), m_corpus);
}

void tst_CedarConformance::findsTheSuiteRoot()
{
    // `spool policy test FILE.json` gets no root: the runner finds the folder the file's
    // relative paths start from.
    const IntegrationTest::Outcome outcome =
            IntegrationTest::run(m_suiteDir + QStringLiteral("/tests/multi/5.json"));
    QVERIFY2(outcome.failed == 0, qPrintable(outcome.failures.join(QLatin1Char('\n'))));
    QVERIFY(outcome.passed > 0);
}

void tst_CedarConformance::cleanupTestCase()
{
    auto report = [](const char *name, const Counts &c) {
        qInfo().noquote() << QStringLiteral("%1: %2 files, %3 requests: %4 passed, %5 failed, %6 skipped")
                                     .arg(QLatin1String(name))
                                     .arg(c.files)
                                     .arg(c.passed + c.failed + c.skipped)
                                     .arg(c.passed)
                                     .arg(c.failed)
                                     .arg(c.skipped);
    };
    report("handwritten", m_handwritten);
    report("corpus part A", m_corpus);
    qInfo().noquote() << QStringLiteral("conformance run took %1 ms").arg(m_timer.elapsed());
    // The handwritten tests hold exactly 74 requests: fewer means some were never run.
    QCOMPARE(m_handwritten.passed + m_handwritten.failed + m_handwritten.skipped, 74);
}

QTEST_GUILESS_MAIN(tst_CedarConformance)
#include "tst_cedarconformance.moc"
