// valijson reports an invalid schema by exception; keep that inside this file.
#define VALIJSON_USE_EXCEPTIONS 1

#include "tools/argumentschema.h"

#include <valijson/adapters/qtjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <QJsonArray>
#include <QStringList>

#include <optional>

#include <exception>

namespace Spool {

namespace {

// Where the first string holding U+0000 is ("[edits][0][old_text]", valijson's form of a path),
// or nothing.
std::optional<QString> firstNul(const QJsonValue &value, const QString &where)
{
    if (value.isString())
        return value.toString().contains(QChar(0)) ? std::optional(where) : std::nullopt;
    if (value.isArray()) {
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            if (auto found = firstNul(array.at(i), where + QStringLiteral("[%1]").arg(i)))
                return found;
        }
    } else if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.begin(); it != object.end(); ++it) {
            const QString inner = where + QLatin1Char('[') + it.key() + QLatin1Char(']');
            if (it.key().contains(QChar(0)))
                return inner;
            if (auto found = firstNul(it.value(), inner))
                return found;
        }
    }
    return std::nullopt;
}

} // namespace

struct ArgumentSchema::Private
{
    valijson::Schema schema;
};

ArgumentSchema::ArgumentSchema(std::unique_ptr<Private> p) : d(std::move(p)) {}
ArgumentSchema::~ArgumentSchema() = default;

Result<std::shared_ptr<const ArgumentSchema>> ArgumentSchema::compile(const QJsonObject &schema)
{
    auto p = std::make_unique<Private>();
    try {
        valijson::SchemaParser parser;
        const valijson::adapters::QtJsonAdapter adapter{QJsonValue(schema)};
        parser.populateSchema(adapter, p->schema);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("invalid JSON Schema: %1").arg(QString::fromUtf8(e.what())));
    }
    return std::shared_ptr<const ArgumentSchema>(new ArgumentSchema(std::move(p)));
}

Status ArgumentSchema::validate(const QJsonObject &arguments) const
{
    // valijson measures a string up to its first NUL, so a U+0000 hid the rest of the string
    // from minLength / maxLength (fuzz/fuzz_toolargs found it: a 5 MB command behind one NUL
    // passed the 64 KB cap). No tool argument needs one; such calls are refused first.
    if (const std::optional<QString> where = firstNul(arguments, QString())) {
        QString shown = where->left(200);
        shown.replace(QChar(0), QStringLiteral("\\u0000"));
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("the arguments do not match the tool's schema: %1: "
                                        "contains a NUL character (\\u0000), which tool "
                                        "arguments cannot hold")
                                 .arg(shown.isEmpty() ? QStringLiteral("arguments") : shown));
    }
    valijson::Validator validator;
    valijson::ValidationResults results;
    const valijson::adapters::QtJsonAdapter target{QJsonValue(arguments)};
    bool ok = false;
    try {
        ok = validator.validate(d->schema, target, &results);
    } catch (const std::exception &e) {
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("arguments could not be checked: %1")
                                 .arg(QString::fromUtf8(e.what())));
    }
    if (ok)
        return {};
    QStringList problems;
    valijson::ValidationResults::Error error;
    while (results.popError(error) && problems.size() < 5) {
        QStringList path;
        for (const std::string &part : error.context) {
            if (part != "<root>")
                path.append(QString::fromStdString(part));
        }
        const QString where = path.isEmpty() ? QStringLiteral("arguments")
                                             : path.join(QString());
        problems.append(where + QStringLiteral(": ")
                        + QString::fromStdString(error.description));
    }
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("the arguments do not match the tool's schema: ")
                             + problems.join(QStringLiteral("; ")));
}

} // namespace Spool
