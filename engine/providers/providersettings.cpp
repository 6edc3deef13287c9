#include "providers/providersettings.h"

#include "core/datapaths.h"

#include <QFileInfo>
#include <QSettings>

namespace Spool {

namespace {

const QString kGroup = QStringLiteral("model_providers");

Status settingsStatus(const QSettings &s)
{
    switch (s.status()) {
    case QSettings::NoError: return {};
    case QSettings::AccessError:
        return makeError(ErrorCode::Storage,
                         QStringLiteral("Cannot write %1 (permission denied?).").arg(s.fileName()));
    case QSettings::FormatError:
        return makeError(ErrorCode::Storage,
                         QStringLiteral("%1 is not a valid settings file.").arg(s.fileName()));
    }
    return {};
}

ProviderConfig read(QSettings &s, const QString &name)
{
    ProviderConfig c;
    c.name = name;
    s.beginGroup(name);
    c.kind = ProviderConfig::parseKind(s.value(QStringLiteral("kind")).toString())
                     .value_or(ProviderConfig::Kind(-1));
    c.baseUrl = s.value(QStringLiteral("base_url")).toString();
    c.defaultModel = s.value(QStringLiteral("default_model")).toString();
    c.keyRef = s.value(QStringLiteral("key_ref")).toString();
    c.connectTimeoutMs = s.value(QStringLiteral("connect_timeout_ms"), c.connectTimeoutMs).toInt();
    c.stallTimeoutMs = s.value(QStringLiteral("stall_timeout_ms"), c.stallTimeoutMs).toInt();
    c.maxRetries = s.value(QStringLiteral("max_retries"), c.maxRetries).toInt();
    c.retryBaseDelayMs = s.value(QStringLiteral("retry_base_delay_ms"), c.retryBaseDelayMs).toLongLong();
    c.maxRetryDelayMs = s.value(QStringLiteral("max_retry_delay_ms"), c.maxRetryDelayMs).toLongLong();
    c.maxTokens = s.value(QStringLiteral("max_tokens"), c.maxTokens).toInt();
    c.sendMaxTokens = s.value(QStringLiteral("send_max_tokens"), c.sendMaxTokens).toBool();
    c.contextWindow = qMax(0, s.value(QStringLiteral("context_window"), 0).toInt());
    s.beginGroup(QStringLiteral("headers"));
    for (const QString &header : s.childKeys())
        c.extraHeaders.insert(header, s.value(header).toString());
    s.endGroup();
    s.endGroup();
    return c;
}

} // namespace

ProviderSettings::ProviderSettings(const QString &settingsPath) : m_path(settingsPath) {}

QList<ProviderConfig> ProviderSettings::load(QStringList *warnings) const
{
    QSettings s(m_path, QSettings::IniFormat);
    s.beginGroup(kGroup);
    QList<ProviderConfig> out;
    for (const QString &name : s.childGroups()) {
        ProviderConfig c = read(s, name);
        Status valid = int(c.kind) < 0
                ? Status(makeError(ErrorCode::InvalidArgument,
                                   QStringLiteral("unknown kind (openai or anthropic)")))
                : c.validate();
        if (!valid) {
            if (warnings)
                warnings->append(QStringLiteral("provider \"%1\" in %2 is ignored: %3")
                                         .arg(name, m_path, valid.errorMessage()));
            continue;
        }
        out.append(c);
    }
    return out;
}

Result<ProviderConfig> ProviderSettings::find(const QString &name) const
{
    if (!ProviderConfig::isValidName(name))
        return makeError(ErrorCode::NotFound, QStringLiteral("no provider named \"%1\"").arg(name.left(80)));
    QSettings s(m_path, QSettings::IniFormat);
    s.beginGroup(kGroup);
    if (!s.childGroups().contains(name))
        return makeError(ErrorCode::NotFound, QStringLiteral("no provider named \"%1\"").arg(name));
    ProviderConfig c = read(s, name);
    if (int(c.kind) < 0)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("provider \"%1\" has an unknown kind").arg(name));
    if (Status valid = c.validate(); !valid)
        return valid.error();
    return c;
}

Status ProviderSettings::save(const ProviderConfig &config)
{
    if (Status valid = config.validate(); !valid)
        return valid;
    if (Status dir = DataPaths::ensurePrivateDir(QFileInfo(m_path).absolutePath()); !dir)
        return dir;
    QSettings s(m_path, QSettings::IniFormat);
    s.beginGroup(kGroup);
    s.remove(config.name); // a replaced entry keeps no stale headers
    s.beginGroup(config.name);
    s.setValue(QStringLiteral("kind"), config.kindName());
    s.setValue(QStringLiteral("base_url"), config.baseUrl);
    s.setValue(QStringLiteral("default_model"), config.defaultModel);
    s.setValue(QStringLiteral("key_ref"), config.keyRef);
    s.setValue(QStringLiteral("connect_timeout_ms"), config.connectTimeoutMs);
    s.setValue(QStringLiteral("stall_timeout_ms"), config.stallTimeoutMs);
    s.setValue(QStringLiteral("max_retries"), config.maxRetries);
    s.setValue(QStringLiteral("retry_base_delay_ms"), config.retryBaseDelayMs);
    s.setValue(QStringLiteral("max_retry_delay_ms"), config.maxRetryDelayMs);
    s.setValue(QStringLiteral("max_tokens"), config.maxTokens);
    s.setValue(QStringLiteral("send_max_tokens"), config.sendMaxTokens);
    if (config.contextWindow > 0)
        s.setValue(QStringLiteral("context_window"), config.contextWindow);
    else
        s.remove(QStringLiteral("context_window"));
    s.beginGroup(QStringLiteral("headers"));
    for (auto it = config.extraHeaders.cbegin(); it != config.extraHeaders.cend(); ++it)
        s.setValue(it.key(), it.value());
    s.endGroup();
    s.endGroup();
    s.endGroup();
    s.sync();
    return settingsStatus(s);
}

Status ProviderSettings::remove(const QString &name)
{
    QSettings s(m_path, QSettings::IniFormat);
    s.beginGroup(kGroup);
    if (!ProviderConfig::isValidName(name) || !s.childGroups().contains(name))
        return makeError(ErrorCode::NotFound, QStringLiteral("no provider named \"%1\"").arg(name.left(80)));
    s.remove(name);
    s.endGroup();
    s.sync();
    return settingsStatus(s);
}

} // namespace Spool
