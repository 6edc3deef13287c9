#include "cli/cliapp.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <memory>

#include <unistd.h>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool memory add TEXT... [--scope global|agent:NAME|session:KEY] [--tag T]... [--pin]\n"
        "       spool memory list [--scope SCOPE] [--source user|agent|file|run] [--tag T] [--pinned]\n"
        "                         [--filter WORDS] [--limit N]\n"
        "       spool memory search QUERY... [--limit N] [--scope SCOPE]\n"
        "       spool memory show|forget|pin|unpin ID\n"
        "       spool memory import [PATH...]   (no PATH: the folders of Settings → Memory)\n"
        "       spool memory reindex\n"
        "       spool memory status\n"
        "       spool memory embeddings PROVIDER MODEL | none\n"
        "TEXT of - reads the text from stdin.");

struct ScopeArgument
{
    MemoryScope scope = MemoryScope::Global;
    QString key;
};

// "global", "agent:NAME", "session:KEY" (a session key or id).
Result<ScopeArgument> parseScope(Engine &engine, const QString &text)
{
    ScopeArgument s;
    if (text.isEmpty() || text == QLatin1String("global"))
        return s;
    const QString kind = text.section(QLatin1Char(':'), 0, 0);
    const QString value = text.section(QLatin1Char(':'), 1);
    if (kind == QLatin1String("agent") && !value.isEmpty()) {
        auto agent = engine.agents().get(value);
        if (!agent)
            return agent.error();
        s.scope = MemoryScope::Agent;
        s.key = agent->name;
        return s;
    }
    if (kind == QLatin1String("session") && !value.isEmpty()) {
        auto session = engine.sessions().find(value);
        if (!session)
            return session.error();
        s.scope = MemoryScope::Session;
        s.key = session->id;
        return s;
    }
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("a scope is global, agent:NAME or session:KEY, not \"%1\"").arg(text));
}

QString describe(const MemoryItem &m)
{
    QString where = memorySourceName(m.source);
    if (m.source == MemorySource::File)
        where += QLatin1Char(' ') + m.sourceRef + QLatin1Char('#') + QString::number(m.chunk);
    return where;
}

void printItemLine(CliApp &app, const MemoryItem &m)
{
    app.out() << QStringLiteral("%1  %2%3  %4  %5\n")
                         .arg(QString::number(m.id).rightJustified(5), m.pinned ? QStringLiteral("* ") : QStringLiteral("  "),
                              m.scopeLabel().leftJustified(14), describe(m).left(40).leftJustified(12),
                              m.snippet(90));
}

void printItem(CliApp &app, const MemoryItem &m)
{
    QTextStream &out = app.out();
    out << QStringLiteral("Memory   %1%2\n").arg(m.id).arg(m.pinned ? QStringLiteral(" (pinned)") : QString());
    out << QStringLiteral("Scope    %1\n").arg(m.scopeLabel());
    out << QStringLiteral("Source   %1\n").arg(describe(m));
    if (!m.heading.isEmpty())
        out << QStringLiteral("Heading  %1\n").arg(m.heading);
    if (!m.runId.isEmpty())
        out << QStringLiteral("Run      %1\n").arg(m.runId);
    if (!m.tags.isEmpty())
        out << QStringLiteral("Tags     %1\n").arg(m.tags.join(QStringLiteral(", ")));
    out << QStringLiteral("Created  %1\n").arg(formatTime(m.createdAt));
    if (m.expiresAt > 0)
        out << QStringLiteral("Expires  %1\n").arg(formatTime(m.expiresAt));
    out << QStringLiteral("Vector   %1\n").arg(m.hasVector ? QStringLiteral("yes") : QStringLiteral("no"));
    out << QStringLiteral("\n%1\n").arg(m.text);
}

Result<qint64> parseId(const QString &text)
{
    bool ok = false;
    const qint64 id = text.toLongLong(&ok);
    if (!ok || id <= 0)
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("\"%1\" is not a memory id").arg(text));
    return id;
}

// Waits (the command's one event loop) until the vectors items lack are computed, or
// computing them fails; prints the progress on a terminal.
MemoryStatus waitForVectors(CliApp &app)
{
    return app.await<MemoryStatus>([&app](Engine &engine, auto reply) {
        auto connection = std::make_shared<QMetaObject::Connection>();
        auto answered = std::make_shared<bool>(false);
        const std::function<void(MemoryStatus)> answer = reply;
        const bool terminal = !app.json() && ::isatty(STDERR_FILENO);
        auto check = [&app, answer, connection, answered, terminal](const MemoryStatus &st) {
            if (*answered)
                return;
            const bool done = st.embeddingModel.isEmpty() || !st.lastError.isEmpty()
                    || (!st.indexing && st.vectors >= st.items);
            if (terminal && !st.embeddingModel.isEmpty()) {
                app.err() << QStringLiteral("\r\033[Kvectors %1/%2 (%3)").arg(st.vectors).arg(st.items).arg(st.embeddingModel);
                if (done)
                    app.err() << QStringLiteral("\r\033[K");
                app.err().flush();
            }
            if (done) {
                *answered = true;
                QObject::disconnect(*connection);
                answer(st);
            }
        };
        *connection = QObject::connect(&engine, &Engine::memoryStatusChanged, &engine, check);
        check(engine.memories().status());
    });
}

} // namespace

int runMemory(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption scope(QStringLiteral("scope"), QStringLiteral("global, agent:NAME or session:KEY."),
                                   QStringLiteral("SCOPE"));
    const QCommandLineOption tag(QStringLiteral("tag"), QStringLiteral("A tag (repeatable)."), QStringLiteral("T"));
    const QCommandLineOption pin(QStringLiteral("pin"), QStringLiteral("Pin the memory (found first)."));
    const QCommandLineOption source(QStringLiteral("source"), QStringLiteral("user, agent, file or run."),
                                    QStringLiteral("SOURCE"));
    const QCommandLineOption pinned(QStringLiteral("pinned"), QStringLiteral("Pinned memories only."));
    const QCommandLineOption filter(QStringLiteral("filter"), QStringLiteral("Words every listed memory holds."),
                                    QStringLiteral("WORDS"));
    const QCommandLineOption limit(QStringLiteral("limit"), QStringLiteral("How many at most."), QStringLiteral("N"));
    parser.addOptions({scope, tag, pin, source, pinned, filter, limit});
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("add, list, search, show, forget, pin, "
                                                                         "unpin, import, reindex or status"));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    QStringList positional = parser.positionalArguments();
    const QString action = positional.isEmpty() ? QStringLiteral("list") : positional.takeFirst();
    static const QStringList actions{QStringLiteral("add"),    QStringLiteral("list"),   QStringLiteral("search"),
                                     QStringLiteral("show"),   QStringLiteral("forget"), QStringLiteral("pin"),
                                     QStringLiteral("unpin"),  QStringLiteral("import"), QStringLiteral("reindex"),
                                     QStringLiteral("status"), QStringLiteral("embeddings")};
    if (!actions.contains(action))
        return app.usageError(QStringLiteral("unknown memory action \"%1\"").arg(action), kUsage);
    int maxResults = -1;
    if (parser.isSet(limit)) {
        bool ok = false;
        maxResults = parser.value(limit).toInt(&ok);
        if (!ok || maxResults <= 0)
            return app.usageError(QStringLiteral("--limit takes a positive number"), kUsage);
    }
    if ((action == QLatin1String("add") || action == QLatin1String("search")) && positional.isEmpty())
        return app.usageError(QStringLiteral("memory %1 needs some text").arg(action), kUsage);
    if ((action == QLatin1String("show") || action == QLatin1String("forget") || action == QLatin1String("pin")
         || action == QLatin1String("unpin"))
        && positional.size() != 1)
        return app.usageError(QStringLiteral("memory %1 needs one id").arg(action), kUsage);
    if (action == QLatin1String("embeddings") && positional != QStringList{QStringLiteral("none")}
        && positional.size() != 2)
        return app.usageError(QStringLiteral("memory embeddings needs a provider and a model, or none"), kUsage);
    std::optional<MemorySource> sourceFilter;
    if (parser.isSet(source)) {
        sourceFilter = parseMemorySource(parser.value(source));
        if (!sourceFilter)
            return app.usageError(QStringLiteral("--source is user, agent, file or run"), kUsage);
    }
    QString text;
    if (action == QLatin1String("add")) {
        if (positional == QStringList{QStringLiteral("-")}) {
            QTextStream in(stdin);
            text = in.readAll();
        } else {
            text = positional.join(QLatin1Char(' '));
        }
    }

    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    Engine &engine = app.engine();

    std::optional<ScopeArgument> scopeArgument;
    if (parser.isSet(scope)) {
        auto parsed = parseScope(engine, parser.value(scope));
        if (!parsed)
            return app.fail(parsed.error());
        scopeArgument = *parsed;
    }

    if (action == QLatin1String("add")) {
        MemoryItem item;
        item.text = text;
        item.source = MemorySource::User;
        item.scope = scopeArgument ? scopeArgument->scope : MemoryScope::Global;
        item.scopeKey = scopeArgument ? scopeArgument->key : QString();
        item.tags = parser.values(tag);
        item.pinned = parser.isSet(pin);
        auto added = engine.memories().add(item);
        if (!added)
            return app.fail(added.error());
        if (app.json())
            app.printJson(added->toJson());
        else
            app.out() << QStringLiteral("Remembered %1 (%2).\n").arg(added->id).arg(added->scopeLabel());
        // The vector is computed now, while this process runs, when a model is configured.
        if (!engine.memories().status().embeddingModel.isEmpty()) {
            const MemoryStatus st = waitForVectors(app);
            if (!st.lastError.isEmpty())
                app.err() << QStringLiteral("spool: stored, but without a vector: %1\n").arg(st.lastError);
        }
        return ExitOk;
    }

    if (action == QLatin1String("list")) {
        MemoryFilter f;
        f.text = parser.value(filter);
        if (scopeArgument) {
            f.scope = scopeArgument->scope;
            f.scopeKey = scopeArgument->key;
        }
        f.source = sourceFilter;
        f.tag = parser.value(tag);
        f.pinnedOnly = parser.isSet(pinned);
        f.limit = maxResults > 0 ? maxResults : 200;
        auto items = engine.memories().list(f);
        if (!items)
            return app.fail(items.error());
        if (app.json()) {
            QJsonArray out;
            for (const MemoryItem &m : *items)
                out.append(m.toJson());
            app.printJson(out);
        } else if (items->isEmpty()) {
            app.out() << QStringLiteral("No memories.\n");
        } else {
            for (const MemoryItem &m : *items)
                printItemLine(app, m);
        }
        return ExitOk;
    }

    if (action == QLatin1String("search")) {
        MemoryQuery q;
        q.text = positional.join(QLatin1Char(' '));
        q.limit = maxResults > 0 ? maxResults : 10;
        if (scopeArgument) {
            // What a run in that scope would see: global items, and that agent's or session's.
            if (scopeArgument->scope == MemoryScope::Agent)
                q.agent = scopeArgument->key;
            else if (scopeArgument->scope == MemoryScope::Session)
                q.sessionId = scopeArgument->key;
        } else {
            q.allScopes = true;
        }
        if (sourceFilter)
            q.sources = {*sourceFilter};
        q.tag = parser.value(tag);
        auto result = app.await<Result<MemorySearchResult>>([q](Engine &e, auto reply) {
            e.memories().search(q, reply);
        });
        if (!result)
            return app.fail(result.error());
        if (app.json()) {
            app.printJson(result->toJson());
            return ExitOk;
        }
        app.out() << QStringLiteral("%1 search%2\n")
                             .arg(result->mode, result->note.isEmpty() ? QString() : QStringLiteral(" (") + result->note + QLatin1Char(')'));
        if (result->hits.isEmpty())
            app.out() << QStringLiteral("No memories match.\n");
        for (const MemoryHit &h : result->hits) {
            app.out() << QStringLiteral("%1  %2  %3  %4\n")
                                 .arg(QString::number(h.item.id).rightJustified(5),
                                      QString::number(h.score, 'f', 3), describe(h.item).left(40).leftJustified(12),
                                      h.item.snippet(90));
        }
        return ExitOk;
    }

    if (action == QLatin1String("show") || action == QLatin1String("forget") || action == QLatin1String("pin")
        || action == QLatin1String("unpin")) {
        auto id = parseId(positional.first());
        if (!id)
            return app.fail(id.error());
        auto item = engine.memories().get(*id);
        if (!item)
            return app.fail(item.error());
        if (action == QLatin1String("show")) {
            if (app.json())
                app.printJson(item->toJson());
            else
                printItem(app, *item);
            return ExitOk;
        }
        if (action == QLatin1String("forget")) {
            if (Status s = engine.memories().remove(*id); !s)
                return app.fail(s.error());
            if (app.json())
                app.printJson(QJsonObject{{QStringLiteral("forgotten"), *id}});
            else
                app.out() << QStringLiteral("Forgot memory %1.\n").arg(*id);
            return ExitOk;
        }
        MemoryItem changed = *item;
        changed.pinned = action == QLatin1String("pin");
        auto updated = engine.memories().update(changed);
        if (!updated)
            return app.fail(updated.error());
        if (app.json())
            app.printJson(updated->toJson());
        else
            app.out() << QStringLiteral("%1 memory %2.\n").arg(changed.pinned ? QStringLiteral("Pinned") : QStringLiteral("Unpinned")).arg(*id);
        return ExitOk;
    }

    if (action == QLatin1String("import")) {
        // Without a path: the folders of the settings (Settings → Memory).
        QStringList paths = positional.isEmpty() ? engine.memorySettings().folders : QStringList();
        for (const QString &p : std::as_const(positional))
            paths.append(QFileInfo(p).absoluteFilePath());
        if (paths.isEmpty())
            return app.usageError(QStringLiteral("memory import needs a path (no folders are configured)"), kUsage);
        const bool terminal = ::isatty(STDERR_FILENO);
        auto report = app.await<MemoryImportReport>([&app, paths, terminal](Engine &e, auto reply) {
            e.memories().import(
                    paths,
                    [&app, terminal](const MemoryImportProgress &p) {
                        if (app.json())
                            return;
                        if (terminal)
                            app.err() << QStringLiteral("\r\033[Kimporting %1/%2 %3").arg(p.done + 1).arg(p.total).arg(QFileInfo(p.path).fileName());
                        else
                            app.err() << QStringLiteral("importing %1/%2 %3\n").arg(p.done + 1).arg(p.total).arg(p.path);
                        app.err().flush();
                    },
                    reply);
        });
        if (terminal && !app.json())
            app.err() << QStringLiteral("\r\033[K");
        MemoryStatus st;
        if (!engine.memories().status().embeddingModel.isEmpty())
            st = waitForVectors(app);
        if (app.json()) {
            QJsonObject o = report.toJson();
            o.insert(QStringLiteral("status"), engine.memories().status().toJson());
            app.printJson(o);
        } else {
            app.out() << QStringLiteral("Imported %1 file%2 (%3 passages); %4 unchanged, %5 removed, %6 failed.\n")
                                 .arg(report.imported)
                                 .arg(report.imported == 1 ? QString() : QStringLiteral("s"))
                                 .arg(report.chunks)
                                 .arg(report.unchanged)
                                 .arg(report.removed)
                                 .arg(report.errors.size());
            if (!st.lastError.isEmpty())
                app.err() << QStringLiteral("spool: the passages are stored, but their vectors are not: %1\n").arg(st.lastError);
        }
        for (const MemoryImportReport::FileError &e : std::as_const(report.errors))
            app.err() << QStringLiteral("spool: %1 %2\n").arg(e.path, e.message);
        return report.errors.isEmpty() ? ExitOk : ExitFailure;
    }

    if (action == QLatin1String("reindex")) {
        if (Status s = engine.memories().reindex(); !s)
            return app.fail(s.error());
        const MemoryStatus st = waitForVectors(app);
        if (app.json())
            app.printJson(st.toJson());
        else
            app.out() << QStringLiteral("%1 of %2 memories have vectors of %3.\n").arg(st.vectors).arg(st.items).arg(st.embeddingModel);
        if (!st.lastError.isEmpty())
            return app.fail(makeError(ErrorCode::Provider, st.lastError));
        return ExitOk;
    }

    if (action == QLatin1String("embeddings")) {
        MemorySettings settings = engine.memorySettings();
        settings.embeddingProvider = positional.size() == 2 ? positional.at(0) : QString();
        settings.embeddingModel = positional.size() == 2 ? positional.at(1) : QString();
        if (Status s = engine.setMemorySettings(settings); !s)
            return app.fail(s.error());
        // Vectors are computed now for what is stored, while this process runs.
        const MemoryStatus st = waitForVectors(app);
        if (app.json()) {
            app.printJson(st.toJson());
        } else if (st.embeddingModel.isEmpty()) {
            app.out() << QStringLiteral("No embedding model: search is lexical.\n");
        } else {
            app.out() << QStringLiteral("Embeddings from %1: %2 of %3 memories have vectors.\n")
                                 .arg(st.embeddingModel)
                                 .arg(st.vectors)
                                 .arg(st.items);
        }
        if (!st.lastError.isEmpty())
            return app.fail(makeError(ErrorCode::Provider, st.lastError));
        return ExitOk;
    }

    // status
    const MemoryStatus st = engine.memories().status();
    const MemorySettings settings = engine.memorySettings();
    if (app.json()) {
        QJsonObject o = st.toJson();
        o.insert(QStringLiteral("settings"), settings.toJson());
        app.printJson(o);
        return ExitOk;
    }
    QTextStream &out = app.out();
    out << QStringLiteral("Memory     %1, %2 item%3, %4 imported file%5\n")
                    .arg(st.enabled ? QStringLiteral("on") : QStringLiteral("off"))
                    .arg(st.items)
                    .arg(st.items == 1 ? QString() : QStringLiteral("s"))
                    .arg(st.documents)
                    .arg(st.documents == 1 ? QString() : QStringLiteral("s"));
    out << QStringLiteral("Search     %1%2\n")
                    .arg(st.searchMode(), st.embeddingModel.isEmpty() ? QStringLiteral(" (no embedding model configured)")
                                                                     : QStringLiteral(" with %1: %2 of %3 items have vectors")
                                                                               .arg(st.embeddingModel)
                                                                               .arg(st.vectors)
                                                                               .arg(st.items));
    out << QStringLiteral("Runs get   up to %1 memories, %2 tokens, score at least %3\n")
                    .arg(settings.topK)
                    .arg(settings.tokenBudget)
                    .arg(settings.minScore);
    if (!st.lastError.isEmpty())
        out << QStringLiteral("Problem    %1\n").arg(st.lastError);
    return ExitOk;
}

} // namespace Spool::Cli
