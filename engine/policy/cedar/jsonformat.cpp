#include "policy/cedar/jsonformat.h"

#include "policy/cedar/evaluator.h"

#include <QJsonDocument>


namespace Spool::Cedar {

namespace {

Error jsonError(const QString &message)
{
    return makeError(ErrorCode::InvalidArgument, message);
}

QString shortJson(const QJsonValue &v)
{
    QString text;
    if (v.isObject())
        text = QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    else if (v.isArray())
        text = QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    else if (v.isString())
        text = quotedCedarString(v.toString());
    else
        text = v.toVariant().toString();
    return text.size() > 80 ? text.left(77) + QLatin1String("...") : text;
}

// The extension functions an entity or context JSON may apply with "__extn" (Cedar's JSON
// format also spells ip as "ipaddr").
std::optional<Expr::Function> functionNamed(const QString &name)
{
    using F = Expr::Function;
    static const QList<F> constructors{F::Decimal, F::Ip, F::Datetime, F::Duration,
                                       F::Offset, F::DurationSince, F::ToDate, F::ToTime};
    if (name == QLatin1String("ipaddr"))
        return F::Ip;
    const auto f = Expr::functionNamed(name);
    return f && constructors.contains(*f) ? f : std::nullopt;
}

Result<Value> applyExtension(const QString &fn, const std::vector<Value> &args)
{
    const auto f = functionNamed(fn);
    if (!f)
        return jsonError(QStringLiteral("unknown extension function %1").arg(quotedCedarString(fn)));
    Value result;
    QString error;
    if (!Evaluator::applyFunction(*f, args, result, error))
        return jsonError(error);
    return result;
}

// `{"fn": ..., "arg": ...}` or `{"fn": ..., "args": [...]}` (the inside of `__extn`).
Result<Value> extensionFromJson(const QJsonObject &call)
{
    const QString fn = call.value(QLatin1String("fn")).toString();
    std::vector<Value> args;
    if (call.contains(QLatin1String("arg"))) {
        auto a = JsonFormat::valueFromJson(call.value(QLatin1String("arg")));
        if (!a)
            return a.error();
        args.push_back(*a);
    } else if (call.value(QLatin1String("args")).isArray()) {
        for (const QJsonValue &v : call.value(QLatin1String("args")).toArray()) {
            auto a = JsonFormat::valueFromJson(v);
            if (!a)
                return a.error();
            args.push_back(*a);
        }
    } else {
        return jsonError(QStringLiteral("an extension value needs \"fn\" and \"arg\": %1")
                                 .arg(shortJson(call)));
    }
    return applyExtension(fn, args);
}

Result<Value> longFromJson(const QJsonValue &json)
{
    // Qt keeps integers that fit in 64 bits exactly; toInteger() refuses fractions and
    // out-of-range numbers, which then differ from their double.
    const qint64 n = json.toInteger(0);
    if (double(n) != json.toDouble())
        return jsonError(QStringLiteral("%1 is not a 64-bit integer (Cedar has no fractions)")
                                 .arg(shortJson(json)));
    return Value::fromLong(n);
}

Result<Value> untypedFromJson(const QJsonValue &json)
{
    switch (json.type()) {
    case QJsonValue::Bool:
        return Value::fromBool(json.toBool());
    case QJsonValue::Double:
        return longFromJson(json);
    case QJsonValue::String:
        return Value::fromString(json.toString());
    case QJsonValue::Array: {
        std::vector<Value> elements;
        const QJsonArray array = json.toArray();
        elements.reserve(size_t(array.size()));
        for (const QJsonValue &v : array) {
            auto e = untypedFromJson(v);
            if (!e)
                return e.error();
            elements.push_back(*e);
        }
        return Value::fromSet(std::move(elements));
    }
    case QJsonValue::Object: {
        const QJsonObject object = json.toObject();
        if (object.size() == 1 && object.contains(QLatin1String("__entity"))) {
            auto uid = JsonFormat::entityUidFromJson(object.value(QLatin1String("__entity")));
            if (!uid)
                return uid.error();
            return Value::fromEntity(*uid);
        }
        if (object.size() == 1 && object.contains(QLatin1String("__extn")))
            return extensionFromJson(object.value(QLatin1String("__extn")).toObject());
        std::vector<Value::Field> fields;
        fields.reserve(size_t(object.size()));
        for (auto it = object.begin(); it != object.end(); ++it) {
            auto v = untypedFromJson(it.value());
            if (!v)
                return v.error();
            fields.emplace_back(it.key(), *v);
        }
        return Value::fromRecord(std::move(fields));
    }
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return jsonError(QStringLiteral("null is not a Cedar value"));
}

Result<Value> typedFromJson(const QJsonValue &json, const SchemaType &type)
{
    using K = SchemaType::Kind;
    const QJsonObject object = json.toObject();
    const bool escaped = json.isObject() && object.size() == 1
                         && (object.contains(QLatin1String("__entity"))
                             || object.contains(QLatin1String("__extn")));
    switch (type.kind) {
    case K::Bool:
        if (!json.isBool())
            return jsonError(QStringLiteral("expected a boolean, found %1").arg(shortJson(json)));
        return Value::fromBool(json.toBool());
    case K::Long:
        if (!json.isDouble())
            return jsonError(QStringLiteral("expected an integer, found %1").arg(shortJson(json)));
        return longFromJson(json);
    case K::String:
        if (!json.isString())
            return jsonError(QStringLiteral("expected a string, found %1").arg(shortJson(json)));
        return Value::fromString(json.toString());
    case K::Entity: {
        auto uid = JsonFormat::entityUidFromJson(json);
        if (!uid)
            return uid.error();
        return Value::fromEntity(*uid);
    }
    case K::Set: {
        if (!json.isArray())
            return jsonError(QStringLiteral("expected an array (a set), found %1").arg(shortJson(json)));
        std::vector<Value> elements;
        for (const QJsonValue &v : json.toArray()) {
            auto e = JsonFormat::valueFromJson(v, type.element.get());
            if (!e)
                return e.error();
            elements.push_back(*e);
        }
        return Value::fromSet(std::move(elements));
    }
    case K::Record: {
        if (!json.isObject() || escaped)
            return jsonError(QStringLiteral("expected an object (a record), found %1").arg(shortJson(json)));
        std::vector<Value::Field> fields;
        for (auto it = object.begin(); it != object.end(); ++it) {
            const auto attribute = type.attributes.constFind(it.key());
            const SchemaType *attributeType =
                    attribute == type.attributes.constEnd() ? nullptr : attribute->type.get();
            auto v = JsonFormat::valueFromJson(it.value(), attributeType);
            if (!v)
                return jsonError(QStringLiteral("attribute %1: %2")
                                         .arg(quotedCedarString(it.key()), v.errorMessage()));
            fields.emplace_back(it.key(), *v);
        }
        return Value::fromRecord(std::move(fields));
    }
    case K::Extension: {
        if (escaped)
            return untypedFromJson(json);
        if (json.isObject() && object.contains(QLatin1String("fn")))
            return extensionFromJson(object);
        if (!json.isString())
            return jsonError(QStringLiteral("expected a %1 value, found %2").arg(type.name, shortJson(json)));
        const QString fn = type.name == QLatin1String("ipaddr") ? QStringLiteral("ip") : type.name;
        return applyExtension(fn, {Value::fromString(json.toString())});
    }
    case K::Unresolved:
        break;
    }
    return untypedFromJson(json);
}

} // namespace

Result<Value> JsonFormat::valueFromJson(const QJsonValue &json, const SchemaType *expected)
{
    if (!expected || expected->kind == SchemaType::Kind::Unresolved)
        return untypedFromJson(json);
    return typedFromJson(json, *expected);
}

Result<EntityUid> JsonFormat::entityUidFromJson(const QJsonValue &json)
{
    QJsonObject object = json.toObject();
    if (object.size() == 1 && object.contains(QLatin1String("__entity")))
        object = object.value(QLatin1String("__entity")).toObject();
    const QJsonValue type = object.value(QLatin1String("type"));
    const QJsonValue id = object.value(QLatin1String("id"));
    if (!json.isObject() || !type.isString() || !id.isString())
        return jsonError(QStringLiteral("expected an entity {\"type\": ..., \"id\": ...}, found %1")
                                 .arg(shortJson(json)));
    return EntityUid(type.toString(), id.toString());
}

Result<EntityStore> JsonFormat::entitiesFromJson(const QJsonArray &json, const Schema *schema)
{
    EntityStore store;
    for (const QJsonValue &item : json) {
        const QJsonObject object = item.toObject();
        auto uid = entityUidFromJson(object.value(QLatin1String("uid")));
        if (!uid)
            return jsonError(QStringLiteral("entity uid: %1").arg(uid.errorMessage()));
        EntityStore::Entity entity;
        entity.uid = *uid;

        const SchemaType *attributeTypes = schema ? schema->entityAttributes(uid->type()) : nullptr;
        if (object.contains(QLatin1String("attrs"))) {
            auto attrs = attributeTypes ? valueFromJson(object.value(QLatin1String("attrs")), attributeTypes)
                                        : valueFromJson(object.value(QLatin1String("attrs")));
            if (!attrs || !attrs->is(Value::Type::Record))
                return jsonError(QStringLiteral("attributes of %1: %2")
                                         .arg(uid->toString(),
                                              attrs ? QStringLiteral("not an object") : attrs.errorMessage()));
            entity.attributes = *attrs;
        }
        if (object.contains(QLatin1String("tags"))) {
            const SchemaType *tagType = schema ? schema->entityTags(uid->type()) : nullptr;
            const QJsonObject tags = object.value(QLatin1String("tags")).toObject();
            std::vector<Value::Field> fields;
            for (auto it = tags.begin(); it != tags.end(); ++it) {
                auto v = valueFromJson(it.value(), tagType);
                if (!v)
                    return jsonError(QStringLiteral("tag %1 of %2: %3")
                                             .arg(quotedCedarString(it.key()), uid->toString(), v.errorMessage()));
                fields.emplace_back(it.key(), *v);
            }
            entity.tags = Value::fromRecord(std::move(fields));
        }
        for (const QJsonValue &p : object.value(QLatin1String("parents")).toArray()) {
            auto parent = entityUidFromJson(p);
            if (!parent)
                return jsonError(QStringLiteral("parent of %1: %2").arg(uid->toString(), parent.errorMessage()));
            entity.parents.append(*parent);
        }
        if (const EntityStore::Entity *existing = store.find(entity.uid)) {
            // The same entity twice: keep one, with the parents of both.
            for (const EntityUid &p : existing->parents) {
                if (!entity.parents.contains(p))
                    entity.parents.append(p);
            }
        }
        store.insert(entity);
    }
    // The schema's actions are entities too: `action in Action::"group"` follows the groups
    // it declares even when the data does not list the actions.
    if (schema) {
        for (const Schema::Action &a : schema->actions())
            store.addParents(a.uid, a.parents);
    }
    store.computeAncestors();
    return store;
}

Result<Value> JsonFormat::contextFromJson(const QJsonObject &json, const Schema *schema,
                                          const EntityUid &action)
{
    const Schema::Action *declared = schema ? schema->action(action) : nullptr;
    const SchemaType *type = declared && declared->context ? declared->context.get() : nullptr;
    auto context = valueFromJson(json, type);
    if (context && !context->is(Value::Type::Record))
        return jsonError(QStringLiteral("the context must be an object"));
    return context;
}

} // namespace Spool::Cedar
