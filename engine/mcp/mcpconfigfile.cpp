#include "mcp/mcpconfigfile.h"

#include "core/datapaths.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSaveFile>

namespace Spool {

McpConfigFile::McpConfigFile(QString path) : m_path(std::move(path)) {}

McpConfigFile::Stamp McpConfigFile::stamp() const
{
    const QFileInfo info(m_path);
    Stamp s;
    s.exists = info.exists();
    if (s.exists) {
        s.modified = info.lastModified();
        s.size = info.size();
    }
    return s;
}

bool McpConfigFile::changed() const
{
    return !m_everLoaded || !(stamp() == m_loaded);
}

Result<QList<std::pair<QString, QJsonObject>>> McpConfigFile::entries(const QByteArray &json)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("not valid JSON (%1 at offset %2)").arg(error.errorString()).arg(error.offset));
    if (!doc.isObject())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("the file is not a JSON object"));
    const QJsonObject root = doc.object();
    QJsonValue servers = root.value(QStringLiteral("mcpServers"));
    if (servers.isUndefined())
        servers = root.value(QStringLiteral("servers"));
    if (servers.isUndefined())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the file has no \"mcpServers\" (or \"servers\") object"));
    if (!servers.isObject())
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("\"mcpServers\" must be an object"));
    QList<std::pair<QString, QJsonObject>> out;
    const QJsonObject object = servers.toObject();
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (!it.value().isObject())
            return makeError(ErrorCode::InvalidArgument,
                             QStringLiteral("the server \"%1\" is not a JSON object").arg(it.key()));
        out.append({it.key(), it.value().toObject()});
    }
    return out;
}

Result<McpConfigFile::Contents> McpConfigFile::load()
{
    const Stamp before = stamp();
    m_loaded = before;
    m_everLoaded = true;
    Contents contents;
    if (!before.exists)
        return contents;
    QFile file(m_path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Storage, QStringLiteral("cannot read %1: %2").arg(m_path, file.errorString()));
    auto list = entries(file.readAll());
    if (!list)
        return makeError(ErrorCode::InvalidArgument, QStringLiteral("%1: %2").arg(m_path, list.errorMessage()));
    for (const auto &[name, entry] : *list) {
        auto config = McpServerConfig::fromJson(name, entry);
        if (!config)
            contents.problems.append(config.errorMessage());
        else
            contents.servers.append(*config);
    }
    return contents;
}

Status McpConfigFile::save(const QList<McpServerConfig> &servers)
{
    const QFileInfo info(m_path);
    if (Status s = DataPaths::ensurePrivateDir(info.absolutePath()); !s)
        return s;
    // Keep what else the file holds (another app's keys, the user's notes).
    QJsonObject root;
    QFile existing(m_path);
    if (existing.open(QIODevice::ReadOnly)) {
        const QJsonDocument doc = QJsonDocument::fromJson(existing.readAll());
        if (doc.isObject())
            root = doc.object();
    }
    QJsonObject map;
    for (const McpServerConfig &c : servers)
        map.insert(c.name, c.toJson());
    root.remove(QStringLiteral("servers"));
    root.insert(QStringLiteral("mcpServers"), map);
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::Storage, QStringLiteral("cannot write %1: %2").arg(m_path, file.errorString()));
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return makeError(ErrorCode::Storage, QStringLiteral("cannot write %1: %2").arg(m_path, file.errorString()));
    m_loaded = stamp();
    m_everLoaded = true;
    return {};
}

} // namespace Spool
