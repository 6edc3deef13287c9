#pragma once

#include "core/result.h"
#include "policy/cedar/entitystore.h"
#include "policy/cedar/schema.h"
#include "policy/cedar/value.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>

namespace Spool::Cedar {

// Reads Cedar's JSON data formats (https://docs.cedarpolicy.com/auth/entities-syntax.html):
// values, entities and request contexts.
//
// JSON booleans, integers, strings, arrays and objects become Cedar booleans, longs, strings,
// sets and records; `{"__entity": {"type": ..., "id": ...}}` is an entity reference and
// `{"__extn": {"fn": ..., "arg": ...}}` an extension value. When a schema type is known, the
// value is read as that type, which also accepts the shorter forms Cedar accepts there:
// `{"type": ..., "id": ...}` for an entity and a plain string for an extension value.
class JsonFormat
{
public:
    // `expected` may be null (no schema information).
    static Result<Value> valueFromJson(const QJsonValue &json, const SchemaType *expected = nullptr);

    // `{"type": ..., "id": ...}`, or the same wrapped in `__entity`.
    static Result<EntityUid> entityUidFromJson(const QJsonValue &json);

    // An array of `{uid, attrs, parents, tags}`. With a schema, attributes and tags are typed
    // by it and the schema's actions (with their groups) are added; ancestors are computed.
    static Result<EntityStore> entitiesFromJson(const QJsonArray &json, const Schema *schema = nullptr);

    // A request context, typed by the action's context in the schema when there is one.
    static Result<Value> contextFromJson(const QJsonObject &json, const Schema *schema,
                                         const EntityUid &action);
};

} // namespace Spool::Cedar
