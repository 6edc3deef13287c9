// Fuzzes the check every tool call passes before policy sees it: the model's raw argument text
// parsed into an object (ToolCallRequest::make) and validated against the tool's JSON Schema
// (ToolRegistry::validateArguments, valijson underneath), for each built-in tool.
//
// Input: one byte choosing the tool, then the arguments as the model wrote them. Invariants:
// - the text either becomes an object or an error, never both, and the object survives a
//   round trip through its JSON text;
// - the verdict is the same for the round-tripped object and on a second check, and a refusal
//   says what is wrong;
// - the verdict agrees with a small independent reading of the schema keywords the built-in
//   tools use (type, properties, required, additionalProperties, lengths in code points,
//   bounds, enum, items; no U+0000 anywhere): a call the tool would misread must not get
//   through.
#include "fuzzcheck.h"

#include "providers/chatmessage.h"
#include "tools/builtin/clocktool.h"
#include "tools/builtin/echotool.h"
#include "tools/builtintools.h"
#include "tools/toolregistry.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>

using namespace Spool;

namespace {

enum class Verdict { Valid, Invalid, Unknown };

bool isIntegral(const QJsonValue &v)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    return std::isfinite(d) && std::floor(d) == d;
}

bool hasType(const QJsonValue &v, const QString &type)
{
    if (type == QLatin1String("object")) return v.isObject();
    if (type == QLatin1String("array")) return v.isArray();
    if (type == QLatin1String("string")) return v.isString();
    if (type == QLatin1String("boolean")) return v.isBool();
    if (type == QLatin1String("number")) return v.isDouble();
    if (type == QLatin1String("integer")) return isIntegral(v);
    if (type == QLatin1String("null")) return v.isNull();
    return false;
}

// The schema keywords the built-in tools use, read independently of valijson. Unknown when
// the schema uses anything else.
Verdict check(const QJsonObject &schema, const QJsonValue &value)
{
    static const QStringList known = {
            QStringLiteral("type"), QStringLiteral("description"), QStringLiteral("properties"),
            QStringLiteral("required"), QStringLiteral("additionalProperties"),
            QStringLiteral("minLength"), QStringLiteral("maxLength"), QStringLiteral("minimum"),
            QStringLiteral("maximum"), QStringLiteral("enum"), QStringLiteral("items"),
            QStringLiteral("minItems"), QStringLiteral("maxItems"),
    };
    for (auto it = schema.begin(); it != schema.end(); ++it) {
        if (!known.contains(it.key()))
            return Verdict::Unknown;
    }
    bool unknown = false;
    auto sub = [&unknown](const QJsonObject &s, const QJsonValue &v) {
        const Verdict r = check(s, v);
        unknown = unknown || r == Verdict::Unknown;
        return r != Verdict::Invalid;
    };
    bool ok = true;
    if (schema.contains(QLatin1String("type")))
        ok = ok && hasType(value, schema.value(QLatin1String("type")).toString());
    if (schema.contains(QLatin1String("enum")))
        ok = ok && schema.value(QLatin1String("enum")).toArray().contains(value);
    if (value.isString()) {
        // Spool refuses U+0000 in arguments: valijson cannot measure such strings.
        ok = ok && !value.toString().contains(QChar(0));
        const qsizetype length = value.toString().toUcs4().size(); // code points, as JSON Schema counts
        if (schema.contains(QLatin1String("minLength")))
            ok = ok && length >= schema.value(QLatin1String("minLength")).toInteger();
        if (schema.contains(QLatin1String("maxLength")))
            ok = ok && length <= schema.value(QLatin1String("maxLength")).toInteger();
    }
    if (value.isDouble()) {
        if (schema.contains(QLatin1String("minimum")))
            ok = ok && value.toDouble() >= schema.value(QLatin1String("minimum")).toDouble();
        if (schema.contains(QLatin1String("maximum")))
            ok = ok && value.toDouble() <= schema.value(QLatin1String("maximum")).toDouble();
    }
    if (value.isArray()) {
        const QJsonArray items = value.toArray();
        if (schema.contains(QLatin1String("minItems")))
            ok = ok && items.size() >= schema.value(QLatin1String("minItems")).toInteger();
        if (schema.contains(QLatin1String("maxItems")))
            ok = ok && items.size() <= schema.value(QLatin1String("maxItems")).toInteger();
        if (schema.contains(QLatin1String("items"))) {
            for (const QJsonValue &item : items)
                ok = sub(schema.value(QLatin1String("items")).toObject(), item) && ok;
        }
    }
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        const QJsonObject properties = schema.value(QLatin1String("properties")).toObject();
        for (const QJsonValue &name : schema.value(QLatin1String("required")).toArray())
            ok = ok && object.contains(name.toString());
        const QJsonValue additional = schema.value(QLatin1String("additionalProperties"));
        for (auto it = object.begin(); it != object.end(); ++it) {
            ok = ok && !it.key().contains(QChar(0));
            if (properties.contains(it.key()))
                ok = sub(properties.value(it.key()).toObject(), it.value()) && ok;
            else if (additional.isBool() && !additional.toBool())
                ok = false;
            else if (additional.isObject())
                ok = sub(additional.toObject(), it.value()) && ok;
        }
    }
    if (unknown)
        return Verdict::Unknown;
    return ok ? Verdict::Valid : Verdict::Invalid;
}

struct Tools
{
    ToolRegistry registry;
    QList<ToolSpec> specs;

    Tools()
    {
        // The workspace root is never touched: only the schemas are used.
        if (Status s = registerBuiltinTools(registry, defaultToolOptions(QDir::tempPath())); !s)
            qFatal("built-in tools: %s", qPrintable(s.errorMessage()));
        if (!registry.add(std::make_unique<EchoTool>()) || !registry.add(std::make_unique<ClockTool>()))
            qFatal("echo and clock could not be registered");
        specs = registry.specs();
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const Tools tools;
    if (size == 0)
        return 0;
    const ToolSpec &spec = tools.specs.at(data[0] % tools.specs.size());
    const QString raw = QString::fromUtf8(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    const ToolCallRequest call = ToolCallRequest::make(QStringLiteral("call_1"), spec.name, raw);
    SPOOL_FUZZ_CHECK(call.argumentsError.isEmpty() || call.arguments.isEmpty(),
                     "arguments or an error, not both");
    if (!call.argumentsError.isEmpty())
        return 0;
    const QString text = QString::fromUtf8(QJsonDocument(call.arguments).toJson(QJsonDocument::Compact));
    const ToolCallRequest again = ToolCallRequest::make(QStringLiteral("call_1"), spec.name, text);
    SPOOL_FUZZ_CHECK(again.argumentsError.isEmpty() && again.arguments == call.arguments,
                     "arguments survive a round trip through their JSON text");

    const Status verdict = tools.registry.validateArguments(spec.name, call.arguments);
    SPOOL_FUZZ_CHECK(bool(tools.registry.validateArguments(spec.name, call.arguments)) == bool(verdict),
                     "validation is deterministic");
    SPOOL_FUZZ_CHECK(bool(tools.registry.validateArguments(spec.name, again.arguments)) == bool(verdict),
                     "the round-tripped arguments get the same verdict");
    if (!verdict)
        SPOOL_FUZZ_CHECK(!verdict.errorMessage().isEmpty(), "a refusal says what is wrong");

    const Verdict expected = check(spec.parameters, call.arguments);
    if (expected != Verdict::Unknown && (expected == Verdict::Valid) != bool(verdict)) {
        std::fprintf(stderr, "tool %s, arguments %s: schema check says %s, independent reading %s\n",
                     qPrintable(spec.name), qPrintable(text),
                     verdict ? "valid" : qPrintable(verdict.errorMessage()),
                     expected == Verdict::Valid ? "valid" : "invalid");
        SPOOL_FUZZ_CHECK(false, "the schema check agrees with the schema's keywords");
    }
    return 0;
}
