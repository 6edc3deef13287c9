#include "cli/chatsession.h"
#include "cli/cliapp.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>

#include <unistd.h>

namespace Spool::Cli {

namespace {

const QString kRunsUsage = QStringLiteral(
        "spool runs list [--active] [--session SESSION] [--limit N]\n"
        "       spool runs show RUN\n"
        "       spool runs cancel RUN [--no-wait]\n"
        "       spool runs retry RUN [--approve | --deny]\n"
        "       spool runs adopt RUN [--approve | --deny]\n"
        "RUN is a run id or a unique prefix of one.");
const QString kTapeUsage = QStringLiteral("spool tape RUN [--kind KIND]... [--follow] [--json]");

void printRunLine(CliApp &app, const RunInfo &r)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    app.out() << QStringLiteral("%1  %2  %3  %4  %5  %6\n")
                         .arg(r.id, runStateName(r.state).leftJustified(9), formatTime(r.createdAt),
                              formatDuration(r.durationMs(now)).rightJustified(9), r.sessionId,
                              r.inputPreview);
}

void printRun(CliApp &app, const RunInfo &r)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QTextStream &out = app.out();
    out << QStringLiteral("Run       %1\n").arg(r.id);
    out << QStringLiteral("Session   %1 (run #%2)\n").arg(r.sessionId).arg(r.ordinal);
    out << QStringLiteral("State     %1 (%2)\n").arg(runStateName(r.state), r.reason);
    if (!r.detail.isEmpty())
        out << QStringLiteral("Detail    %1\n").arg(r.detail);
    out << QStringLiteral("Agent     %1 on %2/%3\n").arg(r.agent, r.provider, r.model);
    out << QStringLiteral("Created   %1\n").arg(formatTime(r.createdAt));
    out << QStringLiteral("Duration  %1\n").arg(formatDuration(r.durationMs(now)));
    out << QStringLiteral("Tokens    %1 prompt, %2 completion\n").arg(r.promptTokens).arg(r.completionTokens);
    out << QStringLiteral("Input     %1\n").arg(r.inputPreview);
    if (r.cancelRequestedAt)
        out << QStringLiteral("Cancel    requested %1\n").arg(formatTime(r.cancelRequestedAt));
}

} // namespace

int runRuns(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption active(QStringLiteral("active"), QStringLiteral("Only runs in progress."));
    const QCommandLineOption session(QStringLiteral("session"), QStringLiteral("Only this session's runs."),
                                     QStringLiteral("SESSION"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("At most N runs (default 20)."),
                                   QStringLiteral("N"), QStringLiteral("20"));
    const QCommandLineOption noWait(QStringLiteral("no-wait"),
                                    QStringLiteral("Do not wait for the run to stop."));
    const QCommandLineOption approve(QStringLiteral("approve"),
                                     QStringLiteral("retry, adopt: allow every call that asks, once."));
    const QCommandLineOption deny(QStringLiteral("deny"),
                                  QStringLiteral("retry, adopt: deny every call that asks."));
    parser.addOptions({active, session, limit, noWait, approve, deny});
    parser.addPositionalArgument(QStringLiteral("action"),
                                 QStringLiteral("list, show, cancel, retry or adopt"));
    if (auto rc = app.parse(parser, arguments, kRunsUsage))
        return *rc;
    const QStringList args = parser.positionalArguments();
    const QString action = args.value(0, QStringLiteral("list"));
    const bool carries = action == QLatin1String("retry") || action == QLatin1String("adopt");
    if (action != QLatin1String("list") && action != QLatin1String("show")
        && action != QLatin1String("cancel") && !carries)
        return app.usageError(QStringLiteral("unknown runs action \"%1\"").arg(action), kRunsUsage);
    if (action != QLatin1String("list") && args.size() < 2)
        return app.usageError(QStringLiteral("runs %1 needs a run id").arg(action), kRunsUsage);
    bool limitOk = false;
    const int max = parser.value(limit).toInt(&limitOk);
    if (!limitOk || max < 0)
        return app.usageError(QStringLiteral("--limit needs a number"), kRunsUsage);
    if (parser.isSet(approve) && parser.isSet(deny))
        return app.usageError(QStringLiteral("--approve and --deny exclude each other"), kRunsUsage);

    if (carries) {
        // The run goes on in this process, shown as `spool chat` shows one, until it ends.
        if (int rc = app.openEngine(); rc != ExitOk)
            return rc;
        const QString which = args.at(1);
        const ApprovalAnswer answer = parser.isSet(approve) ? ApprovalAnswer::Approve
                : parser.isSet(deny)                        ? ApprovalAnswer::Deny
                                                            : ApprovalAnswer::Ask;
        ChatSession chat(app, answer, ::isatty(STDIN_FILENO));
        const bool retry = action == QLatin1String("retry");
        return chat.exec([which, retry](Engine &g) { return retry ? g.retryRun(which) : g.adoptRun(which); });
    }

    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;

    if (action == QLatin1String("list")) {
        RunFilter filter;
        filter.activeOnly = parser.isSet(active);
        filter.limit = max;
        const QString sessionName = parser.value(session);
        auto list = app.withEngine([filter, sessionName](Engine &g) mutable -> Result<QList<RunInfo>> {
            if (!sessionName.isEmpty()) {
                auto s = g.sessions().find(sessionName);
                if (!s)
                    return s.error();
                filter.sessionId = s->id;
            }
            return g.runs(filter);
        });
        if (!list)
            return app.fail(list.error());
        if (app.json()) {
            QJsonArray out;
            for (const RunInfo &r : *list)
                out.append(r.toJson());
            app.printJson(out);
        } else if (list->isEmpty()) {
            app.err() << (filter.activeOnly ? QStringLiteral("no active runs\n") : QStringLiteral("no runs\n"));
        } else {
            for (const RunInfo &r : *list)
                printRunLine(app, r);
        }
        return ExitOk;
    }

    const QString which = args.at(1);
    if (action == QLatin1String("show")) {
        auto r = app.engine().run(which);
        if (!r)
            return app.fail(r.error());
        if (app.json())
            app.printJson(r->toJson());
        else
            printRun(app, *r);
        return ExitOk;
    }

    // cancel: this process asks; the owner (this one or another) stops the run.
    auto r = app.engine().cancelRun(which, QStringLiteral("cli"));
    if (!r)
        return app.fail(r.error());
    RunInfo run = *r;
    if (!parser.isSet(noWait)) {
        const QString id = run.id;
        app.waitUntil(
                [&] {
                    if (auto again = app.engine().run(id))
                        run = *again;
                    return run.isTerminal();
                },
                5000);
    }
    if (app.json()) {
        app.printJson(run.toJson());
    } else if (run.isTerminal()) {
        app.out() << QStringLiteral("run %1 %2 (%3)\n").arg(run.id, runStateName(run.state), run.reason);
    } else {
        app.out() << QStringLiteral("cancel requested for run %1; its process has not stopped it yet\n")
                             .arg(run.id);
    }
    if (parser.isSet(noWait) || run.state == RunState::Cancelled)
        return ExitOk;
    return run.isTerminal() ? ExitConflict : ExitFailure;
}

int runTape(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption kind(QStringLiteral("kind"), QStringLiteral("Only events of this kind (repeatable)."),
                                  QStringLiteral("KIND"));
    const QCommandLineOption follow(QStringLiteral("follow"),
                                    QStringLiteral("Keep printing new events until the run ends."));
    parser.addOptions({kind, follow});
    parser.addPositionalArgument(QStringLiteral("run"), QStringLiteral("Run id or unique prefix."));
    if (auto rc = app.parse(parser, arguments, kTapeUsage))
        return *rc;
    if (parser.positionalArguments().size() != 1)
        return app.usageError(QStringLiteral("tape needs exactly one run id"), kTapeUsage);
    const QStringList kinds = parser.values(kind);
    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;

    const QString which = parser.positionalArguments().constFirst();
    auto run = app.engine().run(which);
    if (!run)
        return app.fail(run.error());
    const QString id = run->id;
    if (!app.json()) {
        app.out() << QStringLiteral("run %1 · session %2 · %3 (%4)\n")
                             .arg(id, run->sessionId, runStateName(run->state), run->reason);
    }
    qint64 next = 1;
    qint64 previousAt = 0;
    Status problem;
    // Prints what the tape has after `next`; true once there is nothing more to wait for.
    auto printNew = [&]() -> bool {
        // The run's state first: events written before it ended are then all on the tape.
        auto now = app.engine().run(id);
        if (!now) {
            problem = now.error();
            return true;
        }
        while (true) {
            auto events = app.engine().inspection().tape(id, next, 5000);
            if (!events) {
                problem = events.error();
                return true;
            }
            for (const TapeEvent &e : std::as_const(*events)) {
                next = e.seq + 1;
                const qint64 delta = previousAt ? e.createdAt - previousAt : 0;
                previousAt = e.createdAt;
                if (!kinds.isEmpty() && !kinds.contains(e.kind))
                    continue;
                if (app.json()) {
                    app.printJson(e.toJson());
                } else {
                    app.out() << QStringLiteral("%1  %2  %3  %4  %5\n")
                                         .arg(QString::number(e.seq).rightJustified(4),
                                              QDateTime::fromMSecsSinceEpoch(e.createdAt)
                                                      .toString(QStringLiteral("HH:mm:ss.zzz")),
                                              QString(QStringLiteral("+") + formatDuration(delta)).rightJustified(10),
                                              e.kind.leftJustified(17), e.summary());
                }
            }
            app.out().flush();
            if (events->size() < 5000)
                break;
        }
        return !parser.isSet(follow) || now->isTerminal();
    };
    app.waitUntil(printNew);
    if (!problem)
        return app.fail(problem.error());
    return ExitOk;
}

} // namespace Spool::Cli
