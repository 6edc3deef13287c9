#pragma once

#include <QHashFunctions>
#include <QString>
#include <QStringView>

namespace Spool::Cedar {

// An entity's identity: its type (a possibly namespaced name such as `Photo` or `App::User`)
// and its id. Two uids name the same entity exactly when both parts are equal.
class EntityUid
{
public:
    EntityUid() = default;
    EntityUid(const QString &type, const QString &id) : m_type(type), m_id(id) {}

    const QString &type() const { return m_type; }
    const QString &id() const { return m_id; }
    bool isNull() const { return m_type.isEmpty(); }

    // Cedar source form, `Type::"id"`, with the id escaped so it parses back.
    QString toString() const;

    // A total order (type, then id), used to keep sets canonical.
    static int compare(const EntityUid &a, const EntityUid &b);

    friend bool operator==(const EntityUid &a, const EntityUid &b)
    {
        return a.m_id == b.m_id && a.m_type == b.m_type;
    }
    friend bool operator!=(const EntityUid &a, const EntityUid &b) { return !(a == b); }
    friend size_t qHash(const EntityUid &uid, size_t seed = 0)
    {
        return qHashMulti(seed, uid.m_type, uid.m_id);
    }

private:
    QString m_type;
    QString m_id;
};

// `text` as a Cedar string literal: quoted, with quotes, backslashes and control characters
// escaped.
QString quotedCedarString(QStringView text);

// The last component of a type name: `Action` for `App::Action`.
QStringView unqualifiedTypeName(QStringView type);

} // namespace Spool::Cedar
