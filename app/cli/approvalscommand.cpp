#include "cli/cliapp.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool approvals list [--all]\n"
        "       spool approvals decide APPROVAL allow|deny [--scope once|session|always]\n"
        "       spool approvals grants [--all]\n"
        "       spool approvals revoke GRANT\n"
        "APPROVAL and GRANT are ids or unique prefixes of one.");

QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

int listGrants(CliApp &app, bool all)
{
    auto grants = app.engine().policies().grants(all);
    if (!grants)
        return app.fail(grants.error());
    if (app.json()) {
        QJsonArray out;
        for (const PolicyGrant &g : *grants)
            out.append(g.toJson());
        app.printJson(out);
        return ExitOk;
    }
    if (grants->isEmpty()) {
        app.err() << (all ? QStringLiteral("no grants\n") : QStringLiteral("no active grants\n"));
        return ExitOk;
    }
    for (const PolicyGrant &g : *grants) {
        const QString state = g.isActive()
                ? QStringLiteral("active")
                : QStringLiteral("revoked %1 by %2").arg(formatTime(g.revokedAt), g.revokedBy);
        app.out() << QStringLiteral("%1  %2  %3  for %4  by %5 %6  (%7)\n")
                             .arg(g.id, g.tool, state, g.principal, g.createdBy,
                                  formatTime(g.createdAt),
                                  g.sourceApprovalId.isEmpty() ? QStringLiteral("no approval")
                                                               : QStringLiteral("approval ") + g.sourceApprovalId);
        app.out() << QStringLiteral("    arguments %1").arg(compact(g.constraints.value(QStringLiteral("arguments")).toObject()));
        const QJsonArray absent = g.constraints.value(QStringLiteral("absent")).toArray();
        if (!absent.isEmpty()) {
            QStringList names;
            for (const QJsonValue &v : absent)
                names.append(v.toString());
            app.out() << QStringLiteral(", without %1").arg(names.join(QStringLiteral(", ")));
        }
        app.out() << '\n';
    }
    return ExitOk;
}

} // namespace

int runApprovals(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption all(QStringLiteral("all"),
                                 QStringLiteral("list: decided approvals too; grants: revoked grants too."));
    const QCommandLineOption scope(QStringLiteral("scope"),
                                   QStringLiteral("once (default); session: allow this tool for the "
                                                  "rest of the session; always: allow exactly this "
                                                  "call from now on (a stored grant)."),
                                   QStringLiteral("SCOPE"), QStringLiteral("once"));
    parser.addOptions({all, scope});
    parser.addPositionalArgument(QStringLiteral("action"),
                                 QStringLiteral("list, decide, grants or revoke"));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    const QStringList args = parser.positionalArguments();
    const QString action = args.value(0, QStringLiteral("list"));
    static const QStringList actions{QStringLiteral("list"), QStringLiteral("decide"),
                                     QStringLiteral("grants"), QStringLiteral("revoke")};
    if (!actions.contains(action))
        return app.usageError(QStringLiteral("unknown approvals action \"%1\"").arg(action), kUsage);

    std::optional<ApprovalScope> parsedScope = parseApprovalScope(parser.value(scope));
    bool allow = false;
    if (action == QLatin1String("decide")) {
        if (args.size() != 3)
            return app.usageError(QStringLiteral("approvals decide needs an id and allow or deny"), kUsage);
        const QString verdict = args.at(2).toLower();
        if (verdict != QLatin1String("allow") && verdict != QLatin1String("deny"))
            return app.usageError(QStringLiteral("the decision must be allow or deny, not \"%1\"")
                                          .arg(args.at(2)),
                                  kUsage);
        allow = verdict == QLatin1String("allow");
        if (!parsedScope)
            return app.usageError(QStringLiteral("--scope must be once, session or always"), kUsage);
        if (!allow && *parsedScope == ApprovalScope::Always)
            return app.usageError(QStringLiteral("deny has no --scope always; to deny a call for "
                                                 "good, write a forbid policy (spool policy)"),
                                  kUsage);
    }
    if (action == QLatin1String("revoke") && args.size() != 2)
        return app.usageError(QStringLiteral("approvals revoke needs a grant id"), kUsage);
    if ((action == QLatin1String("list") || action == QLatin1String("grants")) && args.size() > 1)
        return app.usageError(QStringLiteral("approvals %1 takes no arguments").arg(action), kUsage);

    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;

    if (action == QLatin1String("grants"))
        return listGrants(app, parser.isSet(all));

    if (action == QLatin1String("revoke")) {
        const QString which = args.at(1);
        auto revoked = app.engine().policies().revokeGrant(which, QStringLiteral("cli"));
        if (!revoked)
            return app.fail(revoked.error());
        if (app.json())
            app.printJson(revoked->toJson());
        else
            app.out() << QStringLiteral("revoked %1 (%2 %3); such calls ask again\n")
                                 .arg(revoked->id, revoked->tool,
                                      compact(revoked->constraints.value(QStringLiteral("arguments")).toObject()));
        return ExitOk;
    }

    if (action == QLatin1String("list")) {
        ApprovalFilter filter;
        filter.pendingOnly = !parser.isSet(all);
        filter.limit = parser.isSet(all) ? 100 : -1;
        auto list = app.engine().approvals(filter);
        if (!list)
            return app.fail(list.error());
        if (app.json()) {
            QJsonArray out;
            for (const PendingToolApproval &a : *list)
                out.append(a.toJson());
            app.printJson(out);
            return ExitOk;
        }
        if (list->isEmpty()) {
            app.err() << (filter.pendingOnly ? QStringLiteral("no pending approvals\n")
                                             : QStringLiteral("no approvals\n"));
            return ExitOk;
        }
        for (const PendingToolApproval &a : *list) {
            app.out() << QStringLiteral("%1  %2  %3  risk %4  run %5  expires %6\n    %7\n")
                                 .arg(a.id, approvalStatusName(a.status).leftJustified(9),
                                      a.tool, a.risk, a.runId, formatTime(a.expiresAt),
                                      compact(a.arguments));
        }
        return ExitOk;
    }

    const QString which = args.at(1);
    const ApprovalScope chosen = *parsedScope;
    auto decided = app.withEngine([which, allow, chosen](Engine &g) {
        return g.decideApproval(which, allow, chosen, QStringLiteral("cli"));
    });
    if (!decided)
        return app.fail(decided.error());
    if (app.json()) {
        app.printJson(decided->toJson());
    } else {
        app.out() << QStringLiteral("%1 %2 (%3%4)\n")
                             .arg(allow ? QStringLiteral("allowed") : QStringLiteral("denied"),
                                  decided->id, approvalScopeName(chosen),
                                  decided->grantId.isEmpty() ? QString()
                                                             : QStringLiteral(", grant ") + decided->grantId);
    }
    return ExitOk;
}

} // namespace Spool::Cli
