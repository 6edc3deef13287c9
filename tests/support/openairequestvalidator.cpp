// valijson reports an unreadable schema by exception; keep that inside this file.
#define VALIJSON_USE_EXCEPTIONS 1

#include "openairequestvalidator.h"

#include <valijson/adapters/qtjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <algorithm>
#include <exception>
#include <vector>

namespace Spool::Test {

namespace {

// OpenAPI 3.0's `"nullable": true` beside a `type` means the value may also be null; JSON
// Schema says that with a list of types. The document's own README asks readers to treat it so.
QJsonValue withNullables(const QJsonValue &value)
{
    if (value.isArray()) {
        QJsonArray out;
        for (const QJsonValue &v : value.toArray())
            out.append(withNullables(v));
        return out;
    }
    if (!value.isObject())
        return value;
    QJsonObject o = value.toObject();
    for (auto it = o.begin(); it != o.end(); ++it)
        it.value() = withNullables(it.value());
    if (o.value(QStringLiteral("nullable")).toBool() && o.value(QStringLiteral("type")).isString())
        o.insert(QStringLiteral("type"),
                 QJsonArray{o.value(QStringLiteral("type")), QStringLiteral("null")});
    return o;
}

// Loaded once per process; valijson's Schema is neither copied nor moved, so it is built in
// place.
struct LoadedSchema
{
    LoadedSchema();
    valijson::Schema schema;
    QString problem;
};

LoadedSchema::LoadedSchema()
{
    QFile f(QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/openai-openapi/chat-completions-schemas.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        problem = QStringLiteral("cannot read %1").arg(f.fileName());
        return;
    }
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &error);
    if (!doc.isObject()) {
        problem = QStringLiteral("%1: %2").arg(f.fileName(), error.errorString());
        return;
    }
    // The root refers to the request schema; every other $ref resolves in the same document,
    // under #/components/schemas/.
    QJsonObject root = withNullables(doc.object()).toObject();
    root.insert(QStringLiteral("$ref"), QStringLiteral("#/components/schemas/CreateChatCompletionRequest"));
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        const valijson::adapters::QtJsonAdapter adapter{QJsonValue(root)};
        parser.populateSchema(adapter, schema);
    } catch (const std::exception &e) {
        problem = QStringLiteral("the OpenAI schema did not load: %1").arg(QString::fromUtf8(e.what()));
    }
}

const LoadedSchema &requestSchema()
{
    static const LoadedSchema loaded;
    return loaded;
}

// valijson's context ["<root>", "[messages]", "[2]", "[content]"] as the API names a field:
// "messages[2].content".
QString paramFor(const std::vector<std::string> &context)
{
    QString out;
    for (const std::string &raw : context) {
        QString part = QString::fromStdString(raw);
        if (part == QLatin1String("<root>"))
            continue;
        if (part.startsWith(QLatin1Char('[')) && part.endsWith(QLatin1Char(']')))
            part = part.mid(1, part.size() - 2);
        bool isIndex = false;
        part.toInt(&isIndex);
        if (isIndex)
            out += QLatin1Char('[') + part + QLatin1Char(']');
        else
            out += (out.isEmpty() ? QString() : QStringLiteral(".")) + part;
    }
    return out;
}

RequestRejection reject(const QString &param, const QString &message, const QString &code)
{
    return RequestRejection{message, param, code};
}

// FunctionObject.name in the OpenAPI document: "Must be a-z, A-Z, 0-9, or contain underscores
// and dashes, with a maximum length of 64." The API says so in these words when it refuses one
// (e.g. github.com/hackers365/xiaozhi-esp32-server-golang/issues/268 for tools[],
// github.com/mcp-use/mcp-use/issues/90 for a name in an earlier assistant message's tool_calls).
std::optional<RequestRejection> checkFunctionName(const QJsonValue &value, const QString &param)
{
    static const QRegularExpression pattern(QStringLiteral("^[a-zA-Z0-9_-]+$"));
    const QString name = value.toString();
    if (name.size() > 64)
        return reject(param,
                      QStringLiteral("Invalid '%1': string too long. Expected a string with maximum "
                                     "length 64, but got a string with length %2 instead.")
                              .arg(param)
                              .arg(name.size()),
                      QStringLiteral("string_above_max_length"));
    if (!pattern.match(name).hasMatch())
        return reject(param,
                      QStringLiteral("Invalid '%1': string does not match pattern. Expected a string "
                                     "that matches the pattern '^[a-zA-Z0-9_-]+$'.")
                              .arg(param),
                      QStringLiteral("invalid_value"));
    return std::nullopt;
}

std::optional<RequestRejection> checkSchema(const QJsonObject &body)
{
    const LoadedSchema &s = requestSchema();
    if (!s.problem.isEmpty())
        return reject(QString(), s.problem, QString());
    valijson::Validator validator;
    valijson::ValidationResults results;
    const valijson::adapters::QtJsonAdapter target{QJsonValue(body)};
    if (validator.validate(s.schema, target, &results))
        return std::nullopt;
    // A value that fails a oneOf fails every branch. valijson reports each branch's errors
    // together, closed by "Failed to validate against child schema #N". A branch that failed on
    // its discriminator (`role`, `type`) is not what the body meant; the deepest complaint of
    // the other branches names the field and what is wrong with it. When every branch failed
    // on its discriminator, the discriminator is the problem.
    using Error = valijson::ValidationResults::Error;
    auto text = [](const Error &e) { return QString::fromStdString(e.description); };
    auto isSummary = [&text](const Error &e) {
        return text(e).startsWith(QLatin1String("Failed to validate"));
    };
    auto isDiscriminator = [&text](const Error &e) {
        const QString last = e.context.empty() ? QString() : QString::fromStdString(e.context.back());
        return (last == QLatin1String("[role]") || last == QLatin1String("[type]"))
                && text(e).contains(QLatin1String("enum"));
    };
    std::vector<Error> all;
    std::vector<Error> credible;
    std::vector<Error> branch;
    Error error;
    while (results.popError(error)) {
        all.push_back(error);
        if (text(error).startsWith(QLatin1String("Failed to validate against child schema #"))) {
            if (std::none_of(branch.begin(), branch.end(), isDiscriminator)) {
                for (const Error &e : branch) {
                    if (!isSummary(e))
                        credible.push_back(e);
                }
            }
            branch.clear();
            continue;
        }
        branch.push_back(error);
    }
    for (const Error &e : branch) {
        if (!isSummary(e) && !isDiscriminator(e))
            credible.push_back(e);
    }
    const std::vector<Error> &candidates = credible.empty() ? all : credible;
    Error best;
    for (const Error &e : candidates) {
        if (best.context.empty() || e.context.size() > best.context.size())
            best = e;
    }
    const QString param = paramFor(best.context);
    return reject(param,
                  QStringLiteral("Invalid '%1': %2")
                          .arg(param.isEmpty() ? QStringLiteral("body") : param,
                               QString::fromStdString(best.description)),
                  QStringLiteral("invalid_value"));
}

// Rules of the tools and their calls that the schema cannot state.
std::optional<RequestRejection> checkTools(const QJsonObject &body)
{
    const QJsonArray tools = body.value(QStringLiteral("tools")).toArray();
    for (int i = 0; i < tools.size(); ++i) {
        const QJsonObject tool = tools.at(i).toObject();
        if (tool.value(QStringLiteral("type")).toString() != QLatin1String("function"))
            continue;
        const QJsonObject function = tool.value(QStringLiteral("function")).toObject();
        if (auto r = checkFunctionName(function.value(QStringLiteral("name")),
                                       QStringLiteral("tools[%1].function.name").arg(i)))
            return r;
    }
    // The named tool_choice shapes carry function names too.
    const QJsonObject choice = body.value(QStringLiteral("tool_choice")).toObject();
    if (choice.value(QStringLiteral("type")).toString() == QLatin1String("function")) {
        if (auto r = checkFunctionName(
                    choice.value(QStringLiteral("function")).toObject().value(QStringLiteral("name")),
                    QStringLiteral("tool_choice.function.name")))
            return r;
    }
    return std::nullopt;
}

// The conversation's tool calls and tool messages: the API refuses a `tool` message that does
// not answer a call of the assistant message before it ("messages with role 'tool' must be a
// response to a preceeding message with 'tool_calls'", param messages.[N].role: see
// github.com/miurla/morphic/issues/136), and an assistant message whose calls are not all
// answered before the next other message ("An assistant message with 'tool_calls' must be
// followed by tool messages responding to each 'tool_call_id'": see
// github.com/microsoft/promptflow/pull/3130). Call ids are at most 40 characters
// ("string too long. Expected a string with maximum length 40": see
// github.com/camel-ai/camel/issues/2215, github.com/microsoft/autogen/issues/6377).
std::optional<RequestRejection> checkConversation(const QJsonObject &body)
{
    const QJsonArray messages = body.value(QStringLiteral("messages")).toArray();
    QSet<QString> open;       // calls of the last assistant message not answered yet
    QSet<QString> answerable; // calls of the last assistant message
    int openAt = -1;
    auto unanswered = [&]() -> std::optional<RequestRejection> {
        if (open.isEmpty())
            return std::nullopt;
        QStringList ids = open.values();
        ids.sort();
        return reject(QStringLiteral("messages.[%1].role").arg(openAt),
                      QStringLiteral("An assistant message with 'tool_calls' must be followed by tool "
                                     "messages responding to each 'tool_call_id'. The following "
                                     "tool_call_ids did not have response messages: %1")
                              .arg(ids.join(QStringLiteral(", "))),
                      QString());
    };
    for (int i = 0; i < messages.size(); ++i) {
        const QJsonObject m = messages.at(i).toObject();
        const QString role = m.value(QStringLiteral("role")).toString();
        if (role == QLatin1String("tool")) {
            const QString id = m.value(QStringLiteral("tool_call_id")).toString();
            if (!answerable.contains(id))
                return reject(QStringLiteral("messages.[%1].role").arg(i),
                              QStringLiteral("Invalid parameter: messages with role 'tool' must be a "
                                             "response to a preceeding message with 'tool_calls'."),
                              QString());
            open.remove(id);
            continue;
        }
        if (auto r = unanswered())
            return r;
        answerable.clear();
        if (role != QLatin1String("assistant"))
            continue;
        const QJsonArray calls = m.value(QStringLiteral("tool_calls")).toArray();
        for (int j = 0; j < calls.size(); ++j) {
            const QJsonObject call = calls.at(j).toObject();
            const QString id = call.value(QStringLiteral("id")).toString();
            if (id.size() > 40)
                return reject(QStringLiteral("messages[%1].tool_calls[%2].id").arg(i).arg(j),
                              QStringLiteral("Invalid 'messages[%1].tool_calls[%2].id': string too "
                                             "long. Expected a string with maximum length 40, but "
                                             "got a string with length %3 instead.")
                                      .arg(i)
                                      .arg(j)
                                      .arg(id.size()),
                              QStringLiteral("string_above_max_length"));
            if (call.value(QStringLiteral("type")).toString() == QLatin1String("function")) {
                if (auto r = checkFunctionName(
                            call.value(QStringLiteral("function")).toObject().value(QStringLiteral("name")),
                            QStringLiteral("messages[%1].tool_calls[%2].function.name").arg(i).arg(j)))
                    return r;
            }
            open.insert(id);
            answerable.insert(id);
        }
        openAt = i;
    }
    return unanswered();
}

} // namespace

QString OpenAiRequestValidator::schemaProblem()
{
    return requestSchema().problem;
}

std::optional<RequestRejection> OpenAiRequestValidator::validate(const QByteArray &body)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (!doc.isObject())
        return reject(QString(),
                      QStringLiteral("We could not parse the JSON body of your request. (HINT: This "
                                     "likely means you aren't using your HTTP library correctly.)"),
                      QString());
    const QJsonObject json = doc.object();
    if (auto r = checkSchema(json))
        return r;
    if (auto r = checkTools(json))
        return r;
    return checkConversation(json);
}

QJsonObject OpenAiRequestValidator::errorBody(const RequestRejection &rejection)
{
    return QJsonObject{
            {QStringLiteral("error"),
             QJsonObject{{QStringLiteral("message"), rejection.message},
                         {QStringLiteral("type"), QStringLiteral("invalid_request_error")},
                         {QStringLiteral("param"), rejection.param.isEmpty() ? QJsonValue()
                                                                             : QJsonValue(rejection.param)},
                         {QStringLiteral("code"), rejection.code.isEmpty() ? QJsonValue()
                                                                           : QJsonValue(rejection.code)}}}};
}

} // namespace Spool::Test
