#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrlQuery>

namespace Spool {

// One HTTP request as the local API handles it: a plain value, copied out of the HTTP
// library's parse as soon as the request is complete.
struct ApiRequest
{
    QByteArray method;  // GET, POST, ... (UNKNOWN for a method the parser did not name)
    QString path;       // decoded, e.g. /v1/chat/completions
    QUrlQuery query;
    QList<QPair<QByteArray, QByteArray>> headers; // names in lower case, in arrival order
    QByteArray body;
    QHostAddress peer;
    QString id;         // x-request-id of the answer

    // The value of a header (name in lower case); repeated headers are joined with ", ".
    QByteArray header(const QByteArray &name) const;
    int headerCount(const QByteArray &name) const;
    // The path split on "/", without the empty first part: /v1/models -> {"v1", "models"}.
    QStringList segments() const;
    bool queryFlag(const QString &name) const; // ?name, ?name=1, ?name=true
};

} // namespace Spool
