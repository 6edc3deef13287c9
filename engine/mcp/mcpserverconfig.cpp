#include "mcp/mcpserverconfig.h"

#include <QDir>
#include <QJsonArray>
#include <QRegularExpression>
#include <QUrl>

namespace Spool {

namespace {

QJsonObject mapToJson(const QMap<QString, QString> &map)
{
    QJsonObject o;
    for (auto it = map.cbegin(); it != map.cend(); ++it)
        o.insert(it.key(), it.value());
    return o;
}

// Reads `key` of `o` into `out` when present; a value of another type is an error.
Status readString(const QJsonObject &o, const QString &key, QString *out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return {};
    if (!v.isString())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("\"%1\" must be a string").arg(key));
    *out = v.toString();
    return {};
}

Status readStringList(const QJsonObject &o, const QString &key, QStringList *out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return {};
    if (!v.isArray())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("\"%1\" must be a list of strings").arg(key));
    QStringList list;
    for (const QJsonValue &item : v.toArray()) {
        if (!item.isString())
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("\"%1\" must be a list of strings").arg(key));
        list.append(item.toString());
    }
    *out = list;
    return {};
}

Status readMap(const QJsonObject &o, const QString &key, QMap<QString, QString> *out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return {};
    if (!v.isObject())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("\"%1\" must be an object of strings").arg(key));
    QMap<QString, QString> map;
    const QJsonObject obj = v.toObject();
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        // Numbers and booleans are written unquoted by hand often enough; they mean their text.
        if (it.value().isString())
            map.insert(it.key(), it.value().toString());
        else if (it.value().isDouble())
            map.insert(it.key(), QString::number(it.value().toDouble(), 'g', 15));
        else if (it.value().isBool())
            map.insert(it.key(), it.value().toBool() ? QStringLiteral("true") : QStringLiteral("false"));
        else
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("\"%1\".\"%2\" must be a string").arg(key, it.key()));
    }
    *out = map;
    return {};
}

Status readBool(const QJsonObject &o, const QString &key, bool *out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return {};
    if (!v.isBool())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("\"%1\" must be true or false").arg(key));
    *out = v.toBool();
    return {};
}

Status readInt(const QJsonObject &o, const QString &key, int *out)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return {};
    if (!v.isDouble() || v.toDouble() != double(v.toInteger()))
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("\"%1\" must be a whole number").arg(key));
    *out = int(qBound<qint64>(qint64(INT_MIN), v.toInteger(), qint64(INT_MAX)));
    return {};
}

// localhost, 127.0.0.0/8 or ::1 (value types use QtCore only, so no QHostAddress here).
bool isLoopbackHost(const QString &host)
{
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0 || host == QLatin1String("::1"))
        return true;
    static const QRegularExpression ipv4Loopback(QStringLiteral("^127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$"));
    return ipv4Loopback.match(host).hasMatch();
}

} // namespace

QString McpServerConfig::describe() const
{
    if (isRemote())
        return url;
    QStringList words{command};
    words += args;
    return words.join(QLatin1Char(' '));
}

bool McpServerConfig::isValidName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9_-]{1,48}$"));
    return pattern.match(name).hasMatch();
}

Status McpServerConfig::validate() const
{
    auto invalid = [this](const QString &why) {
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("MCP server \"%1\": %2").arg(name, why));
    };
    if (!isValidName(name))
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("\"%1\" is not a valid MCP server name: use letters, digits, '-' and "
                                        "'_' (at most 48, no dots, since its tools are named mcp.<server>.<tool>)")
                                 .arg(name));
    if (command.trimmed().isEmpty() == url.trimmed().isEmpty())
        return invalid(QStringLiteral("give either a command (a stdio server) or a url (a remote server)"));
    if (isRemote()) {
        const QUrl u(url, QUrl::StrictMode);
        if (!u.isValid() || u.host().isEmpty()
            || (u.scheme() != QLatin1String("https") && u.scheme() != QLatin1String("http")))
            return invalid(QStringLiteral("\"%1\" is not an http(s) URL").arg(url));
        // Keys and tokens must not cross a network in clear; loopback is the exception the MCP
        // specification makes too.
        if (u.scheme() == QLatin1String("http") && !isLoopbackHost(u.host()))
            return invalid(QStringLiteral("a remote server must use https (plain http only on this computer: "
                                          "localhost, 127.0.0.1, ::1)"));
        if (sandbox)
            return invalid(QStringLiteral("only stdio servers run in the sandbox"));
    }
    for (const QString &key : secretEnv) {
        if (env.contains(key))
            return invalid(QStringLiteral("%1 is both a plain and a secret variable").arg(key));
    }
    for (const QString &key : secretHeaders) {
        if (headers.contains(key))
            return invalid(QStringLiteral("%1 is both a plain and a secret header").arg(key));
    }
    for (const QString &path : readOnlyPaths + readWritePaths) {
        if (!QDir::isAbsolutePath(path))
            return invalid(QStringLiteral("sandbox paths must be absolute: %1").arg(path));
    }
    if (callTimeoutSeconds < 1 || callTimeoutSeconds > 86400)
        return invalid(QStringLiteral("the call timeout must be between 1 s and 24 h"));
    if (maxTools < 1 || maxTools > 10000)
        return invalid(QStringLiteral("the tool limit must be between 1 and 10000"));
    return {};
}

QString McpServerConfig::secretRef(const QString &kind, const QString &key) const
{
    return QStringLiteral("mcp/%1/%2/%3").arg(name, kind, key);
}

QJsonObject McpServerConfig::toJson() const
{
    QJsonObject o;
    if (isRemote()) {
        o.insert(QStringLiteral("type"), QStringLiteral("http"));
        o.insert(QStringLiteral("url"), url);
        if (!headers.isEmpty())
            o.insert(QStringLiteral("headers"), mapToJson(headers));
    } else {
        o.insert(QStringLiteral("command"), command);
        o.insert(QStringLiteral("args"), QJsonArray::fromStringList(args));
        if (!env.isEmpty())
            o.insert(QStringLiteral("env"), mapToJson(env));
        if (!cwd.isEmpty())
            o.insert(QStringLiteral("cwd"), cwd);
    }
    QJsonObject spool{{QStringLiteral("enabled"), enabled}};
    if (!disabledTools.isEmpty())
        spool.insert(QStringLiteral("disabledTools"), QJsonArray::fromStringList(disabledTools));
    if (!agents.isEmpty())
        spool.insert(QStringLiteral("agents"), QJsonArray::fromStringList(agents));
    if (!secretEnv.isEmpty())
        spool.insert(QStringLiteral("secretEnv"), QJsonArray::fromStringList(secretEnv));
    if (!secretHeaders.isEmpty())
        spool.insert(QStringLiteral("secretHeaders"), QJsonArray::fromStringList(secretHeaders));
    if (sandbox || sandboxNetwork || !readOnlyPaths.isEmpty() || !readWritePaths.isEmpty()) {
        spool.insert(QStringLiteral("sandbox"),
                     QJsonObject{{QStringLiteral("enabled"), sandbox},
                                 {QStringLiteral("network"), sandboxNetwork},
                                 {QStringLiteral("readOnly"), QJsonArray::fromStringList(readOnlyPaths)},
                                 {QStringLiteral("readWrite"), QJsonArray::fromStringList(readWritePaths)}});
    }
    if (callTimeoutSeconds != McpServerConfig().callTimeoutSeconds)
        spool.insert(QStringLiteral("callTimeoutSeconds"), callTimeoutSeconds);
    if (maxTools != McpServerConfig().maxTools)
        spool.insert(QStringLiteral("maxTools"), maxTools);
    if (!oauthClientId.isEmpty())
        spool.insert(QStringLiteral("oauthClientId"), oauthClientId);
    o.insert(QStringLiteral("spool"), spool);
    return o;
}

Result<McpServerConfig> McpServerConfig::fromJson(const QString &name, const QJsonObject &entry)
{
    McpServerConfig c;
    c.name = name;
    auto fail = [&name](const Error &e) {
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("MCP server \"%1\": %2").arg(name, e.message));
    };
    for (Status s : {readString(entry, QStringLiteral("command"), &c.command),
                     readStringList(entry, QStringLiteral("args"), &c.args),
                     readMap(entry, QStringLiteral("env"), &c.env),
                     readString(entry, QStringLiteral("cwd"), &c.cwd),
                     readString(entry, QStringLiteral("url"), &c.url),
                     readMap(entry, QStringLiteral("headers"), &c.headers)}) {
        if (!s)
            return fail(s.error());
    }
    // Other apps' ways of switching a server off.
    bool disabled = false;
    if (Status s = readBool(entry, QStringLiteral("disabled"), &disabled); !s)
        return fail(s.error());
    c.enabled = !disabled;

    const QJsonValue spoolValue = entry.value(QStringLiteral("spool"));
    if (!spoolValue.isUndefined() && !spoolValue.isObject())
        return fail(makeError(ErrorCode::InvalidArgument, QStringLiteral("\"spool\" must be an object")));
    const QJsonObject spool = spoolValue.toObject();
    QJsonObject sandbox;
    if (spool.contains(QStringLiteral("sandbox"))) {
        if (!spool.value(QStringLiteral("sandbox")).isObject())
            return fail(makeError(ErrorCode::InvalidArgument, QStringLiteral("\"sandbox\" must be an object")));
        sandbox = spool.value(QStringLiteral("sandbox")).toObject();
    }
    for (Status s : {readBool(spool, QStringLiteral("enabled"), &c.enabled),
                     readStringList(spool, QStringLiteral("disabledTools"), &c.disabledTools),
                     readStringList(spool, QStringLiteral("agents"), &c.agents),
                     readStringList(spool, QStringLiteral("secretEnv"), &c.secretEnv),
                     readStringList(spool, QStringLiteral("secretHeaders"), &c.secretHeaders),
                     readInt(spool, QStringLiteral("callTimeoutSeconds"), &c.callTimeoutSeconds),
                     readInt(spool, QStringLiteral("maxTools"), &c.maxTools),
                     readString(spool, QStringLiteral("oauthClientId"), &c.oauthClientId),
                     readBool(sandbox, QStringLiteral("enabled"), &c.sandbox),
                     readBool(sandbox, QStringLiteral("network"), &c.sandboxNetwork),
                     readStringList(sandbox, QStringLiteral("readOnly"), &c.readOnlyPaths),
                     readStringList(sandbox, QStringLiteral("readWrite"), &c.readWritePaths)}) {
        if (!s)
            return fail(s.error());
    }
    if (Status s = c.validate(); !s)
        return s.error();
    return c;
}

bool McpServerConfig::looksSecret(const QString &name, const QString &value)
{
    static const QRegularExpression secretName(
            QStringLiteral("(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|_PAT$|^PAT_)"),
            QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression secretValue(
            QStringLiteral("^(Bearer|Basic|Token)\\s+\\S|^(sk|pk|rk)-[A-Za-z0-9_-]{8,}|^gh[pousr]_[A-Za-z0-9]{20,}|"
                           "^github_pat_|^xox[abpr]-|^glpat-|^AKIA[0-9A-Z]{16}$"),
            QRegularExpression::CaseInsensitiveOption);
    return secretName.match(name).hasMatch() || secretValue.match(value.trimmed()).hasMatch();
}

} // namespace Spool
