#include "cli/cliapp.h"

#include "core/logging.h"
#include "policy/cedar/integrationtest.h"
#include "policy/cedarpolicyengine.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool policy test FILE.json...\n"
        "       spool policy explain --tool NAME [--args JSON] [--session SESSION]\n"
        "       spool policy check [DIR]\n"
        "       spool policy list");

QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QJsonArray problemsJson(const QList<PolicyProblem> &problems)
{
    QJsonArray out;
    for (const PolicyProblem &p : problems)
        out.append(p.toJson());
    return out;
}

// Cedar integration-test files (the format of cedar-policy/cedar-integration-tests).
int runTests(CliApp &app, const QStringList &files)
{
    if (files.isEmpty())
        return app.usageError(QStringLiteral("policy test needs one or more test files"), kUsage);
    for (const QString &file : files) {
        const QFileInfo info(file);
        if (!info.exists())
            return app.fail(makeError(ErrorCode::NotFound, QStringLiteral("no such file: %1").arg(file)));
        if (info.isDir())
            return app.usageError(QStringLiteral("%1 is a folder; give the test files (e.g. %1/*.json)")
                                          .arg(file),
                                  kUsage);
    }
    int passed = 0;
    int failed = 0;
    int skipped = 0;
    QJsonArray results;
    for (const QString &file : files) {
        const Cedar::IntegrationTest::Outcome o = Cedar::IntegrationTest::run(file);
        passed += o.passed;
        failed += o.failed;
        skipped += o.skipped;
        if (app.json()) {
            results.append(QJsonObject{{QStringLiteral("file"), o.file},
                                       {QStringLiteral("passed"), o.passed},
                                       {QStringLiteral("failed"), o.failed},
                                       {QStringLiteral("skipped"), o.skipped},
                                       {QStringLiteral("skip_reason"), o.skipReason},
                                       {QStringLiteral("failures"), QJsonArray::fromStringList(o.failures)}});
            continue;
        }
        const QString verdict = o.failed ? QStringLiteral("FAIL") : o.skipped ? QStringLiteral("SKIP")
                                                                              : QStringLiteral("ok  ");
        app.out() << QStringLiteral("%1 %2: %3 passed, %4 failed, %5 skipped\n")
                             .arg(verdict, o.file)
                             .arg(o.passed)
                             .arg(o.failed)
                             .arg(o.skipped);
        if (!o.skipReason.isEmpty())
            app.out() << QStringLiteral("     skipped: %1\n").arg(o.skipReason);
        for (const QString &f : o.failures)
            app.out() << QStringLiteral("     %1\n").arg(f);
    }
    if (app.json()) {
        app.printJson(QJsonObject{{QStringLiteral("files"), results},
                                  {QStringLiteral("passed"), passed},
                                  {QStringLiteral("failed"), failed},
                                  {QStringLiteral("skipped"), skipped}});
    } else {
        app.out() << QStringLiteral("%1 passed, %2 failed, %3 skipped (%4 file%5)\n")
                             .arg(passed)
                             .arg(failed)
                             .arg(skipped)
                             .arg(files.size())
                             .arg(files.size() == 1 ? QString() : QStringLiteral("s"));
    }
    return failed ? ExitFailure : ExitOk;
}

QString outcomeName(PolicyTrace::Outcome outcome)
{
    switch (outcome) {
    case PolicyTrace::Outcome::Satisfied: return QStringLiteral("satisfied");
    case PolicyTrace::Outcome::NotSatisfied: return QStringLiteral("not satisfied");
    case PolicyTrace::Outcome::Error: return QStringLiteral("error");
    }
    return QString();
}

int explain(CliApp &app, const QString &tool, const QString &argumentsText, const QString &session)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(argumentsText.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return app.usageError(QStringLiteral("--args must be a JSON object%1")
                                      .arg(error.error != QJsonParseError::NoError
                                                   ? QStringLiteral(" (%1 at offset %2)")
                                                             .arg(error.errorString())
                                                             .arg(error.offset)
                                                   : QString()),
                              kUsage);
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    const QJsonObject arguments = doc.object();
    auto e = app.withEngine([tool, arguments, session](Engine &g) {
        return g.policies().explain(tool, arguments, session);
    });
    if (!e)
        return app.fail(e.error());
    if (app.json()) {
        app.printJson(e->toJson());
        return ExitOk;
    }
    QTextStream &out = app.out();
    const PolicyRequest &r = e->request;
    out << QStringLiteral("%1 %2: %3\n").arg(r.tool, compact(arguments), policyEffectName(e->decision.effect));
    out << QStringLiteral("  %1\n").arg(e->decision.explanation);
    out << QStringLiteral("  deciding:  %1\n")
                    .arg(e->decision.determining.isEmpty() ? QStringLiteral("none (no policy permits it)")
                                                           : e->decision.determining.join(QStringLiteral(", ")));
    if (!e->decision.erroring.isEmpty())
        out << QStringLiteral("  erroring:  %1\n").arg(e->decision.erroring.join(QStringLiteral(", ")));
    auto orDash = [](const QString &s) { return s.isEmpty() ? QStringLiteral("-") : s; };
    out << QStringLiteral("  request:   principal User::\"%1\", session %2, agent %3, workspace %4\n")
                    .arg(r.principal, orDash(r.sessionId), r.agent, orDash(r.workspace));
    out << QStringLiteral("             capabilities [%1], risk %2, requiresApproval %3\n")
                    .arg(r.capabilities.join(QStringLiteral(", ")), r.risk,
                         r.toolRequiresApproval ? QStringLiteral("true") : QStringLiteral("false"));
    out << QStringLiteral("             arguments %1\n").arg(compact(r.arguments));
    if (e->policies.isEmpty())
        return ExitOk;
    int idWidth = 0;
    for (const PolicyTrace &t : e->policies)
        idWidth = qMax(idWidth, int(t.policyId.size()));
    out << '\n';
    for (const PolicyTrace &t : e->policies) {
        const bool deciding = e->decision.determining.contains(t.policyId);
        out << QStringLiteral("%1 %2  %3 %4  %5:%6%7\n")
                        .arg(deciding ? QStringLiteral("*") : QStringLiteral(" "),
                             outcomeName(t.outcome).leftJustified(13),
                             QString(t.effect + (t.ask ? QStringLiteral(" @ask") : QString())).leftJustified(11),
                             t.policyId.leftJustified(idWidth), t.file)
                        .arg(t.line)
                        .arg(t.outcome == PolicyTrace::Outcome::Error ? QStringLiteral("  ") + t.error
                                                                      : QString());
    }
    out << QStringLiteral("(* decided; policies in load order: built-in, your files, grants)\n");
    return ExitOk;
}

int check(CliApp &app, const QString &explicitFolder)
{
    QString folder = explicitFolder;
    if (folder.isEmpty()) {
        const RuntimeConfig &config = app.loadConfig();
        folder = QDir(config.configDir).filePath(QStringLiteral("policies"));
    } else if (!QFileInfo::exists(folder)) {
        return app.fail(makeError(ErrorCode::NotFound, QStringLiteral("no such folder: %1").arg(folder)));
    }
    // The problems are this command's output: the engine's log line would only repeat them.
    const_cast<QLoggingCategory &>(lcPolicy()).setEnabled(QtWarningMsg, false);
    CedarPolicyEngine engine;
    engine.loadUserPolicies(folder);
    const QList<PolicyProblem> problems = engine.problems();
    const QStringList files = QDir(folder).entryList({QStringLiteral("*.cedar")}, QDir::Files, QDir::Name);
    int userPolicies = 0;
    for (const PolicyInfo &p : engine.policies())
        userPolicies += files.contains(p.file) ? 1 : 0;
    if (app.json()) {
        app.printJson(QJsonObject{{QStringLiteral("folder"), folder},
                                  {QStringLiteral("files"), QJsonArray::fromStringList(files)},
                                  {QStringLiteral("policies"), userPolicies},
                                  {QStringLiteral("problems"), problemsJson(problems)},
                                  {QStringLiteral("ok"), problems.isEmpty()}});
        return problems.isEmpty() ? ExitOk : ExitFailure;
    }
    const QDir dir(folder);
    for (const PolicyProblem &p : problems) {
        PolicyProblem shown = p;
        // Names as a path from here, so editors and terminals can jump to the place.
        if (files.contains(p.file))
            shown.file = dir.filePath(p.file);
        app.out() << shown.toString() << '\n';
    }
    if (problems.isEmpty()) {
        app.out() << QStringLiteral("%1: %2 file%3, %4 polic%5, no problems\n")
                             .arg(folder)
                             .arg(files.size())
                             .arg(files.size() == 1 ? QString() : QStringLiteral("s"))
                             .arg(userPolicies)
                             .arg(userPolicies == 1 ? QStringLiteral("y") : QStringLiteral("ies"));
        return ExitOk;
    }
    app.err() << QStringLiteral("spool: %1 problem%2 in %3; while any remain, Spool denies every tool call\n")
                         .arg(problems.size())
                         .arg(problems.size() == 1 ? QString() : QStringLiteral("s"))
                         .arg(folder);
    return ExitFailure;
}

int list(CliApp &app)
{
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    const QList<PolicyInfo> policies = app.engine().policies().list();
    const QList<PolicyProblem> problems = app.engine().policies().problems();
    if (app.json()) {
        QJsonArray list;
        for (const PolicyInfo &p : policies)
            list.append(p.toJson());
        app.printJson(QJsonObject{{QStringLiteral("policies"), list},
                                  {QStringLiteral("problems"), problemsJson(problems)}});
        return ExitOk;
    }
    int idWidth = 2;
    for (const PolicyInfo &p : policies)
        idWidth = qMax(idWidth, int(p.policyId.size()));
    app.out() << QStringLiteral("%1  EFFECT  ASK   FILE\n").arg(QStringLiteral("ID").leftJustified(idWidth));
    for (const PolicyInfo &p : policies) {
        app.out() << QStringLiteral("%1  %2  %3  %4:%5\n")
                             .arg(p.policyId.leftJustified(idWidth), p.effect.leftJustified(6),
                                  (p.ask ? QStringLiteral("@ask") : QStringLiteral("-")).leftJustified(4), p.file)
                             .arg(p.line);
    }
    for (const PolicyProblem &p : problems)
        app.err() << QStringLiteral("spool: problem: %1\n").arg(p.toString());
    if (!problems.isEmpty())
        app.err() << QStringLiteral("spool: files with problems are not loaded, and every tool call is "
                                    "denied until they are fixed\n");
    return ExitOk;
}

} // namespace

int runPolicy(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption tool(QStringLiteral("tool"), QStringLiteral("explain: the tool's name."),
                                  QStringLiteral("NAME"));
    const QCommandLineOption args(QStringLiteral("args"),
                                  QStringLiteral("explain: the call's arguments, a JSON object."),
                                  QStringLiteral("JSON"), QStringLiteral("{}"));
    const QCommandLineOption session(QStringLiteral("session"),
                                     QStringLiteral("explain: ask as in this session (key or id)."),
                                     QStringLiteral("SESSION"));
    parser.addOptions({tool, args, session});
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("test, explain, check or list"));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(0);
    const QStringList rest = positional.mid(1);
    if (action != QLatin1String("explain")
        && (parser.isSet(tool) || parser.isSet(args) || parser.isSet(session)))
        return app.usageError(QStringLiteral("--tool, --args and --session belong to policy explain"), kUsage);

    if (action == QLatin1String("test"))
        return runTests(app, rest);
    if (action == QLatin1String("explain")) {
        if (!parser.isSet(tool))
            return app.usageError(QStringLiteral("policy explain needs --tool NAME"), kUsage);
        if (!rest.isEmpty())
            return app.usageError(QStringLiteral("policy explain takes no other arguments"), kUsage);
        return explain(app, parser.value(tool), parser.value(args), parser.value(session));
    }
    if (action == QLatin1String("check")) {
        if (rest.size() > 1)
            return app.usageError(QStringLiteral("policy check takes at most one folder"), kUsage);
        return check(app, rest.value(0));
    }
    if (action == QLatin1String("list")) {
        if (!rest.isEmpty())
            return app.usageError(QStringLiteral("policy list takes no arguments"), kUsage);
        return list(app);
    }
    if (action.isEmpty())
        return app.usageError(QStringLiteral("policy needs an action: test, explain, check or list"), kUsage);
    return app.usageError(QStringLiteral("unknown policy action \"%1\"").arg(action), kUsage);
}

} // namespace Spool::Cli
