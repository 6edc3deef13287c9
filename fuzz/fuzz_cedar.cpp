// Fuzzes the Cedar policy parser (policy/cedar/policyparser) and what reads its result: the
// printer and the evaluator, since policy files are written by hand and may be anything.
//
// Input: policy text. Invariants:
// - the parser either reports errors, each at a position in the text, or yields policies;
// - each policy prints (Policy::toString) to text that parses back to one policy deciding a
//   request the same way as the original, and printing that is a fixed point;
// - evaluation is deterministic and an erroring policy says why.
#include "fuzzcheck.h"

#include "policy/cedar/authorizer.h"
#include "policy/cedar/evaluator.h"
#include "policy/cedar/policyparser.h"

#include <cstddef>
#include <cstdint>

using namespace Spool::Cedar;

namespace {

// One request against a few entities, so scopes, `in`, attributes and tags have something to
// find; the values are arbitrary.
struct World
{
    Request request;
    EntityStore entities;

    World()
    {
        const EntityUid alice(QStringLiteral("User"), QStringLiteral("alice"));
        const EntityUid admins(QStringLiteral("Group"), QStringLiteral("admins"));
        const EntityUid read(QStringLiteral("Action"), QStringLiteral("read"));
        const EntityUid photo(QStringLiteral("Photo"), QStringLiteral("p1"));
        request.principal = alice;
        request.action = read;
        request.resource = photo;
        request.context = Value::fromRecord({
                {QStringLiteral("n"), Value::fromLong(7)},
                {QStringLiteral("s"), Value::fromString(QStringLiteral("text"))},
                {QStringLiteral("flags"), Value::fromSet({Value::fromBool(true)})},
        });
        EntityStore::Entity user;
        user.uid = alice;
        user.attributes = Value::fromRecord({{QStringLiteral("age"), Value::fromLong(30)},
                                             {QStringLiteral("owner"), Value::fromEntity(alice)}});
        user.tags = Value::fromRecord({{QStringLiteral("team"), Value::fromString(QStringLiteral("x"))}});
        user.parents = {admins};
        entities.insert(user);
        EntityStore::Entity picture;
        picture.uid = photo;
        picture.attributes = Value::fromRecord({{QStringLiteral("owner"), Value::fromEntity(alice)}});
        entities.insert(picture);
        entities.computeAncestors();
    }
};

Evaluator::Outcome decide(const World &world, const Policy &policy, QString *error)
{
    Evaluator evaluator(world.request, world.entities);
    return evaluator.evaluate(policy, error);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const World world;
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    const PolicyParser::Parsed parsed = PolicyParser::parse(text);
    if (!parsed.ok()) {
        const int lines = int(text.count(QLatin1Char('\n')) + text.count(QLatin1Char('\r'))) + 1;
        for (const Diagnostic &d : parsed.errors) {
            SPOOL_FUZZ_CHECK(!d.message.isEmpty(), "an error says what is wrong");
            SPOOL_FUZZ_CHECK(d.line >= 1 && d.line <= lines && d.column >= 1,
                             "an error points into the text");
        }
        return 0;
    }
    for (const Policy &policy : parsed.policies) {
        const QString printed = policy.toString();
        const PolicyParser::Parsed again = PolicyParser::parse(printed);
        if (!again.ok() || again.policies.size() != 1) {
            std::fprintf(stderr, "printed form does not parse back:\n%s\n%s\n",
                         qPrintable(printed),
                         again.ok() ? "(not one policy)" : qPrintable(again.errors.front().toString()));
            SPOOL_FUZZ_CHECK(false, "a parsed policy prints to text that parses back");
        }
        // One round may still change the tree's shape, not its meaning. From then on the text
        // must not change (`-(-(0))` once lost a minus in every round: -0 reads back as 0).
        const QString reprinted = again.policies.front().toString();
        const PolicyParser::Parsed third = PolicyParser::parse(reprinted);
        const QString thirdPrint = third.ok() && third.policies.size() == 1
                ? third.policies.front().toString() : QString();
        if (thirdPrint != reprinted) {
            std::fprintf(stderr, "printed:\n%s\nreprinted:\n%s\nthird:\n%s\n", qPrintable(printed),
                         qPrintable(reprinted), qPrintable(thirdPrint));
            SPOOL_FUZZ_CHECK(false, "printing reaches a fixed point");
        }

        QString error;
        const Evaluator::Outcome outcome = decide(world, policy, &error);
        QString errorAgain;
        SPOOL_FUZZ_CHECK(decide(world, policy, &errorAgain) == outcome && error == errorAgain,
                         "evaluation is deterministic");
        SPOOL_FUZZ_CHECK(outcome != Evaluator::Outcome::Error || !error.isEmpty(),
                         "an erroring policy says why");
        SPOOL_FUZZ_CHECK(decide(world, again.policies.front(), nullptr) == outcome,
                         "the printed policy decides the same");
    }
    PolicySet set;
    for (const Policy &policy : parsed.policies)
        SPOOL_FUZZ_CHECK(set.add(policy), "parsed policies have distinct ids");
    Authorizer::isAuthorized(world.request, world.entities, set);
    return 0;
}
