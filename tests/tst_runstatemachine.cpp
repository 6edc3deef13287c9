#include "runs/runstatemachine.h"

#include <QTest>

using namespace Spool;

class tst_RunStateMachine : public QObject
{
    Q_OBJECT
private slots:
    void transitions_data();
    void transitions();
    void terminal_data();
    void terminal();
    void names();
};

namespace {
const QList<RunState> kStates{RunState::Accepted, RunState::Running, RunState::Succeeded,
                              RunState::Failed, RunState::Cancelled};
}

void tst_RunStateMachine::transitions_data()
{
    QTest::addColumn<RunState>("from");
    QTest::addColumn<RunState>("to");
    QTest::addColumn<bool>("allowed");
    // SPEC §2: exactly these six transitions are legal; every other pair is refused.
    const QList<QPair<RunState, RunState>> legal{
        {RunState::Accepted, RunState::Running},   {RunState::Accepted, RunState::Failed},
        {RunState::Accepted, RunState::Cancelled}, {RunState::Running, RunState::Succeeded},
        {RunState::Running, RunState::Failed},     {RunState::Running, RunState::Cancelled},
    };
    for (RunState from : kStates) {
        for (RunState to : kStates) {
            const QByteArray name = (runStateName(from) + QStringLiteral("->") + runStateName(to)).toLatin1();
            QTest::newRow(name.constData()) << from << to << legal.contains({from, to});
        }
    }
}

void tst_RunStateMachine::transitions()
{
    QFETCH(RunState, from);
    QFETCH(RunState, to);
    QFETCH(bool, allowed);
    QCOMPARE(RunStateMachine::canTransition(from, to), allowed);
}

void tst_RunStateMachine::terminal_data()
{
    QTest::addColumn<RunState>("state");
    QTest::addColumn<bool>("terminal");
    QTest::newRow("accepted") << RunState::Accepted << false;
    QTest::newRow("running") << RunState::Running << false;
    QTest::newRow("succeeded") << RunState::Succeeded << true;
    QTest::newRow("failed") << RunState::Failed << true;
    QTest::newRow("cancelled") << RunState::Cancelled << true;
}

void tst_RunStateMachine::terminal()
{
    QFETCH(RunState, state);
    QFETCH(bool, terminal);
    QCOMPARE(RunStateMachine::isTerminal(state), terminal);
    if (terminal) {
        for (RunState to : kStates)
            QVERIFY(!RunStateMachine::canTransition(state, to));
    }
}

void tst_RunStateMachine::names()
{
    for (RunState s : kStates)
        QCOMPARE(parseRunState(runStateName(s)), std::optional<RunState>(s));
    QCOMPARE(parseRunState(QStringLiteral("paused")), std::nullopt);
}

QTEST_GUILESS_MAIN(tst_RunStateMachine)
#include "tst_runstatemachine.moc"
