#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include <vector>

class QTcpServer;
class QTcpSocket;

namespace Spool::Test {

// A real HTTP/1.1 embeddings server on 127.0.0.1 that answers like an OpenAI-compatible
// `POST /v1/embeddings` (and `GET /v1/models`), for the memory tests and benchmarks.
//
// It refuses what OpenAI refuses: every body is validated against `CreateEmbeddingRequest` of
// OpenAI's published OpenAPI document (tests/fixtures/openai-openapi/embeddings-schemas.json,
// valijson), then against the rules the document states in prose (no empty string, at most
// 8,192 tokens per input and 300,000 per request, estimated at four characters a token), an
// unknown model is a 404 `model_not_found`, and a missing or wrong key a 401, each with the
// API's error body.
//
// What it computes is a real embedding, but not a neural one: feature hashing (Weinberger et
// al., "Feature Hashing for Large Scale Multitask Learning", 2009) of the text's lower-cased
// words and of their character trigrams, each feature adding +-1 (its hash's sign bit) to one
// of `dimension` coordinates (its hash modulo the dimension), words weighted 1 and trigrams
// 0.5, counts damped by 1 + log(count), the whole L2-normalised. Texts that share words, word
// stems or spellings point the same way; synonyms that share no letters do not. It is
// deterministic, so tests and benchmarks can rely on it.
class EmbeddingsServer : public QObject
{
    Q_OBJECT
public:
    explicit EmbeddingsServer(int dimension = 768, QObject *parent = nullptr);
    ~EmbeddingsServer() override;

    bool listen();
    quint16 port() const;
    QString baseUrl() const; // http://127.0.0.1:PORT/v1

    // The model it serves ("hash-embed"); requests for any other get a 404.
    QString model() const { return m_model; }
    void setModel(const QString &model) { m_model = model; }
    // A key the requests must carry as "Authorization: Bearer KEY"; empty: none needed.
    void setApiKey(const QString &key) { m_key = key.toUtf8(); }

    // Ways to misbehave, for the bad-input tests.
    void failNext(int requests, int httpStatus = 500) { m_failures = requests; m_failStatus = httpStatus; }
    // Answers vectors of this many dimensions instead (0: the real dimension).
    void setAnsweredDimension(int dimension) { m_answeredDimension = dimension; }
    // Answers NaN in every vector (which JSON cannot carry: the body is then not JSON).
    void setAnswerGarbage(bool garbage) { m_garbage = garbage; }

    // The embedding it computes, for tests that compare.
    static std::vector<float> embed(const QString &text, int dimension);

    int embeddingRequests() const { return m_embeddingRequests; }
    int textsEmbedded() const { return m_textsEmbedded; }
    QStringList rejections() const { return m_rejections; }

private:
    void onReadyRead(QTcpSocket *socket);
    void handle(QTcpSocket *socket, const QByteArray &method, const QString &path,
                const QHash<QByteArray, QByteArray> &headers, const QByteArray &body);
    void send(QTcpSocket *socket, int status, const QJsonObject &body);

    QTcpServer *m_server = nullptr;
    int m_dimension;
    QString m_model = QStringLiteral("hash-embed");
    QByteArray m_key;
    int m_failures = 0;
    int m_failStatus = 500;
    int m_answeredDimension = 0;
    bool m_garbage = false;
    int m_embeddingRequests = 0;
    int m_textsEmbedded = 0;
    QStringList m_rejections;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

} // namespace Spool::Test
