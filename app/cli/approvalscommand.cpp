#include "cli/cliapp.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool approvals list [--all]\n"
        "       spool approvals decide APPROVAL allow|deny [--scope once|session]\n"
        "APPROVAL is an approval id or a unique prefix of one.");

} // namespace

int runApprovals(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption all(QStringLiteral("all"), QStringLiteral("Decided approvals too."));
    const QCommandLineOption scope(QStringLiteral("scope"),
                                   QStringLiteral("once (default) or session: allow this tool for "
                                                  "the rest of the session."),
                                   QStringLiteral("SCOPE"), QStringLiteral("once"));
    parser.addOptions({all, scope});
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("list or decide"));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    const QStringList args = parser.positionalArguments();
    const QString action = args.value(0, QStringLiteral("list"));
    if (action != QLatin1String("list") && action != QLatin1String("decide"))
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
        if (!parsedScope || *parsedScope == ApprovalScope::Always)
            return app.usageError(QStringLiteral("--scope must be once or session"), kUsage);
    }

    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;

    if (action == QLatin1String("list")) {
        ApprovalFilter filter;
        filter.pendingOnly = !parser.isSet(all);
        filter.limit = parser.isSet(all) ? 100 : -1;
        auto list = app.ask([filter](Gateway &g) { return g.approvals(filter); });
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
                                      QString::fromUtf8(QJsonDocument(a.arguments).toJson(QJsonDocument::Compact)));
        }
        return ExitOk;
    }

    const QString which = args.at(1);
    const ApprovalScope chosen = *parsedScope;
    auto decided = app.ask([which, allow, chosen](Gateway &g) {
        return g.decideApproval(which, allow, chosen, QStringLiteral("cli"));
    });
    if (!decided)
        return app.fail(decided.error());
    if (app.json())
        app.printJson(decided->toJson());
    else
        app.out() << QStringLiteral("%1 %2 (%3)\n")
                             .arg(allow ? QStringLiteral("allowed") : QStringLiteral("denied"),
                                  decided->id, approvalScopeName(chosen));
    return ExitOk;
}

} // namespace Spool::Cli
