#include "cli/cliapp.h"

#include <QDateTime>
#include <QJsonObject>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral("spool status [--check] [--json]");

QString joinCounts(const QMap<QString, qint64> &map)
{
    QStringList parts;
    for (auto it = map.constBegin(); it != map.constEnd(); ++it)
        parts.append(QStringLiteral("%1 %2").arg(it.value()).arg(it.key()));
    return parts.isEmpty() ? QStringLiteral("none") : parts.join(QStringLiteral(", "));
}

} // namespace

int runStatus(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption check(QStringLiteral("check"),
                                   QStringLiteral("Run the journal's integrity check too."));
    parser.addOption(check);
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    if (!parser.positionalArguments().isEmpty())
        return app.usageError(QStringLiteral("status takes no arguments"), kUsage);
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    const bool deep = parser.isSet(check);
    const GatewayStatus st = app.engine().status(deep);
    if (app.json()) {
        app.printJson(st.toJson());
    } else {
        QTextStream &out = app.out();
        out << QStringLiteral("Journal    %1\n").arg(st.journal.path);
        QString check = st.journal.check;
        if (check == QLatin1String("not checked") && st.journal.lastFullCheckMs > 0)
            check = QStringLiteral("last in full %1 (--check to check now)")
                            .arg(QDateTime::fromMSecsSinceEpoch(st.journal.lastFullCheckMs)
                                         .toString(QStringLiteral("yyyy-MM-dd HH:mm")));
        out << QStringLiteral("           %1 KiB (+%2 KiB WAL), schema %3, %4 tape events, check: %5\n")
                        .arg(st.journal.fileBytes / 1024)
                        .arg(st.journal.walBytes / 1024)
                        .arg(st.journal.schemaVersion)
                        .arg(st.journal.tapeEvents)
                        .arg(check);
        out << QStringLiteral("Sessions   %1 live\n").arg(st.sessions);
        out << QStringLiteral("Runs       %1\n").arg(joinCounts(st.runsByState));
        out << QStringLiteral("Approvals  %1\n").arg(joinCounts(st.approvalsByStatus));
        out << QStringLiteral("Providers  %1\n").arg(st.providers.join(QStringLiteral(", ")));
        out << QStringLiteral("Tools      %1\n").arg(st.tools.join(QStringLiteral(", ")));
        out << QStringLiteral("Policy     %1: %2 policies, %3 active grants; your policies in %4\n")
                        .arg(st.policyEngine)
                        .arg(st.policyCount)
                        .arg(st.activeGrants)
                        .arg(st.policyFolder);
        if (!st.policyProblems.isEmpty()) {
            out << QStringLiteral("           PROBLEMS: every tool call is denied until they are fixed\n");
            for (const PolicyProblem &p : st.policyProblems)
                out << QStringLiteral("           %1\n").arg(p.toString());
        }
    }
    if (deep && st.journal.check != QLatin1String("ok"))
        return ExitJournal;
    return ExitOk;
}

} // namespace Spool::Cli
