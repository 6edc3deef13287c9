#include "mcp/mcpserverregistry.h"

#include "core/logging.h"
#include "core/ulid.h"
#include "mcp/mcpclient.h"
#include "mcp/mcpconfigfile.h"
#include "mcp/mcpelicitation.h"
#include "mcp/mcphttptransport.h"
#include "mcp/mcpkeychaintokenstore.h"
#include "mcp/mcploopbackbrowser.h"
#include "mcp/mcpoauthflow.h"
#include "mcp/mcpsecretstore.h"
#include "mcp/mcpstdiotransport.h"
#include "mcp/mcptool.h"
#include "mcp/mcptoolinfo.h"
#include "tools/builtin/shellexectool.h"
#include "tools/sandboxprobe.h"
#include "tools/toolregistry.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTimer>

namespace Spool {

namespace {

qint64 now()
{
    return QDateTime::currentMSecsSinceEpoch();
}

// Whether showing `path` to a sandboxed server would show more than a program's installation:
// the root, a top-level folder (/tmp, /home, /opt, ...), or the home folder or a folder
// holding it. A server at ~/bin/server must not get the whole home folder with it.
bool tooWideToShow(const QString &path)
{
    if (path.isEmpty() || path == QLatin1String("/")
        || QFileInfo(path).absolutePath() == QLatin1String("/"))
        return true;
    for (const QString &home :
         { QDir::homePath(), QFileInfo(QDir::homePath()).canonicalFilePath() }) {
        if (!home.isEmpty() && (home == path || home.startsWith(path + QLatin1Char('/'))))
            return true;
    }
    return false;
}

// What of a program's installation a sandboxed server needs to see: the node_modules tree it is
// in, else the folder it was installed under (its bin folder's parent) for node's own modules
// next to ~/.nvm/.../bin/npx; when that would show too much (tooWideToShow), its own folder,
// else only the program file. Both the path as named and its real path, for links. Nothing for
// programs in the system folders the sandbox shows anyway.
QStringList installPrefixes(const QString &program)
{
    QStringList out;
    for (const QString &path : {program, QFileInfo(program).canonicalFilePath()}) {
        if (path.isEmpty())
            continue;
        const QString folder = QFileInfo(path).absolutePath();
        const QString prefix = QFileInfo(folder).absolutePath();
        bool system = false;
        for (const QString &root : {QStringLiteral("/usr"), QStringLiteral("/bin"), QStringLiteral("/sbin"),
                                    QStringLiteral("/lib"), QStringLiteral("/etc")}) {
            if (folder == root || folder.startsWith(root + QLatin1Char('/')))
                system = true;
        }
        if (system)
            continue;
        // A program inside a node_modules tree needs the whole tree: npm hoists its
        // dependencies next to it (the real path of node_modules/.bin/x is a package's script).
        const qsizetype modules = path.indexOf(QLatin1String("/node_modules/"));
        const QString tree
            = modules > 0 ? path.left(modules + int(sizeof("/node_modules") - 1)) : QString();
        const QString shown = !tree.isEmpty() && !tooWideToShow(tree) ? tree
            : !tooWideToShow(prefix)                                  ? prefix
            : !tooWideToShow(folder)                                  ? folder
                                                                      : path;
        if (!out.contains(shown))
            out.append(shown);
    }
    return out;
}

QString questionAction(McpElicitation::Action action)
{
    return McpElicitation::actionName(action);
}

} // namespace

// One configured server and whatever runs for it now.
struct McpServerRegistry::Server
{
    McpServerConfig config;
    QPointer<McpClient> client;
    std::unique_ptr<ServerElicitation> elicitation;
    std::unique_ptr<ServerBrowser> browser;
    std::unique_ptr<McpKeychainTokenStore> tokens;
    QString state = QStringLiteral("stopped");
    QString error;
    int restarts = 0;
    qint64 restartAt = 0;
    qint64 readyAt = 0;
    QTimer *restartTimer = nullptr;
    McpServerLog log;
    QList<McpToolInfo> listed;
    QStringList offered; // Spool names now in the tool registry
    QHash<QString, QString> problems;
    QString protocolVersion;
    QJsonObject serverInfo;
    QString instructions;
    QString sandbox;
    qint64 pid = 0;
    bool signInAsked = false; // this launch sent the user to sign in
    int generation = 0; // answers of an earlier launch are ignored
    bool wanted = false; // started (by startAll, restart or test) and not stopped since
};

struct McpServerRegistry::Question
{
    McpUserQuestion question;
    McpElicitation request;
    std::function<void(const McpElicitation &)> reply;
};

// The server's questions, tagged with its name.
class McpServerRegistry::ServerElicitation : public McpElicitationHandler
{
public:
    ServerElicitation(McpServerRegistry *registry, QString server)
        : m_registry(registry), m_server(std::move(server)) {}
    void elicit(const McpElicitation &request, std::function<void(const McpElicitation &)> reply) override
    {
        if (m_registry)
            m_registry->elicit(m_server, request, std::move(reply));
    }

private:
    QPointer<McpServerRegistry> m_registry;
    QString m_server;
};

// The shared loopback browser, with sign-ins announced under the server's name.
class McpServerRegistry::ServerBrowser : public McpAuthorizationBrowser
{
public:
    ServerBrowser(McpServerRegistry *registry, McpLoopbackBrowser *browser, QString server)
        : m_registry(registry), m_browser(browser), m_server(std::move(server)) {}
    QUrl redirectUri() const override { return m_browser ? m_browser->redirectUri() : QUrl(); }
    void authorize(const QUrl &authorizationUrl, QObject *context, std::function<void(Result<QUrl>)> done) override
    {
        if (!m_browser || !m_registry) {
            done(makeError(ErrorCode::Cancelled, QStringLiteral("Spool is closing")));
            return;
        }
        if (Server *s = m_registry->find(m_server)) {
            s->signInAsked = true;
            m_registry->appendLog(*s, QStringLiteral("client"),
                                  QStringLiteral("the server needs you to sign in; waiting for the browser"));
        }
        emit m_registry->authorizationRequested(m_server, authorizationUrl);
        m_asked = authorizationUrl;
        m_browser->authorize(authorizationUrl, context, std::move(done));
    }
    // The user gave up on the sign-in this server waits for.
    bool cancel(const QString &why) { return m_browser && m_browser->cancel(m_asked, why); }

private:
    QPointer<McpServerRegistry> m_registry;
    QPointer<McpLoopbackBrowser> m_browser;
    QString m_server;
    QUrl m_asked; // the last sign-in page the user was sent to
};

McpServerRegistry::McpServerRegistry(McpRegistryOptions options, ToolRegistry &tools, McpSecretStore &secrets,
                                     QObject *parent)
    : QObject(parent), m_options(std::move(options)), m_tools(tools), m_secrets(secrets),
      m_file(std::make_unique<McpConfigFile>(QDir(m_options.configDir).filePath(configFileName())))
{
    m_network = new QNetworkAccessManager(this);
    m_browser = new McpLoopbackBrowser(m_options.redirectPort, this);
    m_reaper = new QObject(this);
    // The sign-in page opens through the server's ServerBrowser, which announces it.
    m_probe = std::make_shared<SandboxProbe>(m_options.bwrapPath);
    reload(true);
}

McpServerRegistry::~McpServerRegistry()
{
    stopAll();
    // Servers killed just now (or while restarting) may not have been reaped yet: their
    // processes are freed here, not left behind when the event loop stops for good.
    delete m_reaper;
}

QString McpServerRegistry::configPath() const
{
    return m_file->path();
}

McpServerRegistry::Server *McpServerRegistry::find(const QString &name) const
{
    auto it = m_servers.find(name);
    return it == m_servers.end() ? nullptr : it->second.get();
}

QList<McpServerConfig> McpServerRegistry::configs() const
{
    QList<McpServerConfig> out;
    for (const auto &[name, s] : m_servers)
        out.append(s->config);
    return out;
}

// --- configuration ------------------------------------------------------------------------

void McpServerRegistry::reload(bool force)
{
    if (!force && !m_file->changed())
        return;
    auto contents = m_file->load();
    if (!contents) {
        // A broken file loses nothing: the servers as last read go on, and the problem shows.
        m_problems = {contents.errorMessage()};
        qCWarning(lcMcp) << contents.errorMessage();
        return;
    }
    m_problems = contents->problems;
    for (const QString &p : std::as_const(m_problems))
        qCWarning(lcMcp) << p;
    apply(contents->servers);
}

void McpServerRegistry::apply(const QList<McpServerConfig> &configs)
{
    QSet<QString> names;
    for (const McpServerConfig &c : configs) {
        names.insert(c.name);
        Server *s = find(c.name);
        if (!s) {
            auto server = std::make_unique<Server>();
            server->config = c;
            server->state = c.enabled ? QStringLiteral("stopped") : QStringLiteral("disabled");
            server->elicitation = std::make_unique<ServerElicitation>(this, c.name);
            server->browser = std::make_unique<ServerBrowser>(this, m_browser, c.name);
            server->tokens = std::make_unique<McpKeychainTokenStore>(m_secrets, c.oauthRef());
            server->restartTimer = new QTimer(this);
            server->restartTimer->setSingleShot(true);
            const QString name = c.name;
            connect(server->restartTimer, &QTimer::timeout, this, [this, name] {
                if (Server *t = find(name); t && t->wanted)
                    startServer(*t);
            });
            Server &added = *server;
            m_servers.emplace(c.name, std::move(server));
            if (m_started && c.enabled) {
                added.wanted = true;
                startServer(added);
            }
            changed(added);
            continue;
        }
        if (s->config == c)
            continue;
        const McpServerConfig before = s->config;
        s->config = c;
        // Only the tool toggles, the agents or the tool limit changed: no restart needed.
        McpServerConfig a = before, b = c;
        a.disabledTools = b.disabledTools = {};
        a.agents = b.agents = {};
        a.maxTools = b.maxTools = 0;
        if (a == b) {
            syncTools(*s);
            changed(*s);
            continue;
        }
        const bool wasWanted = s->wanted || m_started;
        stopServer(*s, c.enabled ? QStringLiteral("stopped") : QStringLiteral("disabled"));
        if (wasWanted && c.enabled) {
            s->wanted = true;
            s->restarts = 0;
            startServer(*s);
        }
        changed(*s);
    }
    for (auto it = m_servers.begin(); it != m_servers.end();) {
        if (names.contains(it->first)) {
            ++it;
            continue;
        }
        Server &gone = *it->second;
        stopServer(gone, QStringLiteral("stopped"));
        delete gone.restartTimer;
        const QString name = it->first;
        it = m_servers.erase(it);
        emit statusChanged(name);
    }
    settleWaiters();
}

Status McpServerRegistry::writeConfigs(const QList<McpServerConfig> &configs)
{
    if (Status s = m_file->save(configs); !s)
        return s;
    m_problems.clear();
    apply(configs);
    return {};
}

void McpServerRegistry::saveSecrets(QList<std::pair<QString, QString>> items, std::function<void(const Status &)> done)
{
    if (items.isEmpty()) {
        done({});
        return;
    }
    const auto [ref, value] = items.takeFirst();
    m_secrets.write(ref, value, this, [this, items, done](const Status &s) {
        if (!s) {
            done(s);
            return;
        }
        saveSecrets(items, done);
    });
}

void McpServerRegistry::save(const McpServerConfig &config, const QMap<QString, QString> &secrets,
                             std::function<void(const Status &)> done)
{
    reload();
    if (Status valid = config.validate(); !valid) {
        done(valid);
        return;
    }
    QList<std::pair<QString, QString>> items;
    for (auto it = secrets.cbegin(); it != secrets.cend(); ++it) {
        if (config.secretEnv.contains(it.key()))
            items.append({config.secretRef(QStringLiteral("env"), it.key()), it.value()});
        else if (config.secretHeaders.contains(it.key()))
            items.append({config.secretRef(QStringLiteral("header"), it.key()), it.value()});
        else {
            done(makeError(ErrorCode::InvalidArgument,
                           QStringLiteral("%1 is not one of the server's secret variables or headers").arg(it.key())));
            return;
        }
    }
    // Secrets first: a file that names a secret the keychain does not have would fail to start.
    saveSecrets(items, [this, config, done](const Status &s) {
        if (!s) {
            done(makeError(s.error().code, QStringLiteral("cannot store the secrets of %1 in the keychain: %2")
                                                   .arg(config.name, s.errorMessage())));
            return;
        }
        QList<McpServerConfig> list = configs();
        bool replaced = false;
        for (McpServerConfig &c : list) {
            if (c.name == config.name) {
                c = config;
                replaced = true;
            }
        }
        if (!replaced)
            list.append(config);
        done(writeConfigs(list));
    });
}

void McpServerRegistry::remove(const QString &name, std::function<void(const Status &)> done)
{
    reload();
    Server *s = find(name);
    if (!s) {
        done(makeError(ErrorCode::NotFound, QStringLiteral("there is no MCP server named %1").arg(name)));
        return;
    }
    const McpServerConfig config = s->config;
    QList<McpServerConfig> list = configs();
    list.removeIf([&name](const McpServerConfig &c) { return c.name == name; });
    if (Status written = writeConfigs(list); !written) {
        done(written);
        return;
    }
    // Its secrets and sign-in go with it; a missing entry is no failure.
    QStringList refs{config.oauthRef()};
    for (const QString &key : config.secretEnv)
        refs.append(config.secretRef(QStringLiteral("env"), key));
    for (const QString &key : config.secretHeaders)
        refs.append(config.secretRef(QStringLiteral("header"), key));
    auto remaining = std::make_shared<int>(int(refs.size()));
    for (const QString &ref : refs) {
        m_secrets.remove(ref, this, [remaining, done](const Status &) {
            if (--*remaining == 0)
                done({});
        });
    }
}

Status McpServerRegistry::setEnabled(const QString &name, bool enabled)
{
    reload();
    QList<McpServerConfig> list = configs();
    bool found = false;
    for (McpServerConfig &c : list) {
        if (c.name == name) {
            c.enabled = enabled;
            found = true;
        }
    }
    if (!found)
        return makeError(ErrorCode::NotFound, QStringLiteral("there is no MCP server named %1").arg(name));
    if (Status s = writeConfigs(list); !s)
        return s;
    // Enabling a server the user asked for starts it, whether or not others were started.
    if (Server *s = find(name); s && enabled && s->state == QLatin1String("stopped")) {
        s->wanted = true;
        startServer(*s);
    }
    return {};
}

Status McpServerRegistry::setToolEnabled(const QString &server, const QString &tool, bool enabled)
{
    reload();
    QList<McpServerConfig> list = configs();
    bool found = false;
    for (McpServerConfig &c : list) {
        if (c.name != server)
            continue;
        found = true;
        c.disabledTools.removeAll(tool);
        if (!enabled)
            c.disabledTools.append(tool);
        c.disabledTools.sort();
    }
    if (!found)
        return makeError(ErrorCode::NotFound, QStringLiteral("there is no MCP server named %1").arg(server));
    return writeConfigs(list);
}

void McpServerRegistry::importServers(const QByteArray &json, bool replace,
                                      std::function<void(const Result<McpImportReport> &)> done)
{
    reload();
    auto entries = McpConfigFile::entries(json);
    if (!entries) {
        done(entries.error());
        return;
    }
    McpImportReport report;
    QList<McpServerConfig> list = configs();
    QList<std::pair<QString, QString>> secrets;
    static const QRegularExpression badName(QStringLiteral("[^A-Za-z0-9_-]+"));
    for (auto [originalName, entry] : *entries) {
        QString name = originalName;
        if (!McpServerConfig::isValidName(name)) {
            name = originalName.trimmed();
            name.replace(badName, QStringLiteral("-"));
            name = name.left(48);
            while (name.startsWith(QLatin1Char('-')))
                name.remove(0, 1);
            report.warnings.append(QStringLiteral("%1: renamed to \"%2\" (server names may hold letters, digits, - and _)")
                                           .arg(originalName, name));
        }
        const QString type = entry.value(QStringLiteral("type")).toString(entry.value(QStringLiteral("transport")).toString());
        if (type == QLatin1String("sse"))
            report.warnings.append(QStringLiteral("%1: the old HTTP+SSE transport is imported as Streamable HTTP; "
                                                  "a server that only speaks the old one will not connect")
                                           .arg(name));
        else if (!type.isEmpty() && type != QLatin1String("stdio") && type != QLatin1String("http")
                 && type != QLatin1String("streamable-http") && type != QLatin1String("streamableHttp")) {
            report.warnings.append(QStringLiteral("%1: unknown transport \"%2\"; skipped").arg(name, type));
            report.skipped.append(name);
            continue;
        }
        auto parsed = McpServerConfig::fromJson(name, entry);
        if (!parsed) {
            report.warnings.append(parsed.errorMessage() + QStringLiteral("; skipped"));
            report.skipped.append(name);
            continue;
        }
        McpServerConfig c = *parsed;
        const bool exists = std::any_of(list.cbegin(), list.cend(), [&name](const McpServerConfig &e) { return e.name == name; });
        if (exists && !replace) {
            report.skipped.append(name);
            report.warnings.append(QStringLiteral("%1: already configured; kept as it is (import with --replace to "
                                                  "take the file's version)").arg(name));
            continue;
        }
        // Keys and tokens in env or headers go to the keychain; mcp.json only names them.
        for (const QString &key : c.env.keys()) {
            const QString value = c.env.value(key);
            if (value.contains(QLatin1String("${input:")))
                report.warnings.append(QStringLiteral("%1: %2 asks for an input (%3) that Spool cannot prompt for; "
                                                      "set it with `spool mcp add %1 ... --secret-env %2=VALUE`")
                                               .arg(name, key, value));
            if (!McpServerConfig::looksSecret(key, value))
                continue;
            c.env.remove(key);
            c.secretEnv.append(key);
            secrets.append({c.secretRef(QStringLiteral("env"), key), value});
            report.secrets.append(QStringLiteral("%1: env %2").arg(name, key));
        }
        for (const QString &key : c.headers.keys()) {
            const QString value = c.headers.value(key);
            if (!McpServerConfig::looksSecret(key, value))
                continue;
            c.headers.remove(key);
            c.secretHeaders.append(key);
            secrets.append({c.secretRef(QStringLiteral("header"), key), value});
            report.secrets.append(QStringLiteral("%1: header %2").arg(name, key));
        }
        if (exists) {
            for (McpServerConfig &e : list) {
                if (e.name == name)
                    e = c;
            }
            report.replaced.append(name);
        } else {
            list.append(c);
            report.added.append(name);
        }
    }
    saveSecrets(secrets, [this, list, report, done](const Status &s) {
        if (!s) {
            done(makeError(s.error().code,
                           QStringLiteral("nothing was imported: a secret could not be stored in the keychain (%1)")
                                   .arg(s.errorMessage())));
            return;
        }
        if (Status written = writeConfigs(list); !written) {
            done(written.error());
            return;
        }
        done(report);
    });
}

void McpServerRegistry::exportServers(bool withSecrets, std::function<void(const Result<QByteArray> &)> done)
{
    reload();
    struct Export
    {
        QJsonObject servers;
        int pending = 1;
        Error error;
        std::function<void(const Result<QByteArray> &)> done;
        void finishOne()
        {
            if (--pending > 0)
                return;
            if (error.isError())
                done(error);
            else
                done(QJsonDocument(QJsonObject{{QStringLiteral("mcpServers"), servers}}).toJson(QJsonDocument::Indented));
        }
    };
    auto state = std::make_shared<Export>();
    state->done = std::move(done);
    const QString placeholder = QStringLiteral("<secret in Spool's keychain: export with --with-secrets>");
    for (const McpServerConfig &c : configs()) {
        // The keys every app reads; Spool's own settings stay in Spool.
        QJsonObject entry = c.toJson();
        entry.remove(QStringLiteral("spool"));
        if (!c.enabled)
            entry.insert(QStringLiteral("disabled"), true);
        state->servers.insert(c.name, entry);
        auto addSecret = [this, state, name = c.name, withSecrets, placeholder](const QString &field, const QString &key,
                                                                               const QString &ref) {
            QJsonObject e = state->servers.value(name).toObject();
            QJsonObject values = e.value(field).toObject();
            values.insert(key, placeholder);
            e.insert(field, values);
            state->servers.insert(name, e);
            if (!withSecrets)
                return;
            ++state->pending;
            m_secrets.read(ref, this, [state, name, field, key](const Result<QString> &r) {
                if (!r) {
                    state->error = makeError(r.error().code, QStringLiteral("cannot read %1 of %2 from the keychain: %3")
                                                                     .arg(key, name, r.errorMessage()));
                } else {
                    QJsonObject e = state->servers.value(name).toObject();
                    QJsonObject values = e.value(field).toObject();
                    values.insert(key, *r);
                    e.insert(field, values);
                    state->servers.insert(name, e);
                }
                state->finishOne();
            });
        };
        for (const QString &key : c.secretEnv)
            addSecret(QStringLiteral("env"), key, c.secretRef(QStringLiteral("env"), key));
        for (const QString &key : c.secretHeaders)
            addSecret(QStringLiteral("headers"), key, c.secretRef(QStringLiteral("header"), key));
    }
    state->finishOne();
}

// --- running ------------------------------------------------------------------------------

void McpServerRegistry::startAll()
{
    reload();
    m_started = true;
    for (auto &[name, s] : m_servers) {
        if (!s->config.enabled || s->wanted)
            continue;
        s->wanted = true;
        s->restarts = 0;
        startServer(*s);
    }
    settleWaiters();
}

Status McpServerRegistry::cancelSignIn(const QString &name)
{
    Server *s = find(name);
    if (!s)
        return makeError(ErrorCode::NotFound, QStringLiteral("there is no MCP server named %1").arg(name));
    if (!s->browser || !s->browser->cancel(QStringLiteral("the sign-in was cancelled in Spool")))
        return makeError(ErrorCode::Conflict,
                         QStringLiteral("%1 is not waiting for a sign-in").arg(name));
    return {};
}

Status McpServerRegistry::restart(const QString &name)
{
    reload();
    Server *s = find(name);
    if (!s)
        return makeError(ErrorCode::NotFound, QStringLiteral("there is no MCP server named %1").arg(name));
    if (!s->config.enabled)
        return makeError(ErrorCode::Conflict, QStringLiteral("the MCP server %1 is disabled").arg(name));
    stopServer(*s, QStringLiteral("stopped"));
    s->wanted = true;
    s->restarts = 0;
    startServer(*s);
    return {};
}

void McpServerRegistry::test(const QString &name, int timeoutMs,
                             std::function<void(const McpServerStatus &)> done)
{
    test(name, timeoutMs, this, std::move(done));
}

void McpServerRegistry::test(const QString &name, int timeoutMs, QObject *context,
                             std::function<void(const McpServerStatus &)> done)
{
    reload();
    Server *s = find(name);
    if (!s) {
        McpServerStatus missing;
        missing.config.name = name;
        missing.state = QStringLiteral("failed");
        missing.error = QStringLiteral("there is no MCP server named %1").arg(name);
        done(missing);
        return;
    }
    if (!s->config.enabled) {
        done(statusOf(*s));
        return;
    }
    // A failed server is tried again; a running one answers as it is.
    if (!s->wanted || s->state == QLatin1String("failed") || s->state == QLatin1String("restarting")) {
        stopServer(*s, QStringLiteral("stopped"));
        s->wanted = true;
        s->restarts = 0;
        startServer(*s);
    }
    auto answered = std::make_shared<bool>(false);
    QPointer<QObject> guard(context);
    auto finish = [this, name, done, answered, guard] {
        if (*answered || !guard)
            return;
        *answered = true;
        auto st = status(name);
        if (st)
            done(*st);
    };
    auto *timer = new QTimer(this);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, this, [this, name, done, answered, guard, timer, timeoutMs] {
        timer->deleteLater();
        if (*answered || !guard)
            return;
        *answered = true;
        auto st = status(name);
        if (!st)
            return;
        McpServerStatus late = *st;
        const Server *t = find(name);
        if (!late.isSettled() && late.error.isEmpty() && t && t->signInAsked)
            late.error
                = QStringLiteral(
                      "you did not finish signing in within %1 s (the browser never came back to "
                      "Spool); try again, or cancel the sign-in")
                      .arg(timeoutMs / 1000);
        else if (!late.isSettled() && late.error.isEmpty())
            late.error = QStringLiteral("the server did not get ready within the test's time");
        done(late);
    });
    timer->start(timeoutMs);
    auto poll = std::make_shared<QMetaObject::Connection>();
    *poll = connect(this, &McpServerRegistry::statusChanged, this, [this, name, finish, poll, answered, timer](const QString &changed) {
        if (*answered) {
            disconnect(*poll);
            return;
        }
        if (changed != name)
            return;
        // The first failure answers a test: waiting out the restarts would only delay it.
        Server *t = find(name);
        if (!t || t->state == QLatin1String("ready") || t->state == QLatin1String("failed")
            || t->state == QLatin1String("restarting") || t->state == QLatin1String("disabled")) {
            disconnect(*poll);
            timer->stop();
            timer->deleteLater();
            finish();
        }
    });
    // Settled already: running, or failed while starting (no bubblewrap, a missing secret), which
    // happens before the poll above could see it.
    if (s->state == QLatin1String("ready") || s->state == QLatin1String("failed")) {
        disconnect(*poll);
        timer->stop();
        timer->deleteLater();
        QTimer::singleShot(0, this, finish);
    }
}

void McpServerRegistry::whenSettled(QObject *context, std::function<void()> done)
{
    m_waiters.append({QPointer<QObject>(context), std::move(done)});
    // Never longer than the startup wait, whatever the servers do.
    QTimer::singleShot(m_options.startupWaitMs, this, [this] {
        const auto waiters = std::exchange(m_waiters, {});
        for (const auto &[ctx, fn] : waiters) {
            if (ctx)
                fn();
        }
    });
    settleWaiters();
}

void McpServerRegistry::settleWaiters()
{
    for (const auto &[name, s] : m_servers) {
        if (s->wanted && (s->state == QLatin1String("starting") || s->state == QLatin1String("stopped")))
            return;
    }
    const auto waiters = std::exchange(m_waiters, {});
    for (const auto &[ctx, fn] : waiters) {
        if (ctx)
            QTimer::singleShot(0, ctx, fn);
    }
}

bool McpServerRegistry::mayProvide(const QString &toolName) const
{
    for (const auto &[name, s] : m_servers) {
        if (s->config.enabled && toolName.startsWith(McpTool::spoolName(name, QString())))
            return true;
    }
    return false;
}

void McpServerRegistry::stopAll()
{
    m_stopping = true;
    const auto ids = m_questions.keys();
    for (const QString &id : ids)
        closeQuestion(id, QStringLiteral("cancel"), {}, QStringLiteral("system"));
    for (auto &[name, s] : m_servers) {
        unregisterTools(*s);
        s->restartTimer->stop();
        s->wanted = false;
        ++s->generation;
        // Deleting the client ends a stdio server's process group at once (SIGKILL): the
        // process is going, there is no time for a polite close.
        delete s->client.data();
        s->client = nullptr;
    }
    m_stopping = false;
}

void McpServerRegistry::stopServer(Server &s, const QString &state)
{
    s.restartTimer->stop();
    s.wanted = false;
    ++s.generation;
    unregisterTools(s);
    if (McpClient *client = s.client.data()) {
        s.client = nullptr;
        client->disconnect(this);
        // A polite close (stdin, SIGTERM, SIGKILL after a grace), then the client goes.
        connect(client, &McpClient::closed, client, &QObject::deleteLater);
        client->stop();
        QTimer::singleShot(10000, client, &QObject::deleteLater);
    }
    s.state = state;
    s.error.clear();
    s.pid = 0;
    s.restartAt = 0;
    s.readyAt = 0;
    changed(s);
}

void McpServerRegistry::startServer(Server &s)
{
    if (!s.config.enabled) {
        s.state = QStringLiteral("disabled");
        changed(s);
        return;
    }
    const int generation = ++s.generation;
    const QString name = s.config.name;
    s.state = QStringLiteral("starting");
    s.error.clear();
    s.restartAt = 0;
    changed(s);

    // The secrets first (asynchronously, from the keychain), then the sandbox probe.
    struct Gathered
    {
        QMap<QString, QString> env;
        QMap<QString, QString> headers;
        int pending = 0;
        QString problem;
    };
    auto gathered = std::make_shared<Gathered>();
    auto proceed = [this, name, generation, gathered] {
        Server *t = find(name);
        if (!t || t->generation != generation)
            return;
        if (!gathered->problem.isEmpty()) {
            t->state = QStringLiteral("failed");
            t->error = gathered->problem;
            appendLog(*t, QStringLiteral("client"), gathered->problem);
            changed(*t);
            settleWaiters();
            return;
        }
        if (!t->config.sandbox) {
            launch(*t, gathered->env, gathered->headers);
            return;
        }
        m_probe->whenKnown(this, [this, name, generation, gathered] {
            Server *u = find(name);
            if (!u || u->generation != generation)
                return;
            if (m_probe->state() != SandboxProbe::State::Usable) {
                u->state = QStringLiteral("failed");
                u->error = QStringLiteral("the server should run in the sandbox, and none is available: %1").arg(m_probe->problem());
                appendLog(*u, QStringLiteral("client"), u->error);
                changed(*u);
                settleWaiters();
                return;
            }
            launch(*u, gathered->env, gathered->headers);
        });
    };
    QList<std::tuple<QString, QString, QString>> wanted; // kind, key, ref
    for (const QString &key : s.config.secretEnv)
        wanted.append({QStringLiteral("env"), key, s.config.secretRef(QStringLiteral("env"), key)});
    for (const QString &key : s.config.secretHeaders)
        wanted.append({QStringLiteral("header"), key, s.config.secretRef(QStringLiteral("header"), key)});
    if (wanted.isEmpty()) {
        proceed();
        return;
    }
    gathered->pending = int(wanted.size());
    for (const auto &[kind, key, ref] : wanted) {
        m_secrets.read(ref, this, [gathered, proceed, kind, key, name](const Result<QString> &r) {
            if (!r)
                gathered->problem = QStringLiteral("the secret %1 of the MCP server %2 cannot be read from the keychain: %3")
                                            .arg(key, name, r.errorMessage());
            else if (kind == QLatin1String("env"))
                gathered->env.insert(key, *r);
            else
                gathered->headers.insert(key, *r);
            if (--gathered->pending == 0)
                proceed();
        });
    }
}

void McpServerRegistry::launch(Server &s, const QMap<QString, QString> &secretEnv,
                               const QMap<QString, QString> &secretHeaders)
{
    const McpServerConfig &c = s.config;
    s.signInAsked = false;
    McpClientOptions options;
    options.toolTimeoutMs = c.callTimeoutSeconds * 1000;
    options.maxToolTimeoutMs = qMax(options.toolTimeoutMs, options.maxToolTimeoutMs);
    // A remote server may first send the user to sign in, which takes a person's time.
    options.initializeTimeoutMs = c.isRemote() ? qMax(m_options.initializeTimeoutMs, 5 * 60 * 1000)
                                               : m_options.initializeTimeoutMs;

    McpTransport *transport = nullptr;
    if (c.isRemote()) {
        McpHttpConfig config;
        config.url = QUrl(c.url);
        config.headers = c.headers;
        for (auto it = secretHeaders.cbegin(); it != secretHeaders.cend(); ++it)
            config.headers.insert(it.key(), it.value());
        auto *http = new McpHttpTransport(config, m_network);
        McpOAuthConfig oauth;
        oauth.clientId = c.oauthClientId;
        auto *flow = new McpOAuthFlow(config.url, oauth, m_network, s.browser.get(), s.tokens.get(), http);
        const QString name = c.name;
        connect(flow, &McpOAuthFlow::progress, this, [this, name](const QString &text) {
            if (Server *t = find(name))
                appendLog(*t, QStringLiteral("client"), QStringLiteral("sign-in: ") + text);
        });
        http->setOAuthFlow(flow);
        transport = http;
        s.sandbox.clear();
    } else {
        McpStdioConfig config;
        config.command = c.command;
        config.args = c.args;
        config.env = c.env;
        for (auto it = secretEnv.cbegin(); it != secretEnv.cend(); ++it)
            config.env.insert(it.key(), it.value());
        config.workingDirectory = c.cwd;
        config.extraPath = m_options.extraPath;
        if (c.sandbox) {
            // Nothing of Spool's environment gets in: only what the server's entry sets, plus
            // what any program needs.
            config.inheritEnvironment = false;
            config.env.insert(QStringLiteral("HOME"), QStringLiteral("/tmp"));
            config.env.insert(QStringLiteral("TMPDIR"), QStringLiteral("/tmp"));
            if (!config.env.contains(QStringLiteral("LANG")))
                config.env.insert(QStringLiteral("LANG"), QStringLiteral("C.UTF-8"));
            config.env.insert(QStringLiteral("SPOOL_SANDBOX"), QStringLiteral("bwrap"));
            for (auto it = secretEnv.cbegin(); it != secretEnv.cend(); ++it)
                config.env.insert(it.key(), it.value());
            const QString bwrap = m_probe->bwrapPath();
            const bool disableUserns = m_probe->disableUserns();
            config.wrapper = [c, bwrap, disableUserns](const QString &program, const QStringList &args)
                    -> Result<QStringList> {
                ShellExecTool::SandboxSpec spec;
                spec.network = c.sandboxNetwork;
                spec.disableUserns = disableUserns;
                spec.keepEnvironment = true;
                spec.extraReadOnlyPaths = c.readOnlyPaths + installPrefixes(program);
                spec.extraReadWritePaths = c.readWritePaths;
                spec.chdir = c.cwd;
                return QStringList{bwrap} + ShellExecTool::bubblewrapArguments(spec, QStringList{program} + args);
            };
            s.sandbox = QStringLiteral("bwrap");
        } else {
            s.sandbox = QStringLiteral("none");
        }
        config.reaper = m_reaper;
        transport = new McpStdioTransport(config);
    }

    auto *client = new McpClient(transport, options, this);
    client->setServerName(c.name);
    client->setElicitationHandler(s.elicitation.get());
    s.client = client;
    const QString name = c.name;
    const int generation = s.generation;
    auto mine = [this, name, generation, client]() -> Server * {
        Server *t = find(name);
        return t && t->generation == generation && t->client == client ? t : nullptr;
    };
    connect(client, &McpClient::serverLogAppended, this, [this, mine](const QString &source, const QString &text) {
        if (Server *t = mine())
            appendLog(*t, source, text);
    });
    connect(client, &McpClient::ready, this, [this, mine, client] {
        if (Server *t = mine())
            onReady(*t, client);
    });
    connect(client, &McpClient::toolsChanged, this, [this, mine, client] {
        if (Server *t = mine()) {
            t->listed = client->tools();
            syncTools(*t);
            changed(*t);
        }
    });
    connect(client, &McpClient::closed, this, [this, mine, client](const Error &error) {
        if (Server *t = mine())
            onClosed(*t, client, error.isError() ? error : client->lastError());
        client->deleteLater();
    });
    if (auto *stdio = qobject_cast<McpStdioTransport *>(transport)) {
        connect(stdio, &McpTransport::opened, this, [this, mine, stdio] {
            if (Server *t = mine()) {
                t->pid = stdio->processGroup();
                changed(*t);
            }
        });
    }
    client->start();
}

void McpServerRegistry::onReady(Server &s, McpClient *client)
{
    s.state = QStringLiteral("ready");
    s.error.clear();
    s.readyAt = now();
    s.protocolVersion = client->protocolVersion();
    s.serverInfo = client->serverInfo();
    s.instructions = client->instructions();
    s.listed = client->tools();
    appendLog(s, QStringLiteral("client"),
              QStringLiteral("ready: %1 %2, protocol %3, %4 tools")
                      .arg(s.serverInfo.value(QStringLiteral("name")).toString(),
                           s.serverInfo.value(QStringLiteral("version")).toString(), s.protocolVersion)
                      .arg(s.listed.size()));
    syncTools(s);
    changed(s);
    settleWaiters();
}

void McpServerRegistry::onClosed(Server &s, McpClient *client, const Error &error)
{
    Q_UNUSED(client);
    s.client = nullptr;
    s.pid = 0;
    if (m_stopping || !s.wanted) {
        unregisterTools(s);
        return;
    }
    QString why
        = error.isError() ? error.message : QStringLiteral("the server closed the connection");
    const bool neverReady = s.readyAt == 0;
    // What starting again cannot mend ends the server as failed, with the reason: a missing
    // command, a sign-in the user did not finish (a restart would only open the browser again),
    // a sandbox bubblewrap could not set up, a program not found (exit code 127).
    bool giveUp = error.code == ErrorCode::NotFound || error.code == ErrorCode::InvalidArgument;
    if (neverReady && s.signInAsked) {
        why = QStringLiteral("the sign-in did not finish: %1. Sign in again with Test in Settings "
                             "→ MCP servers or `spool mcp test %2`")
                  .arg(why, s.config.name);
        giveUp = true;
    } else if (neverReady && s.sandbox == QLatin1String("bwrap")) {
        const qsizetype at = why.indexOf(QLatin1String("\nbwrap: "));
        if (at >= 0) {
            const QString line = why.mid(at + 1).section(QLatin1Char('\n'), 0, 0);
            QString hint;
            if (line.contains(QLatin1String("execvp")))
                hint
                    = QStringLiteral(
                          "; the command %1 or the interpreter its first line names is not visible "
                          "inside the sandbox: add its folder to the paths the server may read")
                          .arg(s.config.command);
            else if (line.contains(QLatin1String("chdir")))
                hint = QStringLiteral("; its working folder %1 is not visible inside the sandbox: "
                                      "add it to the paths the server may read or write")
                           .arg(s.config.cwd);
            why = QStringLiteral("the sandbox could not start the server (%1)%2").arg(line, hint);
            giveUp = true;
        }
    }
    if (!giveUp && neverReady && why.contains(QLatin1String("the server exited with code 127"))) {
        // 127: a shell or env did not find a program the server runs; nor will a restart.
        why += s.sandbox == QLatin1String("bwrap")
            ? QStringLiteral(
                "\nA program it runs is not visible inside the sandbox: add its folder to the "
                "paths the server may read.")
            : QStringLiteral("\nA program it runs was not found.");
        giveUp = true;
    }
    s.error = why;
    if (giveUp) {
        appendLog(s, QStringLiteral("client"), why);
        unregisterTools(s);
        s.state = QStringLiteral("failed");
        changed(s);
        settleWaiters();
        return;
    }
    scheduleRestart(s, why);
}

void McpServerRegistry::scheduleRestart(Server &s, const QString &why)
{
    // A server that ran a good while before it ended starts its count over.
    if (s.readyAt > 0 && now() - s.readyAt >= m_options.stableAfterMs)
        s.restarts = 0;
    s.readyAt = 0;
    if (s.restarts >= m_options.maxRestarts) {
        unregisterTools(s);
        s.state = QStringLiteral("failed");
        s.error = QStringLiteral("%1 (gave up after %2 restarts; restart it from Settings or `spool mcp test %3`)")
                          .arg(why)
                          .arg(s.restarts)
                          .arg(s.config.name);
        appendLog(s, QStringLiteral("client"), s.error);
        changed(s);
        settleWaiters();
        return;
    }
    const int delay = int(qMin<qint64>(qint64(m_options.restartBaseMs) << s.restarts, m_options.restartMaxMs));
    ++s.restarts;
    s.state = QStringLiteral("restarting");
    s.restartAt = now() + delay;
    appendLog(s, QStringLiteral("client"),
              QStringLiteral("the server ended (%1); restart %2 of %3 in %4 ms")
                      .arg(why)
                      .arg(s.restarts)
                      .arg(m_options.maxRestarts)
                      .arg(delay));
    s.restartTimer->start(delay);
    changed(s);
    settleWaiters();
}

void McpServerRegistry::syncTools(Server &s)
{
    if (s.state != QLatin1String("ready")) {
        return;
    }
    QStringList offered;
    s.problems.clear();
    int count = 0;
    QJsonObject preview{{QStringLiteral("transport"), s.config.transportName()},
                        {QStringLiteral("target"), s.config.describe()}};
    if (!s.sandbox.isEmpty())
        preview.insert(QStringLiteral("sandbox"), s.sandbox);
    for (const McpToolInfo &info : std::as_const(s.listed)) {
        if (!s.config.toolEnabled(info.name))
            continue;
        if (count >= s.config.maxTools) {
            s.problems.insert(info.name, QStringLiteral("over the server's limit of %1 tools; disable others to offer it")
                                                 .arg(s.config.maxTools));
            continue;
        }
        const ToolSpec spec = McpTool::specFor(s.config.name, info, s.protocolVersion, s.config.agents);
        auto tool = std::make_unique<McpTool>(spec, this, s.config.callTimeoutSeconds * 1000, preview);
        if (Status put = m_tools.put(std::move(tool)); !put) {
            s.problems.insert(info.name, put.errorMessage());
            appendLog(s, QStringLiteral("client"), QStringLiteral("the tool %1 is not offered: %2").arg(info.name, put.errorMessage()));
            continue;
        }
        offered.append(spec.name);
        ++count;
    }
    if (s.listed.size() > s.config.maxTools && count == s.config.maxTools)
        appendLog(s, QStringLiteral("client"),
                  QStringLiteral("the server lists %1 tools; only %2 are offered to agents (the limit)")
                          .arg(s.listed.size())
                          .arg(s.config.maxTools));
    for (const QString &name : std::as_const(s.offered)) {
        if (!offered.contains(name))
            m_tools.remove(name);
    }
    s.offered = offered;
}

void McpServerRegistry::unregisterTools(Server &s)
{
    for (const QString &name : std::as_const(s.offered))
        m_tools.remove(name);
    s.offered.clear();
}

void McpServerRegistry::appendLog(Server &s, const QString &source, const QString &text)
{
    s.log.append(source, text);
    emit logAppended(s.config.name, McpLogEntry{now(), source, text});
}

void McpServerRegistry::changed(Server &s)
{
    emit statusChanged(s.config.name);
}

McpServerStatus McpServerRegistry::statusOf(const Server &s) const
{
    McpServerStatus st;
    st.config = s.config;
    st.state = s.state;
    st.error = s.error;
    st.protocolVersion = s.protocolVersion;
    st.serverName = s.serverInfo.value(QStringLiteral("name")).toString();
    st.serverVersion = s.serverInfo.value(QStringLiteral("version")).toString();
    st.instructions = s.instructions;
    st.sandbox = s.config.isRemote() ? QString() : (s.config.sandbox ? QStringLiteral("bwrap") : QStringLiteral("none"));
    st.pid = s.pid;
    st.restarts = s.restarts;
    st.restartAt = s.restartAt;
    st.readyAt = s.readyAt;
    st.signedIn = s.tokens && s.tokens->hasCredentials();
    st.listedTools = int(s.listed.size());
    for (const McpToolInfo &info : s.listed) {
        McpToolState t;
        t.name = info.name;
        t.spoolName = McpTool::spoolName(s.config.name, info.name);
        t.title = info.title;
        t.description = info.description;
        t.inputSchema = info.inputSchema;
        t.annotations = info.annotations;
        t.enabled = s.config.toolEnabled(info.name);
        t.offered = s.offered.contains(t.spoolName);
        t.problem = s.problems.value(info.name);
        st.tools.append(t);
    }
    return st;
}

QList<McpServerStatus> McpServerRegistry::servers()
{
    reload();
    return statuses();
}

QList<McpServerStatus> McpServerRegistry::statuses() const
{
    QList<McpServerStatus> out;
    for (const auto &[name, s] : m_servers)
        out.append(statusOf(*s));
    return out;
}

Result<McpServerStatus> McpServerRegistry::status(const QString &name) const
{
    if (Server *s = find(name))
        return statusOf(*s);
    return makeError(ErrorCode::NotFound, QStringLiteral("there is no MCP server named %1").arg(name));
}

Result<QList<McpLogEntry>> McpServerRegistry::log(const QString &name) const
{
    Server *s = find(name);
    if (!s)
        return makeError(ErrorCode::NotFound, QStringLiteral("there is no MCP server named %1").arg(name));
    QList<McpLogEntry> out;
    for (const McpServerLog::Line &line : s->log.lines())
        out.append(McpLogEntry{line.time.toMSecsSinceEpoch(), line.source, line.text});
    return out;
}

// --- calls and questions ------------------------------------------------------------------

McpClient *McpServerRegistry::readyClient(const QString &server, QString *whyNot) const
{
    Server *s = find(server);
    if (!s) {
        *whyNot = QStringLiteral("The MCP server \"%1\" is no longer configured.").arg(server);
        return nullptr;
    }
    if (s->state == QLatin1String("ready") && s->client)
        return s->client;
    if (s->state == QLatin1String("restarting"))
        *whyNot = QStringLiteral("The MCP server \"%1\" stopped (%2) and restarts in %3 s; the call was not run.")
                          .arg(server, s->error)
                          .arg(qMax<qint64>(1, (s->restartAt - now() + 999) / 1000));
    else
        *whyNot = QStringLiteral("The MCP server \"%1\" is not running (%2); the call was not run.")
                          .arg(server, s->error.isEmpty() ? s->state : s->error);
    return nullptr;
}

void McpServerRegistry::beginCall(const QString &server, const QString &runId, const QString &callId,
                                  const QString &tool)
{
    m_calls.insert(callId, Call{server, runId, callId, tool});
}

void McpServerRegistry::endCall(const QString &callId)
{
    m_calls.remove(callId);
    // A question the server asked for this call has no one waiting for its answer any more.
    const auto ids = m_questions.keys();
    for (const QString &id : ids) {
        const auto q = m_questions.value(id);
        if (q && q->question.callId == callId)
            closeQuestion(id, QStringLiteral("cancel"), {}, QStringLiteral("system"));
    }
}

void McpServerRegistry::elicit(const QString &server, const McpElicitation &request,
                               std::function<void(const McpElicitation &)> reply)
{
    auto q = std::make_shared<Question>();
    q->request = request;
    q->reply = std::move(reply);
    McpUserQuestion &question = q->question;
    question.id = Ulid::generate();
    question.server = server;
    question.message = request.message;
    question.mode = request.mode;
    question.schema = request.requestedSchema;
    question.url = request.url;
    question.askedAt = now();
    // The call it belongs to: the newest call to this server in flight (MCP does not say which
    // request a stdio server's question serves).
    for (const Call &call : std::as_const(m_calls)) {
        if (call.server == server) {
            question.runId = call.runId;
            question.callId = call.callId;
            question.tool = call.tool;
        }
    }
    m_questions.insert(question.id, q);
    if (!m_userPresent) {
        if (Server *s = find(server))
            appendLog(*s, QStringLiteral("client"),
                      QStringLiteral("declined the server's question: no one can answer here (no window, no terminal)"));
        closeQuestion(question.id, QStringLiteral("decline"), {}, QStringLiteral("system"));
        return;
    }
    emit questionAsked(question);
}

Status McpServerRegistry::answer(const QString &questionId, const QString &action, const QJsonObject &content,
                                 const QString &by)
{
    if (!m_questions.contains(questionId))
        return makeError(ErrorCode::NotFound, QStringLiteral("no open question %1 (answered already, or its call ended)")
                                                      .arg(questionId));
    if (action != QLatin1String("accept") && action != QLatin1String("decline") && action != QLatin1String("cancel"))
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("the answer must be accept, decline or cancel"));
    closeQuestion(questionId, action, content, by);
    return {};
}

QList<McpUserQuestion> McpServerRegistry::pendingQuestions() const
{
    QList<McpUserQuestion> out;
    for (const auto &q : m_questions)
        out.append(q->question);
    return out;
}

void McpServerRegistry::closeQuestion(const QString &id, const QString &action, const QJsonObject &content,
                                      const QString &by)
{
    const auto q = m_questions.take(id);
    if (!q)
        return;
    McpElicitation answer = q->request;
    answer.action = action == QLatin1String("accept")    ? McpElicitation::Action::Accept
                  : action == QLatin1String("decline") ? McpElicitation::Action::Decline
                                                       : McpElicitation::Action::Cancel;
    answer.content = content;
    q->question.action = questionAction(answer.action);
    q->question.answeredBy = by;
    if (answer.action == McpElicitation::Action::Accept && answer.mode == QLatin1String("form"))
        q->question.content = McpElicitation::withDefaults(answer.requestedSchema, content);
    if (q->reply)
        q->reply(answer);
    emit questionAnswered(q->question);
}

} // namespace Spool
