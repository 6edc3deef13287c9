// The Cedar authorizer: a property test over random policy sets (allow exactly when some
// permit is satisfied and no forbid is; erroring policies are skipped and reported), and
// `like` staying linear on patterns that make backtracking matchers explode.

#include "policy/cedar/authorizer.h"
#include "policy/cedar/jsonformat.h"
#include "policy/cedar/policyparser.h"
#include "threadcputimer.h"

#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSet>
#include <QTest>

using namespace Spool::Cedar;

class tst_CedarAuthorizer : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase();
    void randomPolicySets_data();
    void randomPolicySets();
    void randomSetsCoverEveryOutcome();
    void emptySetDenies();
    void likeIsLinear_data();
    void likeIsLinear();

private:
    EntityStore m_entities;
    Request m_request;
    int m_allowed = 0;
    int m_deniedByForbid = 0;
    int m_deniedByDefault = 0;
    int m_withErrors = 0;
};

namespace {

enum class Truth { True, False, Error };

// A random condition together with what Cedar must make of it: the test's own model of the
// semantics (three-valued, with short-circuiting), independent of the evaluator.
struct Generated
{
    QString text;
    Truth truth;
};

class PolicyGenerator
{
public:
    explicit PolicyGenerator(quint32 seed) : m_random(seed) {}

    Generated atom()
    {
        static const Generated atoms[] = {
            {QStringLiteral("true"), Truth::True},
            {QStringLiteral("false"), Truth::False},
            {QStringLiteral("context.n == 7"), Truth::True},
            {QStringLiteral("context.n == 8"), Truth::False},
            {QStringLiteral("principal == User::\"alice\""), Truth::True},
            {QStringLiteral("principal in Group::\"g1\""), Truth::True},
            {QStringLiteral("principal in Group::\"g2\""), Truth::False},
            {QStringLiteral("resource.owner == principal"), Truth::True},
            {QStringLiteral("context.tags.contains(\"x\")"), Truth::True},
            {QStringLiteral("context.name like \"al*e\""), Truth::True},
            {QStringLiteral("context.missing == 1"), Truth::Error},
            {QStringLiteral("(1 + \"a\") == 2"), Truth::Error},
            {QStringLiteral("context.big + 1 > 0"), Truth::Error},
            {QStringLiteral("resource.nothing"), Truth::Error},
            {QStringLiteral("context.n"), Truth::Error}, // a long where a boolean is needed
        };
        return atoms[m_random.bounded(int(std::size(atoms)))];
    }

    Generated condition(int depth)
    {
        if (depth == 0 || m_random.bounded(3) == 0)
            return atom();
        switch (m_random.bounded(4)) {
        case 0: {
            const Generated a = condition(depth - 1);
            return {QStringLiteral("!(%1)").arg(a.text),
                    a.truth == Truth::Error ? Truth::Error : (a.truth == Truth::True ? Truth::False : Truth::True)};
        }
        case 1:
        case 2: {
            const bool isAnd = m_random.bounded(2) == 0;
            const Generated a = condition(depth - 1);
            const Generated b = condition(depth - 1);
            Truth t;
            if (a.truth == Truth::Error)
                t = Truth::Error;
            else if ((a.truth == Truth::False && isAnd) || (a.truth == Truth::True && !isAnd))
                t = a.truth; // the right side is never evaluated
            else
                t = b.truth;
            return {QStringLiteral("(%1) %2 (%3)").arg(a.text, isAnd ? QStringLiteral("&&") : QStringLiteral("||"), b.text), t};
        }
        default: {
            const Generated c = condition(depth - 1);
            const Generated a = condition(depth - 1);
            const Generated b = condition(depth - 1);
            const Truth t = c.truth == Truth::Error ? Truth::Error : (c.truth == Truth::True ? a.truth : b.truth);
            return {QStringLiteral("if (%1) then (%2) else (%3)").arg(c.text, a.text, b.text), t};
        }
        }
    }

    // A whole policy; `truth` is True when satisfied, False when not, Error when it errors.
    Generated policy(bool &permit)
    {
        permit = m_random.bounded(3) != 0;
        static const Generated principals[] = {
            {QStringLiteral("principal"), Truth::True},
            {QStringLiteral("principal == User::\"alice\""), Truth::True},
            {QStringLiteral("principal == User::\"bob\""), Truth::False},
            {QStringLiteral("principal in Group::\"g1\""), Truth::True},
            {QStringLiteral("principal is User"), Truth::True},
            {QStringLiteral("principal is Group in Group::\"g1\""), Truth::False},
        };
        static const Generated actions[] = {
            {QStringLiteral("action"), Truth::True},
            {QStringLiteral("action == Action::\"view\""), Truth::True},
            {QStringLiteral("action in [Action::\"edit\", Action::\"read\"]"), Truth::True},
            {QStringLiteral("action == Action::\"edit\""), Truth::False},
        };
        static const Generated resources[] = {
            {QStringLiteral("resource"), Truth::True},
            {QStringLiteral("resource in Album::\"a\""), Truth::True},
            {QStringLiteral("resource == Photo::\"q\""), Truth::False},
        };
        const Generated &p = principals[m_random.bounded(int(std::size(principals)))];
        const Generated &a = actions[m_random.bounded(int(std::size(actions)))];
        const Generated &r = resources[m_random.bounded(int(std::size(resources)))];
        QString text = QStringLiteral("%1(%2, %3, %4)")
                               .arg(permit ? QStringLiteral("permit") : QStringLiteral("forbid"), p.text, a.text, r.text);
        // The scope cannot error; the conditions run in order and stop at the first that fails.
        Truth truth = (p.truth == Truth::True && a.truth == Truth::True && r.truth == Truth::True)
                              ? Truth::True
                              : Truth::False;
        const int conditions = m_random.bounded(3);
        for (int i = 0; i < conditions; ++i) {
            const bool when = m_random.bounded(2) == 0;
            const Generated c = condition(3);
            text += QStringLiteral(" %1 { %2 }").arg(when ? QStringLiteral("when") : QStringLiteral("unless"), c.text);
            if (truth != Truth::True)
                continue;
            if (c.truth == Truth::Error)
                truth = Truth::Error;
            else if ((c.truth == Truth::True) != when)
                truth = Truth::False;
        }
        return {text + QLatin1Char(';'), truth};
    }

    int bounded(int n) { return m_random.bounded(n); }

private:
    QRandomGenerator m_random;
};

} // namespace

void tst_CedarAuthorizer::initTestCase()
{
    const QByteArray entities = R"([
        {"uid": {"type": "User", "id": "alice"}, "attrs": {}, "parents": [{"type": "Group", "id": "g1"}]},
        {"uid": {"type": "Group", "id": "g1"}, "attrs": {}, "parents": []},
        {"uid": {"type": "Action", "id": "view"}, "attrs": {}, "parents": [{"type": "Action", "id": "read"}]},
        {"uid": {"type": "Photo", "id": "p"}, "attrs": {"owner": {"__entity": {"type": "User", "id": "alice"}}},
         "parents": [{"type": "Album", "id": "a"}]}
    ])";
    auto store = JsonFormat::entitiesFromJson(QJsonDocument::fromJson(entities).array());
    QVERIFY(store.ok());
    m_entities = *store;
    m_request.principal = EntityUid(QStringLiteral("User"), QStringLiteral("alice"));
    m_request.action = EntityUid(QStringLiteral("Action"), QStringLiteral("view"));
    m_request.resource = EntityUid(QStringLiteral("Photo"), QStringLiteral("p"));
    m_request.context = *JsonFormat::valueFromJson(QJsonDocument::fromJson(
            R"({"n": 7, "tags": ["x", "y"], "name": "alice", "big": 9223372036854775807})").object());
}

void tst_CedarAuthorizer::randomPolicySets_data()
{
    QTest::addColumn<quint32>("seed");
    for (quint32 seed = 1; seed <= 300; ++seed)
        QTest::newRow(qPrintable(QStringLiteral("seed %1").arg(seed))) << seed;
}

void tst_CedarAuthorizer::randomPolicySets()
{
    QFETCH(quint32, seed);
    PolicyGenerator generator(seed);
    const int count = 1 + generator.bounded(12);
    QString text;
    QSet<QString> satisfiedPermits;
    QSet<QString> satisfiedForbids;
    QSet<QString> erroring;
    for (int i = 0; i < count; ++i) {
        bool permit = true;
        const Generated p = generator.policy(permit);
        text += p.text + QLatin1Char('\n');
        const QString id = QStringLiteral("policy%1").arg(i);
        if (p.truth == Truth::Error)
            erroring.insert(id);
        else if (p.truth == Truth::True)
            (permit ? satisfiedPermits : satisfiedForbids).insert(id);
    }
    const PolicyParser::Parsed parsed = PolicyParser::parse(text);
    QVERIFY2(parsed.ok(), qPrintable(parsed.ok() ? QString() : parsed.errors.front().toString() + QLatin1Char('\n') + text));
    PolicySet policies;
    for (const Policy &p : parsed.policies)
        QVERIFY(policies.add(p));

    const Authorizer::Response response = Authorizer::isAuthorized(m_request, m_entities, policies);
    const bool allow = !satisfiedPermits.isEmpty() && satisfiedForbids.isEmpty();
    ++(allow ? m_allowed : (satisfiedForbids.isEmpty() ? m_deniedByDefault : m_deniedByForbid));
    m_withErrors += erroring.isEmpty() ? 0 : 1;
    QCOMPARE(response.decision == Authorizer::Decision::Allow, allow);
    const QSet<QString> determining(response.determining.begin(), response.determining.end());
    QCOMPARE(determining, allow ? satisfiedPermits : satisfiedForbids);
    const QStringList errorIds = response.erroringPolicies();
    QCOMPARE(QSet<QString>(errorIds.begin(), errorIds.end()), erroring);
    for (const Authorizer::PolicyError &e : response.errors)
        QVERIFY2(!e.message.isEmpty(), qPrintable(e.policyId));

    // Dropping the policies that error changes nothing: they were skipped.
    PolicySet withoutErrors;
    for (const Policy &p : parsed.policies) {
        if (!erroring.contains(p.id()))
            withoutErrors.add(p);
    }
    const Authorizer::Response again = Authorizer::isAuthorized(m_request, m_entities, withoutErrors);
    QCOMPARE(again.decision, response.decision);
    QCOMPARE(again.determining, response.determining);
    QVERIFY(again.errors.isEmpty());
}

void tst_CedarAuthorizer::randomSetsCoverEveryOutcome()
{
    // The generator must keep producing every case, or the property above proves little.
    QVERIFY(m_allowed > 30);
    QVERIFY(m_deniedByForbid > 30);
    QVERIFY(m_deniedByDefault > 10);
    QVERIFY(m_withErrors > 30);
}

void tst_CedarAuthorizer::emptySetDenies()
{
    const Authorizer::Response response = Authorizer::isAuthorized(m_request, m_entities, PolicySet());
    QCOMPARE(response.decision, Authorizer::Decision::Deny);
    QVERIFY(response.determining.isEmpty());
}

void tst_CedarAuthorizer::likeIsLinear_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<bool>("matches");
    // Many stars before a letter the text lacks: exponential for a backtracking matcher.
    QTest::newRow("many stars") << QStringLiteral("*a").repeated(40) + QStringLiteral("*b") << false;
    QTest::newRow("many stars, match") << QStringLiteral("*a").repeated(40) + QLatin1Char('*') << true;
    // A long literal that almost matches everywhere: quadratic for a naive substring search.
    QTest::newRow("long near-miss") << QLatin1Char('*') + QStringLiteral("a").repeated(5000) + QStringLiteral("b*") << false;
    QTest::newRow("long match at the end")
            << QLatin1Char('*') + QStringLiteral("a").repeated(5000) + QStringLiteral("c") << true;
}

void tst_CedarAuthorizer::likeIsLinear()
{
    QFETCH(QString, pattern);
    QFETCH(bool, matches);
    const QString text = QStringLiteral("a").repeated(1000000) + QLatin1Char('c');
    const PolicyParser::Parsed parsed = PolicyParser::parse(
            QStringLiteral("permit(principal, action, resource) when { context.s like \"%1\" };").arg(pattern));
    QVERIFY(parsed.ok());
    PolicySet policies;
    policies.add(parsed.policies.front());
    Request request = m_request;
    request.context = Value::fromRecord({{QStringLiteral("s"), Value::fromString(text)}});

    Spool::Test::ThreadCpuTimer cpu;
    const Authorizer::Response response = Authorizer::isAuthorized(request, m_entities, policies);
    const qint64 spent = cpu.elapsedMs();
    QCOMPARE(response.decision == Authorizer::Decision::Allow, matches);
    // One pass over a million characters takes a few milliseconds of CPU; the bound fails any
    // super-linear matcher by orders of magnitude. CPU time, so a busy machine does not count.
    QVERIFY2(spent < 500, qPrintable(QStringLiteral("took %1 ms of CPU").arg(spent)));
}

QTEST_GUILESS_MAIN(tst_CedarAuthorizer)
#include "tst_cedarauthorizer.moc"
