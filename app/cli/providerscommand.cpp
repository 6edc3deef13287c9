#include "cli/cliapp.h"


#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>

#include <termios.h>
#include <unistd.h>

namespace Spool::Cli {

namespace {

const QString kUsage = QStringLiteral(
        "spool providers list\n"
        "       spool providers add NAME --kind openai|anthropic [--base-url URL] [--model MODEL]\n"
        "             [--key-stdin | --key-env VAR | --no-key] [--header NAME=VALUE]...\n"
        "             [--timeout-ms N] [--connect-timeout-ms N] [--max-retries N] [--images yes|no]\n"
        "       spool providers remove NAME\n"
        "       spool providers test NAME\n"
        "       spool providers models NAME\n"
        "The API key is never an argument: --key-stdin reads it from stdin (asks for it on a\n"
        "terminal), --key-env names an environment variable Spool reads it from at each use.\n"
        "`add` on an existing name changes only what is given.");

QString keyStorageWords(const ProviderListing::Entry &e, const ProviderListing &listing)
{
    const QString storage = e.keyStorage;
    if (storage == QLatin1String("none"))
        return QStringLiteral("none");
    if (storage == QLatin1String("environment"))
        return QStringLiteral("$") + e.config.keyRef.mid(4);
    if (storage == QLatin1String("file"))
        return QStringLiteral("file (%1)").arg(listing.keyFilePath);
    if (storage == QLatin1String("missing"))
        return QStringLiteral("missing");
    return storage;
}

// Warns when a key is actually kept in the unencrypted file.
void warnAboutKeyFile(CliApp &app, const ProviderListing &listing)
{
    const bool anyInFile = std::any_of(listing.providers.cbegin(), listing.providers.cend(),
                                       [](const ProviderListing::Entry &e) {
                                           return e.keyStorage == QLatin1String("file");
                                       });
    if (!anyInFile)
        return;
    app.err() << QStringLiteral(
                         "spool: warning: no keychain is in use (%1); API keys are kept unencrypted "
                         "in %2, readable only by you\n")
                         .arg(listing.keyFileReason.isEmpty() ? QStringLiteral("unknown reason")
                                                              : listing.keyFileReason,
                              listing.keyFilePath);
}

// What to try next when a provider does not work, by error class.
QString hintFor(const ConnectionTest &t, const QString &baseUrl)
{
    if (!t.error)
        return {};
    switch (t.error->errorClass) {
    case ProviderErrorClass::Auth:
        return QStringLiteral("Check the API key; replace it with: spool providers add %1 --key-stdin")
                .arg(t.provider);
    case ProviderErrorClass::Permission:
        return QStringLiteral("The key works but may not use this model or endpoint.");
    case ProviderErrorClass::Network:
        return QStringLiteral("Is the server running and reachable at %1?").arg(baseUrl);
    case ProviderErrorClass::Timeout:
        return QStringLiteral("The server at %1 did not answer in time.").arg(baseUrl);
    case ProviderErrorClass::InvalidRequest:
    case ProviderErrorClass::MalformedResponse:
        return QStringLiteral("Is %1 the API's base URL (for OpenAI-compatible servers it usually "
                              "ends in /v1)?")
                .arg(baseUrl);
    default:
        return {};
    }
}

// The key from stdin: a line typed without echo on a terminal, else everything piped in.
std::optional<QString> readKeyFromStdin(CliApp &app, const QString &provider)
{
    QString key;
    if (::isatty(STDIN_FILENO)) {
        app.err() << QStringLiteral("API key for %1 (not shown): ").arg(provider);
        app.err().flush();
        termios saved{};
        const bool canHide = ::tcgetattr(STDIN_FILENO, &saved) == 0;
        if (canHide) {
            termios hidden = saved;
            hidden.c_lflag &= ~tcflag_t(ECHO);
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden);
        }
        QTextStream in(stdin);
        key = in.readLine();
        if (canHide)
            ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        app.err() << '\n';
    } else {
        QFile in;
        if (!in.open(stdin, QIODevice::ReadOnly))
            return std::nullopt;
        key = QString::fromUtf8(in.readAll());
    }
    key = key.trimmed();
    if (key.isEmpty() || key.contains(QLatin1Char('\n')))
        return std::nullopt;
    return key;
}

int listProviders(CliApp &app)
{
    const ProviderListing listing = app.engine().providers().listing();
    for (const QString &w : listing.warnings)
        app.err() << QStringLiteral("spool: warning: %1\n").arg(w);
    warnAboutKeyFile(app, listing);
    if (app.json()) {
        app.printJson(listing.toJson());
        return ExitOk;
    }
    int nameWidth = 4;
    for (const auto &e : listing.providers)
        nameWidth = qMax(nameWidth, int(e.config.name.size()));
    QTextStream &out = app.out();
    out << QStringLiteral("%1  %2  %3  %4  %5\n")
                    .arg(QStringLiteral("NAME").leftJustified(nameWidth),
                         QStringLiteral("KIND").leftJustified(13),
                         QStringLiteral("MODEL").leftJustified(16), QStringLiteral("KEY").leftJustified(12),
                         QStringLiteral("BASE URL"));
    for (const auto &e : listing.providers) {
        out << QStringLiteral("%1  %2  %3  %4  %5\n")
                        .arg(e.config.name.leftJustified(nameWidth), e.kindName().leftJustified(13),
                             (e.config.defaultModel.isEmpty() ? QStringLiteral("-")
                                                              : e.config.defaultModel)
                                     .leftJustified(16),
                             (e.keyStorage == QLatin1String("file") ? QStringLiteral("file")
                                                                    : keyStorageWords(e, listing))
                                     .leftJustified(12),
                             e.builtIn ? QStringLiteral("(built in, offline)")
                                       : e.config.toJson().value(QStringLiteral("base_url")).toString());
    }
    return ExitOk;
}

int addProvider(CliApp &app, const QCommandLineParser &parser, const QString &name)
{
    const ProviderListing listing = app.engine().providers().listing();
    const ProviderListing::Entry *existing = listing.find(name);
    if (existing && existing->builtIn)
        return app.fail(makeError(ErrorCode::Conflict,
                                  QStringLiteral("\"%1\" is the built-in provider's name").arg(name)));
    ProviderConfig config;
    if (existing)
        config = existing->config;
    config.name = name;

    if (parser.isSet(QStringLiteral("kind"))) {
        const auto kind = ProviderConfig::parseKind(parser.value(QStringLiteral("kind")));
        if (!kind)
            return app.usageError(QStringLiteral("--kind is openai or anthropic"), kUsage);
        config.kind = *kind;
    } else if (!existing) {
        return app.usageError(QStringLiteral("a new provider needs --kind openai|anthropic"), kUsage);
    }
    if (parser.isSet(QStringLiteral("base-url")))
        config.baseUrl = parser.value(QStringLiteral("base-url")).trimmed();
    if (parser.isSet(QStringLiteral("model")))
        config.defaultModel = parser.value(QStringLiteral("model")).trimmed();
    for (const QString &header : parser.values(QStringLiteral("header"))) {
        static const QRegularExpression pair(QStringLiteral("^\\s*([^=:\\s]+)\\s*[=:]\\s?(.*)$"));
        const auto m = pair.match(header);
        if (!m.hasMatch())
            return app.usageError(QStringLiteral("--header needs NAME=VALUE, not \"%1\"").arg(header),
                                  kUsage);
        if (m.captured(2).isEmpty())
            config.extraHeaders.remove(m.captured(1));
        else
            config.extraHeaders.insert(m.captured(1), m.captured(2));
    }
    auto number = [&](const QString &option, int min, int max, int *target) -> bool {
        if (!parser.isSet(option))
            return true;
        bool ok = false;
        const int v = parser.value(option).toInt(&ok);
        if (!ok || v < min || v > max)
            return false;
        *target = v;
        return true;
    };
    if (!number(QStringLiteral("timeout-ms"), 1, 3600 * 1000, &config.stallTimeoutMs))
        return app.usageError(QStringLiteral("--timeout-ms needs a number of milliseconds"), kUsage);
    if (!number(QStringLiteral("connect-timeout-ms"), 1, 600 * 1000, &config.connectTimeoutMs))
        return app.usageError(QStringLiteral("--connect-timeout-ms needs a number of milliseconds"),
                              kUsage);
    if (!number(QStringLiteral("max-retries"), 0, 10, &config.maxRetries))
        return app.usageError(QStringLiteral("--max-retries needs a number from 0 to 10"), kUsage);
    if (parser.isSet(QStringLiteral("images"))) {
        const QString images = parser.value(QStringLiteral("images"));
        if (images != QLatin1String("yes") && images != QLatin1String("no"))
            return app.usageError(QStringLiteral("--images needs yes or no"), kUsage);
        config.acceptsImages = images == QLatin1String("yes");
    }

    const bool keyStdin = parser.isSet(QStringLiteral("key-stdin"));
    const bool keyEnv = parser.isSet(QStringLiteral("key-env"));
    const bool noKey = parser.isSet(QStringLiteral("no-key"));
    if (int(keyStdin) + int(keyEnv) + int(noKey) > 1)
        return app.usageError(QStringLiteral("--key-stdin, --key-env and --no-key exclude each other"),
                              kUsage);
    std::optional<QString> key;
    if (keyEnv) {
        const QString var = parser.value(QStringLiteral("key-env"));
        static const QRegularExpression envName(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*$"));
        if (!envName.match(var).hasMatch())
            return app.usageError(QStringLiteral("--key-env needs the name of an environment variable"),
                                  kUsage);
        config.keyRef = QStringLiteral("env:") + var;
        if (qEnvironmentVariableIsEmpty(var.toLocal8Bit().constData()))
            app.err() << QStringLiteral("spool: warning: %1 is not set here; every Spool that "
                                        "uses %2 (the window too) needs it set\n")
                                 .arg(var, name);
    } else if (noKey) {
        config.keyRef.clear();
    } else if (keyStdin) {
        key = readKeyFromStdin(app, name);
        if (!key)
            return app.usageError(QStringLiteral("--key-stdin found no key (one line) on stdin"), kUsage);
    }
    if (Status valid = config.validate(); !valid)
        return app.fail(valid.error());

    const Status added = app.await<Status>([config, key](Engine &g, auto reply) {
        g.providers().add(config, key, [reply](const Status &s) { reply(s); });
    });
    if (!added)
        return app.fail(added.error());

    const ProviderListing after = app.engine().providers().listing();
    const ProviderListing::Entry *entry = after.find(name);
    if (app.json()) {
        app.printJson(entry ? entry->toJson() : config.toJson());
    } else {
        app.out() << QStringLiteral("%1 provider %2 (%3, %4)\n")
                             .arg(existing ? QStringLiteral("updated") : QStringLiteral("added"), name,
                                  config.kindName(),
                                  config.toJson().value(QStringLiteral("base_url")).toString());
        if (entry && entry->keyStorage != QLatin1String("none"))
            app.out() << QStringLiteral("API key: %1\n").arg(keyStorageWords(*entry, after));
        app.out() << QStringLiteral("Check it with: spool providers test %1\n").arg(name);
    }
    warnAboutKeyFile(app, after);
    return ExitOk;
}

int removeProvider(CliApp &app, const QString &name)
{
    const Status removed = app.await<Status>([name](Engine &g, auto reply) {
        g.providers().remove(name, [reply](const Status &s) { reply(s); });
    });
    if (!removed)
        return app.fail(removed.error());
    QStringList users;
    if (auto agents = app.engine().agents().list()) {
        for (const Agent &a : *agents) {
            if (a.provider == name)
                users.append(a.name);
        }
    }
    if (app.json()) {
        app.printJson(QJsonObject{{QStringLiteral("removed"), name},
                                  {QStringLiteral("agents_using_it"), QJsonArray::fromStringList(users)}});
    } else {
        app.out() << QStringLiteral("removed provider %1 and its stored key\n").arg(name);
    }
    if (!users.isEmpty())
        app.err() << QStringLiteral("spool: warning: agent%1 %2 still use%3 %4; their runs fail "
                                    "until they use another provider (spool agents set NAME "
                                    "--provider P)\n")
                             .arg(users.size() == 1 ? QString() : QStringLiteral("s"),
                                  users.join(QStringLiteral(", ")),
                                  users.size() == 1 ? QStringLiteral("s") : QString(), name);
    return ExitOk;
}

int testProvider(CliApp &app, const QString &name)
{
    const ProviderListing listing = app.engine().providers().listing();
    const ProviderListing::Entry *entry = listing.find(name);
    if (!entry)
        return app.fail(makeError(ErrorCode::NotFound,
                                  QStringLiteral("no provider named \"%1\" (spool providers list "
                                                 "shows them)")
                                          .arg(name)));
    const ConnectionTest t = app.await<ConnectionTest>([name](Engine &g, auto reply) {
        g.providers().test(name, [reply](const ConnectionTest &r) { reply(r); });
    });
    const QString baseUrl = entry->config.toJson().value(QStringLiteral("base_url")).toString();
    if (app.json()) {
        app.printJson(t.toJson());
    } else if (t.ok) {
        app.out() << t.summary() << '\n';
    } else {
        app.err() << QStringLiteral("spool: %1\n").arg(t.summary());
        if (const QString hint = hintFor(t, baseUrl); !hint.isEmpty())
            app.err() << hint << '\n';
    }
    return t.ok ? ExitOk : ExitFailure;
}

int listModels(CliApp &app, const QString &name)
{
    const ProviderListing listing = app.engine().providers().listing();
    if (!listing.find(name))
        return app.fail(makeError(ErrorCode::NotFound,
                                  QStringLiteral("no provider named \"%1\" (spool providers list "
                                                 "shows them)")
                                          .arg(name)));
    const auto models = app.await<Result<QStringList>>([name](Engine &g, auto reply) {
        g.providers().models(name, [reply](const Result<QStringList> &r) { reply(r); });
    });
    if (!models)
        return app.fail(models.error());
    if (app.json()) {
        app.printJson(QJsonArray::fromStringList(*models));
        return ExitOk;
    }
    if (models->isEmpty())
        app.err() << QStringLiteral("%1 lists no models\n").arg(name);
    for (const QString &m : *models)
        app.out() << m << '\n';
    return ExitOk;
}

} // namespace

int runProviders(CliApp &app, const QStringList &arguments)
{
    QCommandLineParser parser;
    QStringList addOptions; // options only `providers add` takes
    auto add = [&](const QCommandLineOption &option) {
        addOptions.append(option.names().constFirst());
        parser.addOption(option);
    };
    add(QCommandLineOption(QStringLiteral("kind"), QStringLiteral("openai or anthropic."),
                           QStringLiteral("KIND")));
    add(QCommandLineOption(QStringLiteral("base-url"),
                           QStringLiteral("The API's base URL (default: the kind's public API)."),
                           QStringLiteral("URL")));
    add(QCommandLineOption(QStringLiteral("model"), QStringLiteral("Default model."),
                           QStringLiteral("MODEL")));
    add(QCommandLineOption(QStringLiteral("key-stdin"),
                           QStringLiteral("Read the API key from stdin and keep it in the keychain.")));
    add(QCommandLineOption(QStringLiteral("key-env"),
                           QStringLiteral("Read the API key from this environment variable at each use."),
                           QStringLiteral("VAR")));
    add(QCommandLineOption(QStringLiteral("no-key"), QStringLiteral("The server needs no key.")));
    add(QCommandLineOption(QStringLiteral("header"),
                           QStringLiteral("An extra header sent with every request (NAME= removes one)."),
                           QStringLiteral("NAME=VALUE")));
    add(QCommandLineOption(QStringLiteral("timeout-ms"),
                           QStringLiteral("How long the server may stay silent during a call."),
                           QStringLiteral("N")));
    add(QCommandLineOption(QStringLiteral("connect-timeout-ms"),
                           QStringLiteral("How long connecting may take."), QStringLiteral("N")));
    add(QCommandLineOption(QStringLiteral("max-retries"),
                           QStringLiteral("Retries of a failed request (0-10)."), QStringLiteral("N")));
    add(QCommandLineOption(QStringLiteral("images"),
                           QStringLiteral("Whether its models take images (default yes); no refuses "
                                          "messages with images."),
                           QStringLiteral("yes|no")));
    parser.addPositionalArgument(QStringLiteral("action"),
                                 QStringLiteral("list, add, remove, test, models"));
    if (auto rc = app.parse(parser, arguments, kUsage))
        return *rc;
    const QStringList args = parser.positionalArguments();
    const QString action = args.value(0, QStringLiteral("list"));
    static const QStringList actions{QStringLiteral("list"), QStringLiteral("add"),
                                     QStringLiteral("remove"), QStringLiteral("test"),
                                     QStringLiteral("models")};
    if (!actions.contains(action))
        return app.usageError(QStringLiteral("unknown providers action \"%1\"").arg(action), kUsage);
    if (action == QLatin1String("list") && args.size() > 1)
        return app.usageError(QStringLiteral("providers list takes no arguments"), kUsage);
    if (action != QLatin1String("list") && args.size() != 2)
        return app.usageError(QStringLiteral("providers %1 needs one provider name").arg(action), kUsage);
    if (action != QLatin1String("add")) {
        for (const QString &option : std::as_const(addOptions)) {
            if (parser.isSet(option))
                return app.usageError(QStringLiteral("--%1 is an option of providers add").arg(option),
                                      kUsage);
        }
    }
    const QString name = args.value(1);
    if (action == QLatin1String("add") && !ProviderConfig::isValidName(name))
        return app.usageError(QStringLiteral("a provider name is 1-64 letters, digits, '.', '_' "
                                             "or '-'"),
                              kUsage);

    if (int rc = app.openEngine(); rc != ExitOk)
        return rc;
    if (action == QLatin1String("list"))
        return listProviders(app);
    if (action == QLatin1String("add"))
        return addProvider(app, parser, name);
    if (action == QLatin1String("remove"))
        return removeProvider(app, name);
    if (action == QLatin1String("test"))
        return testProvider(app, name);
    return listModels(app, name);
}

} // namespace Spool::Cli
