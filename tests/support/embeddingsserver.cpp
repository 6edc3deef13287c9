// valijson reports an unreadable schema by exception; keep that inside this file.
#define VALIJSON_USE_EXCEPTIONS 1

#include "embeddingsserver.h"

#include <valijson/adapters/qtjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpServer>
#include <QTcpSocket>

#include <cmath>
#include <exception>
#include <map>

namespace Spool::Test {

namespace {

struct EmbeddingSchema
{
    EmbeddingSchema();
    valijson::Schema schema;
    QString problem;
};

EmbeddingSchema::EmbeddingSchema()
{
    QFile f(QStringLiteral(SPOOL_SOURCE_DIR "/tests/fixtures/openai-openapi/embeddings-schemas.json"));
    if (!f.open(QIODevice::ReadOnly)) {
        problem = QStringLiteral("cannot read %1").arg(f.fileName());
        return;
    }
    QJsonObject root = QJsonDocument::fromJson(f.readAll()).object();
    if (root.isEmpty()) {
        problem = QStringLiteral("%1 is not JSON").arg(f.fileName());
        return;
    }
    root.insert(QStringLiteral("$ref"), QStringLiteral("#/components/schemas/CreateEmbeddingRequest"));
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        const valijson::adapters::QtJsonAdapter adapter{QJsonValue(root)};
        parser.populateSchema(adapter, schema);
    } catch (const std::exception &e) {
        problem = QStringLiteral("the embeddings schema did not load: %1").arg(QString::fromUtf8(e.what()));
    }
}

const EmbeddingSchema &embeddingSchema()
{
    static const EmbeddingSchema loaded;
    return loaded;
}

QJsonObject apiError(const QString &message, const QString &type, const QString &code,
                     const QString &param = {})
{
    return QJsonObject{{QStringLiteral("error"),
                        QJsonObject{{QStringLiteral("message"), message},
                                    {QStringLiteral("type"), type},
                                    {QStringLiteral("param"), param.isEmpty() ? QJsonValue() : QJsonValue(param)},
                                    {QStringLiteral("code"), code}}}};
}

quint64 fnv1a(const QByteArray &bytes)
{
    quint64 h = 1469598103934665603ULL;
    for (const char c : bytes) {
        h ^= quint8(c);
        h *= 1099511628211ULL;
    }
    return h;
}

int estimatedTokens(const QString &text)
{
    return int((text.size() + 3) / 4);
}

} // namespace

EmbeddingsServer::EmbeddingsServer(int dimension, QObject *parent)
    : QObject(parent), m_dimension(dimension)
{
}

EmbeddingsServer::~EmbeddingsServer() = default;

bool EmbeddingsServer::listen()
{
    m_server = new QTcpServer(this);
    if (!m_server->listen(QHostAddress::LocalHost, 0))
        return false;
    connect(m_server, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = m_server->nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
            connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                m_buffers.remove(socket);
                socket->deleteLater();
            });
        }
    });
    return true;
}

quint16 EmbeddingsServer::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

QString EmbeddingsServer::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1/v1").arg(port());
}

std::vector<float> EmbeddingsServer::embed(const QString &text, int dimension)
{
    std::map<QByteArray, double> features;
    QString word;
    auto take = [&] {
        if (word.isEmpty())
            return;
        const QByteArray w = word.toUtf8();
        features[QByteArrayLiteral("w:") + w] += 1.0;
        const QByteArray padded = '#' + w + '#';
        for (qsizetype i = 0; i + 3 <= padded.size(); ++i)
            features[QByteArrayLiteral("t:") + padded.mid(i, 3)] += 0.5;
        word.clear();
    };
    for (const QChar c : text) {
        if (c.isLetterOrNumber())
            word.append(c.toLower());
        else
            take();
    }
    take();
    std::vector<float> v(size_t(dimension), 0.0f);
    for (const auto &[feature, weight] : features) {
        const quint64 h = fnv1a(feature);
        const double sign = (h >> 63) ? -1.0 : 1.0;
        const double damped = feature.startsWith("w:") ? 1.0 + std::log(weight) : 0.5 * (1.0 + std::log(weight / 0.5));
        v[size_t(h % quint64(dimension))] += float(sign * damped);
    }
    double norm = 0;
    for (float x : v)
        norm += double(x) * x;
    if (norm > 0) {
        for (float &x : v)
            x = float(x / std::sqrt(norm));
    }
    return v;
}

void EmbeddingsServer::onReadyRead(QTcpSocket *socket)
{
    QByteArray &buffer = m_buffers[socket];
    buffer += socket->readAll();
    while (true) {
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        QHash<QByteArray, QByteArray> headers;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon > 0)
                headers.insert(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed());
        }
        const qsizetype length = headers.value("content-length").toLongLong();
        if (buffer.size() < headerEnd + 4 + length)
            return;
        const QByteArray body = buffer.mid(headerEnd + 4, length);
        buffer.remove(0, headerEnd + 4 + length);
        handle(socket, requestLine.value(0), QString::fromUtf8(requestLine.value(1)), headers, body);
    }
}

void EmbeddingsServer::send(QTcpSocket *socket, int status, const QJsonObject &body)
{
    const QByteArray json = m_garbage && status == 200
            ? QByteArray("{\"object\": \"list\", \"data\": [{\"embedding\": [NaN")
            : QJsonDocument(body).toJson(QJsonDocument::Compact);
    QByteArray reply = "HTTP/1.1 " + QByteArray::number(status) + (status == 200 ? " OK" : " Error")
            + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(json.size())
            + "\r\n\r\n" + json;
    socket->write(reply);
}

void EmbeddingsServer::handle(QTcpSocket *socket, const QByteArray &method, const QString &path,
                              const QHash<QByteArray, QByteArray> &headers, const QByteArray &body)
{
    if (!m_key.isEmpty() && headers.value("authorization") != "Bearer " + m_key) {
        send(socket, 401, apiError(QStringLiteral("Incorrect API key provided."),
                                   QStringLiteral("invalid_request_error"), QStringLiteral("invalid_api_key")));
        return;
    }
    if (method == "GET" && path == QLatin1String("/v1/models")) {
        send(socket, 200, QJsonObject{{QStringLiteral("object"), QStringLiteral("list")},
                                      {QStringLiteral("data"), QJsonArray{QJsonObject{
                                               {QStringLiteral("id"), m_model},
                                               {QStringLiteral("object"), QStringLiteral("model")},
                                               {QStringLiteral("owned_by"), QStringLiteral("spool-tests")}}}}});
        return;
    }
    if (method != "POST" || path != QLatin1String("/v1/embeddings")) {
        send(socket, 404, apiError(QStringLiteral("Unknown request URL: %1 %2").arg(QString::fromLatin1(method), path),
                                   QStringLiteral("invalid_request_error"), QStringLiteral("unknown_url")));
        return;
    }
    ++m_embeddingRequests;
    auto refuse = [&](const QString &message, const QString &param) {
        m_rejections.append(message);
        send(socket, 400, apiError(message, QStringLiteral("invalid_request_error"),
                                   QStringLiteral("invalid_value"), param));
    };
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(body, &parseError);
    if (!doc.isObject())
        return refuse(QStringLiteral("We could not parse the JSON body of your request."), QString());
    const QJsonObject request = doc.object();
    const EmbeddingSchema &schema = embeddingSchema();
    if (!schema.problem.isEmpty())
        return refuse(schema.problem, QString());
    {
        valijson::Validator validator;
        valijson::ValidationResults results;
        const valijson::adapters::QtJsonAdapter target{QJsonValue(request)};
        if (!validator.validate(schema.schema, target, &results)) {
            valijson::ValidationResults::Error e;
            QString message;
            while (results.popError(e))
                message = QString::fromStdString(e.description);
            return refuse(QStringLiteral("Invalid body: %1").arg(message), QString());
        }
    }
    // The prose of `input`: "cannot be an empty string", 8,192 tokens per input, 300,000 in all.
    QStringList texts;
    const QJsonValue input = request.value(QStringLiteral("input"));
    if (input.isString())
        texts.append(input.toString());
    for (const QJsonValue &v : input.toArray()) {
        if (!v.isString())
            return refuse(QStringLiteral("This server embeds text: token arrays are not supported."),
                          QStringLiteral("input"));
        texts.append(v.toString());
    }
    int total = 0;
    for (int i = 0; i < texts.size(); ++i) {
        if (texts.at(i).isEmpty())
            return refuse(QStringLiteral("'$.input' is invalid. Please check the API reference: "
                                         "https://platform.openai.com/docs/api-reference."),
                          QStringLiteral("input"));
        const int tokens = estimatedTokens(texts.at(i));
        if (tokens > 8192)
            return refuse(QStringLiteral("This model's maximum context length is 8192 tokens, however you "
                                         "requested %1 tokens in input %2.").arg(tokens).arg(i),
                          QStringLiteral("input"));
        total += tokens;
    }
    if (total > 300000)
        return refuse(QStringLiteral("Requested %1 tokens, max 300000 tokens per request").arg(total),
                      QStringLiteral("input"));
    const QString model = request.value(QStringLiteral("model")).toString();
    if (model != m_model) {
        send(socket, 404, apiError(QStringLiteral("The model `%1` does not exist or you do not have access to it.")
                                           .arg(model),
                                   QStringLiteral("invalid_request_error"), QStringLiteral("model_not_found")));
        return;
    }
    if (request.value(QStringLiteral("encoding_format")).toString() == QLatin1String("base64"))
        return refuse(QStringLiteral("This server answers floats only."), QStringLiteral("encoding_format"));
    if (m_failures > 0) {
        --m_failures;
        send(socket, m_failStatus, apiError(QStringLiteral("The server had an error while processing your request."),
                                            QStringLiteral("server_error"), QStringLiteral("server_error")));
        return;
    }
    const int dimension = m_answeredDimension > 0 ? m_answeredDimension : m_dimension;
    QJsonArray data;
    for (int i = 0; i < texts.size(); ++i) {
        const std::vector<float> v = embed(texts.at(i), dimension);
        QJsonArray values;
        for (float x : v)
            values.append(double(x));
        data.append(QJsonObject{{QStringLiteral("object"), QStringLiteral("embedding")},
                                {QStringLiteral("index"), i},
                                {QStringLiteral("embedding"), values}});
    }
    m_textsEmbedded += int(texts.size());
    send(socket, 200, QJsonObject{{QStringLiteral("object"), QStringLiteral("list")},
                                  {QStringLiteral("data"), data},
                                  {QStringLiteral("model"), m_model},
                                  {QStringLiteral("usage"), QJsonObject{{QStringLiteral("prompt_tokens"), total},
                                                                        {QStringLiteral("total_tokens"), total}}}});
}

} // namespace Spool::Test
