#pragma once

#include "core/result.h"

#include <QJsonObject>

#include <memory>

namespace Spool {

// A tool's JSON Schema, compiled once, that checks the arguments of each call before policy
// sees them. The error text is written for the model: it says what was wrong and where.
class ArgumentSchema
{
public:
    static Result<std::shared_ptr<const ArgumentSchema>> compile(const QJsonObject &schema);
    ~ArgumentSchema();

    Status validate(const QJsonObject &arguments) const;

private:
    struct Private;
    explicit ArgumentSchema(std::unique_ptr<Private> d);
    std::unique_ptr<Private> d;
};

} // namespace Spool
