#include "policy/cedarpolicyengine.h"

#include "core/logging.h"
#include "policy/cedar/evaluator.h"
#include "policy/cedar/policyparser.h"
#include "policy/cedar/policyset.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSet>

#include <cmath>

namespace Spool {

using namespace Spool::Cedar;

namespace {

const QString kAction = QStringLiteral("Action");
const QString kExecute = QStringLiteral("tool.execute");
const QString kUser = QStringLiteral("User");
const QString kTool = QStringLiteral("Tool");

// The attributes cedarRequest() puts in the context; policies may read no others.
const QStringList kContextAttributes{
    QStringLiteral("arguments"), QStringLiteral("capabilities"), QStringLiteral("risk"),
    QStringLiteral("requiresApproval"), QStringLiteral("session"), QStringLiteral("agent"),
    QStringLiteral("workspace"), QStringLiteral("server"), QStringLiteral("serverTool"),
    QStringLiteral("annotations"),
};

// The hints of MCP's ToolAnnotations, always present in the context (with MCP's defaults when a
// tool, or a built-in one, gives none), so a policy reading them never fails on a missing one.
const QList<std::pair<QString, bool>> kAnnotationDefaults{
    {QStringLiteral("readOnlyHint"), false},
    {QStringLiteral("destructiveHint"), true},
    {QStringLiteral("idempotentHint"), false},
    {QStringLiteral("openWorldHint"), true},
};

// Tool arguments come from the model: they are read as plain JSON, so an object can never
// pose as an entity or extension value the way Cedar's `__entity` / `__extn` escapes would.
Value argumentValue(const QJsonValue &json)
{
    switch (json.type()) {
    case QJsonValue::Bool:
        return Value::fromBool(json.toBool());
    case QJsonValue::Double: {
        const double d = json.toDouble();
        const qint64 n = json.toInteger(0);
        if (double(n) == d)
            return Value::fromLong(n);
        // A fraction becomes a decimal (Cedar's four digits) when it fits, else its text.
        if (std::isfinite(d) && std::abs(d) < 9.0e14)
            return Value::fromDecimal(qRound64(d * 10000));
        return Value::fromString(QString::number(d, 'g', 17));
    }
    case QJsonValue::String:
        return Value::fromString(json.toString());
    case QJsonValue::Array: {
        std::vector<Value> elements;
        for (const QJsonValue &v : json.toArray()) {
            if (!v.isNull() && !v.isUndefined())
                elements.push_back(argumentValue(v));
        }
        return Value::fromSet(std::move(elements));
    }
    case QJsonValue::Object: {
        std::vector<Value::Field> fields;
        const QJsonObject o = json.toObject();
        for (auto it = o.begin(); it != o.end(); ++it) {
            if (!it.value().isNull() && !it.value().isUndefined())
                fields.emplace_back(it.key(), argumentValue(it.value()));
        }
        return Value::fromRecord(std::move(fields));
    }
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return Value::emptyRecord();
}

const EntityStore &noEntities()
{
    static const EntityStore store;
    return store;
}

PolicyProblem problemAt(const QString &file, int line, int column, const QString &message)
{
    return PolicyProblem{file, line, column, message};
}

} // namespace

// What Spool knows about a loaded policy beyond Cedar.
struct CedarPolicyEngine::Loaded
{
    QString file;
    bool ask = false;
    QString askText;
    QString reason;
};

struct CedarPolicyEngine::State
{
    static Loaded metadata(const Policy &p, const QString &file)
    {
        Loaded m;
        m.file = file;
        const auto ask = p.annotation(QStringLiteral("ask"));
        m.ask = ask.has_value();
        m.askText = ask.value_or(QString());
        m.reason = p.annotation(QStringLiteral("reason")).value_or(QString());
        return m;
    }

    struct Group
    {
        QList<Policy> policies;
        QList<Loaded> metadata; // parallel to policies
        QList<PolicyProblem> problems;

        void add(const QList<Policy> &more, const QString &file)
        {
            for (const Policy &p : more) {
                policies.append(p);
                metadata.append(State::metadata(p, file));
            }
        }
    };
    Group defaults;
    Group user;
    Group added;

    // The defaults', user's and added policies, in that order, with their metadata (parallel
    // lists, so a decision finds both by position).
    PolicySet all;
    QList<Loaded> allMetadata;
    bool hasProblems = false;

    void rebuild()
    {
        all.clear();
        allMetadata.clear();
        for (const Group *g : {&defaults, &user, &added}) {
            for (const Policy &p : g->policies)
                all.add(p);
            allMetadata += g->metadata;
        }
        hasProblems = !problems().isEmpty();
    }

    QList<PolicyProblem> problems() const
    {
        return defaults.problems + user.problems + added.problems;
    }

    // The decision, and each policy's part in it when `traces` is given.
    PolicyDecision decide(const PolicyRequest &request, QList<PolicyTrace> *traces) const;

    // Ids already taken outside `except`.
    QSet<QString> idsOutside(const Group *except) const
    {
        QSet<QString> ids;
        for (const Group *g : {&defaults, &user, &added}) {
            if (g == except)
                continue;
            for (const Policy &p : g->policies)
                ids.insert(p.id());
        }
        return ids;
    }
};

namespace {

// Spool's own checks on a parsed policy: what Cedar would accept but can never work here.
class PolicyLint
{
public:
    PolicyLint(const QString &file, QList<PolicyProblem> &problems)
        : m_file(file), m_problems(problems)
    {
    }

    void check(const Policy &p)
    {
        checkScope(p, p.principalScope(), kUser, QStringLiteral("principal"));
        checkScope(p, p.resourceScope(), kTool, QStringLiteral("resource"));
        for (const EntityUid &a : p.actionScope().entities) {
            if (a.type() != kAction || a.id() != kExecute)
                add(p.line(), p.column(),
                    QStringLiteral("unknown action %1; Spool's only action is Action::\"tool.execute\"")
                            .arg(a.toString()));
        }
        if (p.effect() == Policy::Effect::Forbid && p.annotation(QStringLiteral("ask")))
            add(p.line(), p.column(), QStringLiteral("@ask only applies to permit policies"));
        for (const Policy::Condition &c : p.conditions())
            checkExpr(*c.body);
    }

private:
    void add(int line, int column, const QString &message)
    {
        m_problems.append(problemAt(m_file, line, column, message));
    }

    void checkScope(const Policy &p, const Policy::Scope &s, const QString &type, const QString &var)
    {
        auto wrong = [&](const QString &used) {
            add(p.line(), p.column(),
                QStringLiteral("the %1 is always a %2 entity in Spool, never %3").arg(var, type, used));
        };
        if (!s.entityType.isEmpty() && s.entityType != type)
            wrong(s.entityType);
        for (const EntityUid &e : s.entities) {
            if (e.type() != type)
                wrong(e.toString());
        }
    }

    void checkExpr(const Expr &e)
    {
        const bool onContext = !e.operands.empty()
                               && e.operands[0]->kind == Expr::Kind::Variable
                               && e.operands[0]->variable == Expr::Variable::Context;
        if (onContext && (e.kind == Expr::Kind::GetAttribute || e.kind == Expr::Kind::Has)) {
            const QString attribute = e.kind == Expr::Kind::Has ? e.path.front() : e.name;
            if (!kContextAttributes.contains(attribute))
                add(e.line, e.column,
                    QStringLiteral("the context has no attribute %1 (it has %2)")
                            .arg(quotedCedarString(attribute), kContextAttributes.join(QLatin1String(", "))));
        }
        if (e.kind == Expr::Kind::Call && int(e.operands.size()) != Expr::functionArity(e.function)) {
            // Cedar only finds a wrong argument count when the policy runs; say so now.
            const int receiver = Expr::isMethod(e.function) ? 1 : 0;
            const int expected = Expr::functionArity(e.function) - receiver;
            add(e.line, e.column, QStringLiteral("%1 takes %2 argument%3, not %4")
                                          .arg(Expr::functionName(e.function))
                                          .arg(expected)
                                          .arg(expected == 1 ? QString() : QStringLiteral("s"))
                                          .arg(int(e.operands.size()) - receiver));
        }
        for (const auto &o : e.operands)
            checkExpr(*o);
    }

    QString m_file;
    QList<PolicyProblem> &m_problems;
};

// Parses and checks a file; `policies` receives them with their Spool ids.
QList<PolicyProblem> parseFile(const QString &text, const QString &fileName, QList<Policy> &policies)
{
    QList<PolicyProblem> problems;
    const PolicyParser::Parsed parsed = PolicyParser::parse(text, fileName);
    for (const Diagnostic &d : parsed.errors)
        problems.append(problemAt(d.file, d.line, d.column, d.message));
    if (!parsed.ok())
        return problems;

    PolicyLint lint(fileName, problems);
    QSet<QString> ids;
    for (Policy p : parsed.policies) {
        lint.check(p);
        const auto id = p.annotation(QStringLiteral("id"));
        p.setId(id && !id->isEmpty() ? *id : fileName + QLatin1Char(':') + p.id());
        if (ids.contains(p.id()))
            problems.append(problemAt(fileName, p.line(), p.column(),
                                      QStringLiteral("policy id %1 is used twice").arg(p.id())));
        ids.insert(p.id());
        policies.append(p);
    }
    return problems;
}

} // namespace

CedarPolicyEngine::CedarPolicyEngine(Defaults defaults)
    : d(std::make_unique<State>())
{
    if (defaults == Defaults::BuiltIn) {
        QFile f(QStringLiteral(":/policies/default.cedar"));
        if (!f.open(QIODevice::ReadOnly)) {
            d->defaults.problems.append(problemAt(QStringLiteral("default.cedar"), 0, 0,
                                                  QStringLiteral("the built-in policies are missing")));
        } else {
            QList<Policy> policies;
            d->defaults.problems = parseFile(QString::fromUtf8(f.readAll()),
                                             QStringLiteral("default.cedar"), policies);
            if (d->defaults.problems.isEmpty())
                d->defaults.add(policies, QStringLiteral("default.cedar"));
        }
    }
    d->rebuild();
}

CedarPolicyEngine::~CedarPolicyEngine() = default;

QList<PolicyProblem> CedarPolicyEngine::validate(const QString &text, const QString &fileName)
{
    QList<Policy> policies;
    return parseFile(text, fileName, policies);
}

QList<PolicyProblem> CedarPolicyEngine::loadUserPolicies(const QString &folder)
{
    State::Group group;
    const QSet<QString> taken = d->idsOutside(&d->user);
    QSet<QString> ids;
    const QDir dir(folder);
    const QFileInfo info(folder);
    QStringList files;
    if (info.exists() && (!info.isDir() || !info.isReadable() || !info.isExecutable())) {
        // Not silently "no policies": a folder Spool cannot list may hold a forbid.
        group.problems.append(problemAt(folder, 0, 0,
                                        info.isDir() ? QStringLiteral("the policy folder cannot be read")
                                                     : QStringLiteral("the policy folder is not a folder")));
    } else if (info.exists()) {
        files = dir.entryList({QStringLiteral("*.cedar")}, QDir::Files, QDir::Name);
    }
    for (const QString &name : files) {
        QFile f(dir.filePath(name));
        if (!f.open(QIODevice::ReadOnly)) {
            group.problems.append(problemAt(name, 0, 0, QStringLiteral("cannot read the file: %1").arg(f.errorString())));
            continue;
        }
        QList<Policy> policies;
        QList<PolicyProblem> problems = parseFile(QString::fromUtf8(f.readAll()), name, policies);
        for (const Policy &p : policies) {
            if (taken.contains(p.id()) || ids.contains(p.id()))
                problems.append(problemAt(name, p.line(), p.column(),
                                          QStringLiteral("policy id %1 is already used by another policy").arg(p.id())));
        }
        if (!problems.isEmpty()) {
            group.problems += problems;
            continue;
        }
        for (const Policy &p : policies)
            ids.insert(p.id());
        group.add(policies, name);
    }
    d->user = group;
    d->rebuild();
    for (const PolicyProblem &p : group.problems)
        qCWarning(lcPolicy).noquote() << "policy problem, tool calls are denied until it is fixed:" << p.toString();
    return group.problems;
}

QList<PolicyProblem> CedarPolicyEngine::replaceAddedPolicies(const QList<PolicySource> &sources)
{
    State::Group group;
    const QSet<QString> taken = d->idsOutside(&d->added);
    QSet<QString> ids;
    for (const PolicySource &source : sources) {
        QList<Policy> policies;
        QList<PolicyProblem> problems = parseFile(source.text, source.fileName, policies);
        for (const Policy &p : policies) {
            if (taken.contains(p.id()) || ids.contains(p.id()))
                problems.append(problemAt(source.fileName, p.line(), p.column(),
                                          QStringLiteral("policy id %1 is already used by another policy").arg(p.id())));
        }
        if (!problems.isEmpty()) {
            group.problems += problems;
            continue;
        }
        for (const Policy &p : policies)
            ids.insert(p.id());
        group.add(policies, source.fileName);
    }
    d->added = group;
    d->rebuild();
    for (const PolicyProblem &p : group.problems)
        qCWarning(lcPolicy).noquote() << "policy problem, tool calls are denied until it is fixed:" << p.toString();
    return group.problems;
}

QList<PolicyProblem> CedarPolicyEngine::addPolicies(const QString &text, const QString &fileName)
{
    QList<Policy> policies;
    QList<PolicyProblem> problems = parseFile(text, fileName, policies);
    const QSet<QString> taken = d->idsOutside(nullptr);
    for (const Policy &p : policies) {
        if (taken.contains(p.id()))
            problems.append(problemAt(fileName, p.line(), p.column(),
                                      QStringLiteral("policy id %1 is already used by another policy").arg(p.id())));
    }
    if (problems.isEmpty())
        d->added.add(policies, fileName);
    else
        d->added.problems += problems;
    d->rebuild();
    for (const PolicyProblem &p : problems)
        qCWarning(lcPolicy).noquote() << "policy problem, tool calls are denied until it is fixed:" << p.toString();
    return problems;
}

QList<PolicyProblem> CedarPolicyEngine::problems() const
{
    return d->problems();
}

QStringList CedarPolicyEngine::policyIds() const
{
    QStringList ids;
    for (const Policy &p : d->all.policies())
        ids.append(p.id());
    return ids;
}

QList<PolicyInfo> CedarPolicyEngine::policies() const
{
    QList<PolicyInfo> out;
    const QList<Policy> &all = d->all.policies();
    out.reserve(all.size());
    for (qsizetype i = 0; i < all.size(); ++i) {
        const Policy &p = all.at(i);
        const Loaded &meta = d->allMetadata.at(i);
        PolicyInfo info;
        info.policyId = p.id();
        info.file = meta.file;
        info.line = p.line();
        info.effect = p.effect() == Policy::Effect::Forbid ? QStringLiteral("forbid") : QStringLiteral("permit");
        info.ask = meta.ask;
        info.text = p.sourceText();
        out.append(info);
    }
    return out;
}

QString CedarPolicyEngine::argumentLiteral(const QJsonValue &value)
{
    return argumentValue(value).toString();
}

Request CedarPolicyEngine::cedarRequest(const PolicyRequest &request)
{
    Request r;
    r.principal = EntityUid(kUser, request.principal);
    r.action = EntityUid(kAction, kExecute);
    r.resource = EntityUid(kTool, request.tool);
    std::vector<Value> capabilities;
    capabilities.reserve(size_t(request.capabilities.size()));
    for (const QString &c : request.capabilities)
        capabilities.push_back(Value::fromString(c));
    std::vector<Value::Field> annotations;
    for (const auto &[hint, fallback] : kAnnotationDefaults) {
        const QJsonValue given = request.annotations.value(hint);
        annotations.emplace_back(hint, Value::fromBool(given.isBool() ? given.toBool() : fallback));
    }
    r.context = Value::fromRecord({
            {QStringLiteral("arguments"), argumentValue(request.arguments)},
            {QStringLiteral("capabilities"), Value::fromSet(std::move(capabilities))},
            {QStringLiteral("risk"), Value::fromString(request.risk)},
            {QStringLiteral("requiresApproval"), Value::fromBool(request.toolRequiresApproval)},
            {QStringLiteral("session"), Value::fromString(request.sessionId)},
            {QStringLiteral("agent"), Value::fromString(request.agent)},
            {QStringLiteral("workspace"), Value::fromString(request.workspace)},
            {QStringLiteral("server"), Value::fromString(request.server)},
            {QStringLiteral("serverTool"), Value::fromString(request.serverTool)},
            {QStringLiteral("annotations"), Value::fromRecord(std::move(annotations))},
    });
    return r;
}

namespace {

QString listOf(const QStringList &ids)
{
    if (ids.size() == 1)
        return QStringLiteral("policy %1").arg(ids.front());
    return QStringLiteral("policies %1").arg(ids.join(QLatin1String(", ")));
}

} // namespace

PolicyDecision CedarPolicyEngine::State::decide(const PolicyRequest &request,
                                               QList<PolicyTrace> *traces) const
{
    PolicyDecision decision;
    if (hasProblems) {
        const QList<PolicyProblem> all = problems();
        decision.effect = PolicyEffect::Deny;
        decision.explanation = QStringLiteral("Denied: the policies have errors, so no tool runs until "
                                              "they are fixed. %1")
                                       .arg(all.front().toString());
        if (all.size() > 1)
            decision.explanation += QStringLiteral(" (and %1 more)").arg(all.size() - 1);
        return decision;
    }

    const Request cedar = cedarRequest(request);
    Evaluator evaluator(cedar, noEntities());
    QStringList forbids;
    QStringList failedForbids;
    QStringList permits;
    QStringList askPermits;
    QStringList askTexts;
    QStringList reasons;
    QString firstError;
    const QList<Policy> &policies = all.policies();
    for (qsizetype i = 0; i < policies.size(); ++i) {
        const Policy &p = policies.at(i);
        const Loaded &meta = allMetadata.at(i);
        const bool forbid = p.effect() == Policy::Effect::Forbid;
        QString error;
        const Evaluator::Outcome outcome = evaluator.evaluate(p, &error);
        switch (outcome) {
        case Evaluator::Outcome::Satisfied:
            if (forbid) {
                forbids.append(p.id());
                if (!meta.reason.isEmpty())
                    reasons.append(meta.reason);
            } else if (meta.ask) {
                askPermits.append(p.id());
                if (!meta.askText.isEmpty() && !askTexts.contains(meta.askText))
                    askTexts.append(meta.askText);
            } else {
                permits.append(p.id());
            }
            break;
        case Evaluator::Outcome::Error:
            decision.erroring.append(p.id());
            if (forbid)
                failedForbids.append(p.id());
            if (firstError.isEmpty())
                firstError = QStringLiteral("%1 failed: %2").arg(p.id(), error);
            break;
        case Evaluator::Outcome::NotSatisfied:
            break;
        }
        if (traces) {
            PolicyTrace trace;
            trace.policyId = p.id();
            trace.file = meta.file;
            trace.line = p.line();
            trace.effect = forbid ? QStringLiteral("forbid") : QStringLiteral("permit");
            trace.ask = meta.ask;
            trace.text = p.sourceText();
            trace.outcome = outcome == Evaluator::Outcome::Satisfied ? PolicyTrace::Outcome::Satisfied
                            : outcome == Evaluator::Outcome::Error   ? PolicyTrace::Outcome::Error
                                                                     : PolicyTrace::Outcome::NotSatisfied;
            trace.error = error;
            traces->append(trace);
        }
    }

    const QString &tool = request.tool;
    if (!forbids.isEmpty() || !failedForbids.isEmpty()) {
        decision.effect = PolicyEffect::Deny;
        decision.determining = forbids + failedForbids;
        if (!forbids.isEmpty()) {
            decision.explanation = QStringLiteral("Denied: %1 forbids the tool %2.").arg(listOf(forbids), tool);
            if (!reasons.isEmpty())
                decision.explanation += QLatin1Char(' ') + reasons.join(QLatin1Char(' '));
        } else {
            decision.explanation = QStringLiteral("Denied: the forbid %1 could not be evaluated, and a "
                                                  "forbid that fails denies. %2")
                                           .arg(listOf(failedForbids), firstError);
        }
    } else if (!permits.isEmpty()) {
        decision.effect = PolicyEffect::Allow;
        decision.determining = permits;
        decision.explanation = QStringLiteral("Allowed: %1 lets the tool %2 run.").arg(listOf(permits), tool);
    } else if (!askPermits.isEmpty()) {
        decision.effect = PolicyEffect::Ask;
        decision.determining = askPermits;
        decision.explanation = QStringLiteral("Needs your approval (%1). %2")
                                       .arg(listOf(askPermits),
                                            askTexts.isEmpty() ? QStringLiteral("The policy asks before the tool %1 runs.").arg(tool)
                                                               : askTexts.join(QLatin1Char(' ')));
    } else {
        decision.effect = PolicyEffect::Deny;
        decision.explanation = QStringLiteral("Denied: no policy permits the tool %1.").arg(tool);
        if (!firstError.isEmpty())
            decision.explanation += QStringLiteral(" (Policy %1.)").arg(firstError);
    }
    return decision;
}

PolicyExplanation CedarPolicyEngine::explain(const PolicyRequest &request) const
{
    PolicyExplanation out;
    out.request = request;
    out.decision = d->decide(request, &out.policies);
    return out;
}

PolicyDecision CedarPolicyEngine::decide(const PolicyRequest &request) const
{
    return d->decide(request, nullptr);
}

} // namespace Spool
