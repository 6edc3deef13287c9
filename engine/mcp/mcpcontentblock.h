#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace Spool {

// One item of a tool result's `content` array. Binary payloads stay base64 as the server sent
// them (`data`); decoded() decodes on demand so a 20 MB image is not held twice.
struct McpContentBlock
{
    enum class Type { Text, Image, Audio, Resource, ResourceLink, Unknown };

    Type type = Type::Unknown;
    QString text;        // Text; Resource with a text body
    QByteArray data;     // base64: Image, Audio; Resource with a blob body
    QString mimeType;    // Image, Audio, Resource, ResourceLink
    QString uri;         // Resource, ResourceLink
    QString name;        // ResourceLink
    QString description; // ResourceLink
    QJsonObject raw;     // the whole item, annotations and _meta included

    QByteArray decoded() const { return QByteArray::fromBase64(data); }
    static McpContentBlock fromJson(const QJsonObject &o);
    static QString typeName(Type type);
};

} // namespace Spool
