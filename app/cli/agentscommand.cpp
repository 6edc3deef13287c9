#include "cli/cliapp.h"

#include "agents/agent.h"

#include <QJsonArray>
#include <QJsonObject>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool agents list\n"
        "       spool agents set NAME [--provider PROVIDER] [--model MODEL] [--system-prompt TEXT]\n"
        "             [--approval policy|ask]\n"
        "       spool agents remove NAME\n"
        "`set` creates the agent or changes only what is given; a new agent needs --provider.\n"
        "Without --model, an agent moved to another provider takes that provider's default model.");

void printAgent(CliApp &app, const Agent &a)
{
    app.out() << QStringLiteral("%1  %2  %3  %4\n")
                         .arg(a.name.leftJustified(16), a.provider.leftJustified(16),
                              (a.model.isEmpty() ? QStringLiteral("(provider default)") : a.model)
                                      .leftJustified(20),
                              Agent::approvalModeName(a.approvalMode));
}

} // namespace

int runAgents(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    const QCommandLineOption provider(QStringLiteral("provider"),
                                      QStringLiteral("The provider the agent runs on."),
                                      QStringLiteral("PROVIDER"));
    const QCommandLineOption model(QStringLiteral("model"), QStringLiteral("The model."),
                                   QStringLiteral("MODEL"));
    const QCommandLineOption prompt(QStringLiteral("system-prompt"),
                                    QStringLiteral("Who the model is told it is."),
                                    QStringLiteral("TEXT"));
    const QCommandLineOption approval(QStringLiteral("approval"),
                                      QStringLiteral("policy (the policy decides) or ask (every "
                                                     "tool call asks)."),
                                      QStringLiteral("MODE"));
    parser.addOptions({provider, model, prompt, approval});
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("list, set, remove"));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    const QStringList args = parser.positionalArguments();
    const QString action = args.value(0, QStringLiteral("list"));
    if (action != QLatin1String("list") && action != QLatin1String("set")
        && action != QLatin1String("remove"))
        return app.usageError(QStringLiteral("unknown agents action \"%1\"").arg(action), kUsage);
    if (action == QLatin1String("list") && args.size() > 1)
        return app.usageError(QStringLiteral("agents list takes no arguments"), kUsage);
    if (action != QLatin1String("list") && args.size() != 2)
        return app.usageError(QStringLiteral("agents %1 needs one agent name").arg(action), kUsage);
    const bool anyOption = parser.isSet(provider) || parser.isSet(model) || parser.isSet(prompt)
            || parser.isSet(approval);
    if (action != QLatin1String("set") && anyOption)
        return app.usageError(QStringLiteral("--provider, --model, --system-prompt and --approval "
                                             "are options of agents set"),
                              kUsage);
    const QString approvalMode = parser.value(approval);
    if (parser.isSet(approval) && approvalMode != QLatin1String("policy")
        && approvalMode != QLatin1String("ask"))
        return app.usageError(QStringLiteral("--approval is policy or ask"), kUsage);
    const QString name = args.value(1).trimmed();

    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;

    if (action == QLatin1String("list")) {
        auto agents = app.engine().agents().list();
        if (!agents)
            return app.fail(agents.error());
        if (app.json()) {
            QJsonArray out;
            for (const Agent &a : *agents)
                out.append(a.toJson());
            app.printJson(out);
            return ExitOk;
        }
        for (const Agent &a : *agents)
            printAgent(app, a);
        return ExitOk;
    }

    if (action == QLatin1String("remove")) {
        if (name == Agent::defaultName())
            return app.fail(makeError(ErrorCode::Conflict,
                                      QStringLiteral("the default agent cannot be removed")));
        if (auto found = app.engine().agents().get(name); !found)
            return app.fail(found.error());
        const Status removed = app.engine().agents().remove(name);
        if (!removed)
            return app.fail(removed.error());
        if (app.json())
            app.printJson(QJsonObject{{QStringLiteral("removed"), name}});
        else
            app.out() << QStringLiteral("removed agent %1\n").arg(name);
        return ExitOk;
    }

    // set
    auto existing = app.engine().agents().get(name);
    if (!existing && existing.error().code != ErrorCode::NotFound)
        return app.fail(existing.error());
    Agent a;
    if (existing) {
        a = *existing;
    } else {
        if (!parser.isSet(provider))
            return app.usageError(QStringLiteral("a new agent needs --provider"), kUsage);
        a.name = name;
        a.systemPrompt = Agent::builtInDefault().systemPrompt;
    }
    if (parser.isSet(provider)) {
        const QString p = parser.value(provider).trimmed();
        const ProviderListing listing = app.engine().providers().listing();
        const ProviderListing::Entry *entry = listing.find(p);
        if (!entry)
            return app.fail(makeError(ErrorCode::NotFound,
                                      QStringLiteral("no provider named \"%1\" (spool providers "
                                                     "list shows them)")
                                              .arg(p)));
        if (p != a.provider && !parser.isSet(model))
            a.model = entry->config.defaultModel; // the old provider's model means nothing here
        a.provider = p;
    }
    if (parser.isSet(model))
        a.model = parser.value(model).trimmed();
    if (a.model.isEmpty())
        return app.usageError(QStringLiteral("%1 has no default model; give --model (spool "
                                             "providers models %1 lists them)")
                                      .arg(a.provider),
                              kUsage);
    if (parser.isSet(prompt))
        a.systemPrompt = parser.value(prompt);
    if (parser.isSet(approval))
        a.approvalMode = approvalMode == QLatin1String("ask") ? Agent::ApprovalMode::Ask
                                                              : Agent::ApprovalMode::Policy;
    const Status saved = app.engine().agents().save(a);
    if (!saved)
        return app.fail(saved.error());
    if (app.json()) {
        app.printJson(a.toJson());
    } else {
        app.out() << QStringLiteral("%1 agent %2: provider %3, model %4\n")
                             .arg(existing ? QStringLiteral("updated") : QStringLiteral("added"),
                                  a.name, a.provider,
                                  a.model.isEmpty() ? QStringLiteral("(provider default)") : a.model);
    }
    return ExitOk;
}

} // namespace Spool::Cli
