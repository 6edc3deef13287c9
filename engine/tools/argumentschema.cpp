// valijson reports an invalid schema by exception; keep that inside this file.
#define VALIJSON_USE_EXCEPTIONS 1

#include "tools/argumentschema.h"

#include <valijson/adapters/qtjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <QStringList>

#include <exception>

namespace Spool {

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
