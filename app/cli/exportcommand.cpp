#include "attachments/exportreport.h"
#include "attachments/exportrequest.h"
#include "attachments/importreport.h"
#include "cli/cliapp.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>

namespace Spool::Cli {

namespace {

const QString kExportUsage = QStringLiteral(
        "spool export SESSION... | --all  [--format md|json] [--output PATH]\n"
        "  Markdown puts the attached files in PATH's folder (<name>.files/); JSON holds everything\n"
        "  (docs/export.schema.json). Without --output the export goes to stdout.");
const QString kImportUsage = QStringLiteral("spool import FILE   (a JSON export; its sessions are added as new sessions)");

} // namespace

int runExport(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption all(QStringLiteral("all"), QStringLiteral("Every session, archived ones too."));
    const QCommandLineOption format(QStringLiteral("format"), QStringLiteral("md or json (default)."),
                                    QStringLiteral("FORMAT"), QStringLiteral("json"));
    const QCommandLineOption output(QStringLiteral("output"), QStringLiteral("The file to write."),
                                    QStringLiteral("PATH"));
    parser.addOptions({all, format, output});
    parser.addPositionalArgument(QStringLiteral("session"), QStringLiteral("Sessions (id, prefix or key)."),
                                 QStringLiteral("SESSION..."));
    if (auto rc = app.parse(parser, arguments, kExportUsage))
        return *rc;
    ExportRequest request;
    request.all = parser.isSet(all);
    request.sessions = parser.positionalArguments();
    request.path = parser.value(output);
    if (!ExportRequest::parseFormat(parser.value(format), &request.format))
        return app.usageError(QStringLiteral("unknown format \"%1\"").arg(parser.value(format)), kExportUsage);
    if (request.all == !request.sessions.isEmpty())
        return app.usageError(QStringLiteral("name the sessions to export, or --all"), kExportUsage);
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    Result<ExportReport> report = ExportReport{};
    if (request.path.isEmpty()) {
        app.out().flush();
        QFile out;
        if (!out.open(stdout, QIODevice::WriteOnly))
            return app.fail(makeError(ErrorCode::InvalidArgument, QStringLiteral("cannot write to stdout")));
        report = app.engine().sessions().exportSessions(request, &out);
        out.flush();
    } else {
        report = app.engine().sessions().exportSessions(request);
    }
    if (!report)
        return app.fail(report.error());
    if (request.path.isEmpty())
        return ExitOk;
    if (app.json()) {
        app.printJson(QJsonObject{{QStringLiteral("path"), report->path},
                                  {QStringLiteral("files"), QJsonArray::fromStringList(report->files)},
                                  {QStringLiteral("sessions"), report->sessions},
                                  {QStringLiteral("runs"), report->runs},
                                  {QStringLiteral("events"), report->events},
                                  {QStringLiteral("attachments"), report->attachments},
                                  {QStringLiteral("bytes"), report->bytes}});
    } else {
        app.out() << QStringLiteral("exported %1 session(s), %2 run(s), %3 attachment(s) to %4\n")
                             .arg(report->sessions)
                             .arg(report->runs)
                             .arg(report->attachments)
                             .arg(report->path);
    }
    return ExitOk;
}

int runImport(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("A JSON export."), QStringLiteral("FILE"));
    if (auto rc = app.parse(parser, arguments, kImportUsage))
        return *rc;
    if (parser.positionalArguments().size() != 1)
        return app.usageError(QStringLiteral("import takes one file"), kImportUsage);
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    auto report = app.engine().sessions().importSessions(parser.positionalArguments().constFirst());
    if (!report)
        return app.fail(report.error());
    if (app.json()) {
        app.printJson(QJsonObject{{QStringLiteral("sessions"), QJsonArray::fromStringList(report->sessionIds)},
                                  {QStringLiteral("runs"), report->runs},
                                  {QStringLiteral("events"), report->events},
                                  {QStringLiteral("attachments"), report->attachments}});
    } else {
        app.out() << QStringLiteral("imported %1 session(s) with %2 run(s) and %3 attachment(s): %4\n")
                             .arg(report->sessionIds.size())
                             .arg(report->runs)
                             .arg(report->attachments)
                             .arg(report->sessionIds.join(QStringLiteral(", ")));
    }
    return ExitOk;
}

} // namespace Spool::Cli
