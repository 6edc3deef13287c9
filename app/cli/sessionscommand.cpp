#include "cli/cliapp.h"

#include <QJsonArray>
#include <QJsonObject>

#include <unistd.h>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool sessions list [--archived | --all] [--search TEXT] [--limit N]\n"
        "       spool sessions show|archive|restore|reset SESSION\n"
        "       spool sessions rename SESSION TITLE...\n"
        "       spool sessions delete SESSION [--yes]\n"
        "       spool sessions fork SESSION [--at RUN]   (a new session continuing from RUN; default: the last)\n"
        "       spool sessions model SESSION [MODEL]   (\"\" goes back to the agent's model)\n"
        "       spool sessions workspace SESSION [DIR] (\"\" goes back to the default folder)\n"
        "SESSION is an id, a unique id prefix, or a key.");

void printSessionLine(CliApp &app, const SessionInfo &s)
{
    app.out() << QStringLiteral("%1  %2  %3  %4 run%5  %6\n")
                         .arg(s.id, (s.key.isEmpty() ? QStringLiteral("-") : s.key).leftJustified(16),
                              formatTime(s.lastActivityAt))
                         .arg(s.runCount)
                         .arg(s.runCount == 1 ? QString() : QStringLiteral("s"))
                         .arg(s.title.isEmpty() ? QStringLiteral("(untitled)") : s.title);
}

int printSession(CliApp &app, const Result<SessionInfo> &s, const QString &verb)
{
    if (!s)
        return app.fail(s.error());
    if (app.json()) {
        app.printJson(s->toJson());
    } else if (!verb.isEmpty()) {
        app.out() << QStringLiteral("%1 session %2%3\n")
                             .arg(verb, s->id,
                                  s->key.isEmpty() ? QString() : QStringLiteral(" (") + s->key + QLatin1Char(')'));
    }
    return ExitOk;
}

int showSession(CliApp &app, const QString &which)
{
    auto s = app.engine().sessions().find(which);
    if (!s)
        return app.fail(s.error());
    const QString id = s->id;
    auto runs = app.withEngine([id](Engine &g) {
        RunFilter f;
        f.sessionId = id;
        f.newestFirst = false;
        return g.runs(f);
    });
    if (!runs)
        return app.fail(runs.error());
    if (app.json()) {
        QJsonObject o = s->toJson();
        QJsonArray list;
        for (const RunInfo &r : *runs)
            list.append(r.toJson());
        o.insert(QStringLiteral("run_list"), list);
        app.printJson(o);
        return ExitOk;
    }
    QTextStream &out = app.out();
    out << QStringLiteral("Session  %1\n").arg(s->id);
    out << QStringLiteral("Key      %1\n").arg(s->key.isEmpty() ? QStringLiteral("-") : s->key);
    out << QStringLiteral("Title    %1 (%2)\n").arg(s->title, s->titleSource);
    out << QStringLiteral("Agent    %1%2\n")
                    .arg(s->agent, s->model.isEmpty() ? QString() : QStringLiteral(", model ") + s->model);
    out << QStringLiteral("Owner    %1 on device %2\n").arg(s->principal, s->deviceId);
    out << QStringLiteral("Created  %1\n").arg(formatTime(s->createdAt));
    out << QStringLiteral("Active   %1\n").arg(formatTime(s->lastActivityAt));
    if (s->isArchived())
        out << QStringLiteral("Archived %1\n").arg(formatTime(s->archivedAt));
    if (s->contextFloor > 0)
        out << QStringLiteral("Reset    after run %1: earlier runs are not given to the model\n")
                        .arg(s->contextFloor);
    out << QStringLiteral("Runs     %1\n").arg(runs->size());
    for (const RunInfo &r : *runs) {
        out << QStringLiteral("  #%1 %2  %3  %4  %5\n")
                        .arg(r.ordinal)
                        .arg(r.id, runStateName(r.state).leftJustified(9), formatTime(r.createdAt),
                             r.inputPreview);
    }
    return ExitOk;
}

// Shows the model a session's runs use, or sets it (an empty MODEL goes back to the agent's).
int sessionModel(CliApp &app, const QString &which, const QStringList &args)
{
    Result<SessionInfo> s = args.size() > 2
            ? app.withEngine([which, model = args.at(2)](Engine &g) {
                  return g.sessions().setModel(which, model);
              })
            : app.engine().sessions().find(which);
    if (!s)
        return app.fail(s.error());
    const QString agentName = s->agent;
    auto agent = app.engine().agents().get(agentName);
    const QString agentModel = agent ? agent->model : QString();
    const QString provider = agent ? agent->provider : QString();
    const QString effective = s->model.isEmpty() ? agentModel : s->model;
    if (app.json()) {
        QJsonObject o = s->toJson();
        o.insert(QStringLiteral("effective_model"), effective);
        o.insert(QStringLiteral("provider"), provider);
        app.printJson(o);
        return ExitOk;
    }
    app.out() << QStringLiteral("session %1 uses %2 on %3%4\n")
                         .arg(s->id, effective, provider,
                              s->model.isEmpty() ? QStringLiteral(" (the agent's model)")
                                                 : QString());
    return ExitOk;
}

} // namespace

int runSessions(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption archived(QStringLiteral("archived"), QStringLiteral("Only archived sessions."));
    const QCommandLineOption all(QStringLiteral("all"), QStringLiteral("Live and archived sessions."));
    const QCommandLineOption search(QStringLiteral("search"),
                                    QStringLiteral("Full-text search over messages, titles, keys."),
                                    QStringLiteral("TEXT"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("At most N sessions."),
                                   QStringLiteral("N"));
    const QCommandLineOption yes(QStringLiteral("yes"), QStringLiteral("Delete without asking."));
    const QCommandLineOption at(QStringLiteral("at"), QStringLiteral("fork: the last run the fork keeps."),
                                QStringLiteral("RUN"));
    parser.addOptions({archived, all, search, limit, yes, at});
    parser.addPositionalArgument(QStringLiteral("action"),
                                 QStringLiteral("list, show, rename, archive, restore, delete, reset, model, workspace, fork"));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    const QStringList args = parser.positionalArguments();
    const QString action = args.value(0, QStringLiteral("list"));
    static const QStringList actions{QStringLiteral("list"),    QStringLiteral("show"),
                                     QStringLiteral("rename"),  QStringLiteral("archive"),
                                     QStringLiteral("restore"), QStringLiteral("delete"),
                                     QStringLiteral("reset"),   QStringLiteral("model"),
                                     QStringLiteral("workspace"), QStringLiteral("fork")};
    if (!actions.contains(action))
        return app.usageError(QStringLiteral("unknown sessions action \"%1\"").arg(action), kUsage);
    if (action != QLatin1String("list") && args.size() < 2)
        return app.usageError(QStringLiteral("sessions %1 needs a session").arg(action), kUsage);
    if (action == QLatin1String("rename") && args.size() < 3)
        return app.usageError(QStringLiteral("sessions rename needs a title"), kUsage);
    bool limitOk = true;
    const int max = parser.isSet(limit) ? parser.value(limit).toInt(&limitOk) : -1;
    if (!limitOk || (parser.isSet(limit) && max < 0))
        return app.usageError(QStringLiteral("--limit needs a number"), kUsage);
    if (action == QLatin1String("delete") && !parser.isSet(yes) && !::isatty(STDIN_FILENO))
        return app.usageError(QStringLiteral("sessions delete needs --yes when not on a terminal"),
                              kUsage);

    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    const QString which = args.value(1);

    if (action == QLatin1String("list")) {
        SessionFilter filter;
        filter.archived = parser.isSet(all)        ? SessionFilter::Archived::Include
                : parser.isSet(archived)           ? SessionFilter::Archived::Only
                                                   : SessionFilter::Archived::Exclude;
        filter.search = parser.value(search);
        filter.limit = max;
        auto list = app.engine().sessions().list(filter);
        if (!list)
            return app.fail(list.error());
        if (app.json()) {
            QJsonArray out;
            for (const SessionInfo &s : *list)
                out.append(s.toJson());
            app.printJson(out);
        } else if (list->isEmpty()) {
            app.err() << QStringLiteral("no sessions\n");
        } else {
            for (const SessionInfo &s : *list)
                printSessionLine(app, s);
        }
        return ExitOk;
    }
    if (action == QLatin1String("show"))
        return showSession(app, which);
    if (action == QLatin1String("rename")) {
        const QString title = args.mid(2).join(QLatin1Char(' '));
        return printSession(app, app.engine().sessions().rename(which, title),
                            QStringLiteral("renamed"));
    }
    if (action == QLatin1String("archive"))
        return printSession(app, app.engine().sessions().archive(which),
                            QStringLiteral("archived"));
    if (action == QLatin1String("restore"))
        return printSession(app, app.engine().sessions().restore(which),
                            QStringLiteral("restored"));
    if (action == QLatin1String("model"))
        return sessionModel(app, which, args);
    if (action == QLatin1String("workspace")) {
        // Shows the folder the session's tools work in, or sets it ("" restores the default).
        if (args.size() >= 3) {
            const QString folder = args.at(2);
            auto set = app.engine().sessions().setWorkspace(which, folder);
            if (!set)
                return app.fail(set.error());
        }
        auto shown = app.withEngine([which](Engine &g) -> Result<std::pair<SessionInfo, QString>> {
            auto s = g.sessions().find(which);
            if (!s)
                return s.error();
            return std::make_pair(*s, g.sessions().effectiveWorkspace(*s));
        });
        if (!shown)
            return app.fail(shown.error());
        if (app.json()) {
            QJsonObject o = shown->first.toJson();
            o.insert(QStringLiteral("effective_workspace"), shown->second);
            app.printJson(o);
        } else {
            app.out() << QStringLiteral("%1%2\n").arg(shown->second,
                                                      shown->first.workspace.isEmpty() ? QStringLiteral(" (default)") : QString());
        }
        return ExitOk;
    }
    if (action == QLatin1String("reset"))
        return printSession(app, app.engine().sessions().reset(which),
                            QStringLiteral("reset"));
    if (action == QLatin1String("fork"))
        return printSession(app, app.engine().sessions().fork(which, parser.value(at)),
                            QStringLiteral("forked into"));

    // delete
    auto target = app.engine().sessions().find(which);
    if (!target)
        return app.fail(target.error());
    if (!parser.isSet(yes)) {
        app.err() << QStringLiteral("Delete session %1 \"%2\" with its %3 run(s) and their tape? "
                                    "This cannot be undone. [y/N] ")
                             .arg(target->id, target->displayName())
                             .arg(target->runCount);
        app.err().flush();
        QTextStream in(stdin);
        const QString answer = in.readLine().trimmed().toLower();
        if (answer != QLatin1String("y") && answer != QLatin1String("yes")) {
            app.err() << QStringLiteral("not deleted\n");
            return ExitFailure;
        }
    }
    const QString id = target->id;
    Status s = app.engine().sessions().remove(id);
    if (!s)
        return app.fail(s.error());
    if (app.json())
        app.printJson(QJsonObject{{QStringLiteral("deleted"), id}});
    else
        app.out() << QStringLiteral("deleted session %1\n").arg(id);
    return ExitOk;
}

} // namespace Spool::Cli
