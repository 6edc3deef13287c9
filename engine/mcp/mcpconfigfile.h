#pragma once

#include "core/result.h"
#include "mcp/mcpserverconfig.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace Spool {

// <config>/mcp.json: {"mcpServers": {"<name>": {...}}}, the form Claude Desktop and others use,
// so an entry can be pasted in from their documentation; Spool's own settings of a server are
// under its "spool" key. Written atomically and readable only by the user (it may hold plain
// env values). Other top-level keys are kept as they were.
class McpConfigFile
{
public:
    explicit McpConfigFile(QString path);

    QString path() const { return m_path; }

    struct Contents
    {
        QList<McpServerConfig> servers;
        QStringList problems; // entries that could not be read, each naming its server
    };
    // A missing file is no servers. A file that is not a JSON object with an mcpServers object
    // is an error (and nothing is loaded from it).
    Result<Contents> load();
    Status save(const QList<McpServerConfig> &servers);
    // Whether the file changed (or appeared, or went) since the last load or save.
    bool changed() const;

    // The entries of another app's configuration: "mcpServers" (Claude Desktop, Cursor, LM
    // Studio, ...) or "servers" (VS Code), by name.
    static Result<QList<std::pair<QString, QJsonObject>>> entries(const QByteArray &json);

private:
    struct Stamp
    {
        bool exists = false;
        QDateTime modified;
        qint64 size = -1;
        bool operator==(const Stamp &o) const { return exists == o.exists && modified == o.modified && size == o.size; }
    };
    Stamp stamp() const;

    QString m_path;
    Stamp m_loaded;
    bool m_everLoaded = false;
};

} // namespace Spool
