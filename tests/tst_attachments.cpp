// valijson reports an unreadable schema by exception; that stays inside this file.
#include "fakeproviderserver.h"
#include "scriptedreply.h"
#include "spoolprocess.h"
#include "testsupport.h"

#include "agents/agent.h"
#include "attachments/attachmentintake.h"
#include "attachments/attachmentstore.h"
#include "attachments/exportreport.h"
#include "attachments/exportrequest.h"
#include "attachments/importreport.h"
#include "core/attachmentlimits.h"
#include "gateway/gateway.h"
#include "imagepreparer.h"
#include "journal/journalstore.h"
#include "providers/keystore.h"
#include "providers/providerfactory.h"
#include "providers/providerregistry.h"

#include <valijson/adapters/qtjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <QBuffer>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPainter>
#include <QProcess>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>

using namespace Spool;
using Spool::Test::FakeProviderServer;
using Spool::Test::ScriptedReply;

// Attachments end to end (issue 15): what a message may carry, contents stored once by sha256
// and freed with their last reference, both hosted APIs sent images and files in requests their
// validating fakes accept, earlier attachments sent again, forks that link to their parent,
// exports that validate against docs/export.schema.json and come back identical, and the
// command line's --attach, fork, export and import.
class tst_Attachments : public QObject
{
    Q_OBJECT
private slots:
    void intake_data();
    void intake();
    void contentStoredOnceAndFreedWithItsLastReference();
    void deterministicProviderDescribesWhatItReceived();
    void providersSendImagesAndFiles_data();
    void providersSendImagesAndFiles();
    void modelWithoutImagesIsRefusedClearly();
    void anthropicValidatorRefusesWhatTheApiRefuses_data();
    void anthropicValidatorRefusesWhatTheApiRefuses();
    void imagesAreScaledDown_data();
    void imagesAreScaledDown();
    void forkLinksToItsParent();
    void exportValidatesAndRoundTrips();
    void brokenImportChangesNothing_data();
    void brokenImportChangesNothing();
    void markdownExportPutsFilesBeside();
    void commandLine();
};

namespace {

QByteArray pngBytes(int w, int h, bool alpha = false)
{
    QImage image(w, h, alpha ? QImage::Format_ARGB32 : QImage::Format_RGB32);
    image.fill(alpha ? QColor(10, 200, 30, 128) : QColor(200, 30, 10));
    QPainter p(&image);
    p.drawLine(0, 0, w - 1, h - 1);
    p.end();
    QByteArray out;
    QBuffer b(&out);
    b.open(QIODevice::WriteOnly);
    image.save(&b, "PNG");
    return out;
}

QByteArray jpegBytes(int w, int h)
{
    QImage image(w, h, QImage::Format_RGB32);
    image.fill(QColor(30, 60, 200));
    QByteArray out;
    QBuffer b(&out);
    b.open(QIODevice::WriteOnly);
    image.save(&b, "JPEG", 80);
    return out;
}

QString sha(const QByteArray &data)
{
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

Attachment file(const QString &name, const QByteArray &data)
{
    Attachment a;
    a.name = name;
    a.data = data;
    return a;
}

RunInfo runWith(Gateway &g, const QString &key, const QString &text, const QList<Attachment> &attachments,
                const QString &agent = {})
{
    RunRequest r;
    r.session.key = key;
    r.text = text;
    r.agent = agent;
    r.attachments = attachments;
    r.source = QStringLiteral("test");
    auto started = g.startRun(r);
    if (!started) {
        qWarning("startRun: %s", qPrintable(started.errorMessage()));
        return {};
    }
    return Test::waitForRun(g, started->id);
}

QString replyOf(Gateway &g, const QString &runId)
{
    auto events = g.inspection().tape(runId);
    QString text;
    for (const TapeEvent &e : *events) {
        if (e.kind == TapeKind::AssistantMessage)
            text += e.payload.value(QStringLiteral("text")).toString();
    }
    return text;
}

qint64 count(Gateway &g, const QString &table)
{
    auto q = g.journal().exec(QStringLiteral("SELECT COUNT(*) FROM %1").arg(table));
    return q && q->next() ? q->value(0).toLongLong() : -1;
}

// The problems of `document` against docs/export.schema.json; empty when it is valid.
QStringList schemaProblems(const QJsonObject &document)
{
    QFile f(QStringLiteral(SPOOL_SOURCE_DIR "/docs/export.schema.json"));
    if (!f.open(QIODevice::ReadOnly))
        return {QStringLiteral("cannot read the schema")};
    const QJsonDocument schemaDoc = QJsonDocument::fromJson(f.readAll());
    if (!schemaDoc.isObject())
        return {QStringLiteral("the schema is not JSON")};
    valijson::Schema schema;
    try {
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        const valijson::adapters::QtJsonAdapter adapter{QJsonValue(schemaDoc.object())};
        parser.populateSchema(adapter, schema);
    } catch (const std::exception &e) {
        return {QStringLiteral("the schema did not load: %1").arg(QString::fromUtf8(e.what()))};
    }
    valijson::Validator validator;
    valijson::ValidationResults results;
    const valijson::adapters::QtJsonAdapter target{QJsonValue(document)};
    if (validator.validate(schema, target, &results))
        return {};
    QStringList out;
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
        QStringList where;
        for (const std::string &c : error.context)
            where.append(QString::fromStdString(c));
        out.append(where.join(QString()) + QStringLiteral(": ") + QString::fromStdString(error.description));
    }
    return out;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// A gateway with the provider "remote" (of `api`) on a validating fake server, and the agent
// "remote-agent" on it.
struct Remote
{
    Test::TempEnvironment env;
    FakeProviderServer server;
    std::unique_ptr<ProviderFactory> factory;
    std::unique_ptr<Gateway> gateway;

    bool open(const QString &api, bool images = true)
    {
        if (!server.listen())
            return false;
        gateway = Test::openGateway(env.config);
        if (!gateway)
            return false;
        factory = std::make_unique<ProviderFactory>(env.config.configDir, KeyStore::Backend::File);
        ProviderConfig c;
        c.name = QStringLiteral("remote");
        c.kind = *ProviderConfig::parseKind(api);
        c.baseUrl = server.baseUrl(api == QLatin1String("openai") ? QStringLiteral("/v1") : QString());
        c.defaultModel = QStringLiteral("test-model");
        c.maxRetries = 0;
        c.acceptsImages = images;
        std::optional<Status> added;
        factory->addProvider(c, QStringLiteral("sk-attach-0123456789"), &gateway->providerRegistry(), nullptr,
                             [&added](const Status &s) { added = s; });
        if (!QTest::qWaitFor([&added] { return added.has_value(); }, 5000) || !*added)
            return false;
        Agent agent;
        agent.name = QStringLiteral("remote-agent");
        agent.systemPrompt = QStringLiteral("You look at things.");
        agent.provider = QStringLiteral("remote");
        agent.model = QStringLiteral("test-model");
        return bool(gateway->agents().save(agent));
    }
};

} // namespace

void tst_Attachments::intake_data()
{
    QTest::addColumn<QList<Attachment>>("attachments");
    QTest::addColumn<QStringList>("mimes");   // accepted: each one's type
    QTest::addColumn<QString>("refusal");     // refused: part of the message

    const QByteArray png = pngBytes(8, 8);
    QTest::newRow("png named .txt is a png") << QList<Attachment>{file(QStringLiteral("notes.txt"), png)}
                                             << QStringList{QStringLiteral("image/png")} << QString();
    QTest::newRow("markdown") << QList<Attachment>{file(QStringLiteral("a.md"), "# Title\n\nText.\n")}
                              << QStringList{QStringLiteral("text/markdown")} << QString();
    QTest::newRow("text without a name") << QList<Attachment>{file(QString(), "plain words\n")}
                                         << QStringList{QStringLiteral("text/plain")} << QString();
    QTest::newRow("pdf") << QList<Attachment>{file(QStringLiteral("doc.bin"), "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")}
                         << QStringList{QStringLiteral("application/pdf")} << QString();
    QTest::newRow("zip refused") << QList<Attachment>{file(QStringLiteral("a.zip"), QByteArray("PK\x03\x04\x14\x00\x00\x00\x08\x00", 10) + QByteArray(40, 'x'))}
                                 << QStringList() << QStringLiteral("models can be sent");
    QTest::newRow("empty refused") << QList<Attachment>{file(QStringLiteral("e.txt"), QByteArray())}
                                   << QStringList() << QStringLiteral("is empty");
    QTest::newRow("file over its cap") << QList<Attachment>{file(QStringLiteral("big.txt"), QByteArray(2000, 'a'))}
                                       << QStringList() << QStringLiteral("over the limit of 1000 B per file");
    QTest::newRow("message over its cap")
            << QList<Attachment>{file(QStringLiteral("a.txt"), QByteArray(900, 'a')),
                                 file(QStringLiteral("b.txt"), QByteArray(900, 'b'))}
            << QStringList() << QStringLiteral("per message");
}

void tst_Attachments::intake()
{
    QFETCH(QList<Attachment>, attachments);
    QFETCH(QStringList, mimes);
    QFETCH(QString, refusal);
    AttachmentLimits limits;
    limits.maxFileBytes = 1000;
    limits.maxMessageBytes = 1500;
    auto accepted = AttachmentIntake::accept(attachments, limits);
    if (!refusal.isEmpty()) {
        QVERIFY(!accepted);
        QCOMPARE(accepted.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(accepted.errorMessage().contains(refusal), qPrintable(accepted.errorMessage()));
        return;
    }
    QVERIFY2(accepted, qPrintable(accepted.errorMessage()));
    QCOMPARE(accepted->size(), mimes.size());
    for (int i = 0; i < mimes.size(); ++i) {
        QCOMPARE(accepted->at(i).mime, mimes.at(i));
        QCOMPARE(accepted->at(i).sha256, sha(attachments.at(i).data));
        QCOMPARE(accepted->at(i).bytes, attachments.at(i).data.size());
        QVERIFY(!accepted->at(i).name.isEmpty());
    }
}

void tst_Attachments::contentStoredOnceAndFreedWithItsLastReference()
{
    Test::TempEnvironment env;
    auto g = Test::openGateway(env.config);
    QVERIFY(g);
    const QByteArray png = pngBytes(16, 16);
    const QByteArray other = "second file\n";
    QCOMPARE(runStateName(runWith(*g, QStringLiteral("a"), QStringLiteral("one"), {file(QStringLiteral("x.png"), png)}).state),
             QStringLiteral("succeeded"));
    QCOMPARE(runStateName(runWith(*g, QStringLiteral("a"), QStringLiteral("two"),
                                  {file(QStringLiteral("again.png"), png), file(QStringLiteral("o.txt"), other)}).state),
             QStringLiteral("succeeded"));
    QCOMPARE(runStateName(runWith(*g, QStringLiteral("b"), QStringLiteral("three"), {file(QStringLiteral("x.png"), png)}).state),
             QStringLiteral("succeeded"));
    QCOMPARE(count(*g, QStringLiteral("attachment_blobs")), 2);
    QCOMPARE(count(*g, QStringLiteral("attachment_refs")), 4);
    auto stored = g->attachment(sha(png));
    QVERIFY2(stored, qPrintable(stored.errorMessage()));
    QCOMPARE(stored->data, png);
    QCOMPARE(stored->mime, QStringLiteral("image/png"));

    // Session a goes: its text file goes with it, the picture stays for b.
    QVERIFY(g->sessions().remove(QStringLiteral("a")));
    QCOMPARE(count(*g, QStringLiteral("attachment_blobs")), 1);
    QCOMPARE(count(*g, QStringLiteral("attachment_refs")), 1);
    QVERIFY(!g->attachment(sha(other)));
    QVERIFY(g->attachment(sha(png)));
    QVERIFY(g->sessions().remove(QStringLiteral("b")));
    QCOMPARE(count(*g, QStringLiteral("attachment_blobs")), 0);
    QCOMPARE(g->attachment(sha(png)).error().code, ErrorCode::NotFound);
}

void tst_Attachments::deterministicProviderDescribesWhatItReceived()
{
    Test::TempEnvironment env;
    auto g = Test::openGateway(env.config);
    QVERIFY(g);
    const QByteArray png = pngBytes(20, 10);
    const RunInfo first = runWith(*g, QStringLiteral("d"), QStringLiteral("look"), {file(QStringLiteral("shot.png"), png)});
    QCOMPARE(runStateName(first.state), QStringLiteral("succeeded"));
    const QString reply = replyOf(*g, first.id);
    QVERIFY2(reply.contains(QStringLiteral("Received 1 attachment:")), qPrintable(reply));
    QVERIFY2(reply.contains(QStringLiteral("shot.png (image/png, %1 bytes, sha256 %2)").arg(png.size()).arg(sha(png).left(12))),
             qPrintable(reply));
    // The input on the tape names it; the bytes are not on the tape.
    TapeEvent input;
    const auto firstTape = g->inspection().tape(first.id);
    for (const TapeEvent &e : *firstTape) {
        if (e.kind == TapeKind::Input)
            input = e;
    }
    const QJsonObject a = input.payload.value(QStringLiteral("attachments")).toArray().at(0).toObject();
    QCOMPARE(a.value(QStringLiteral("sha256")).toString(), sha(png));
    QVERIFY(!QJsonDocument(input.payload).toJson().contains(png.toBase64().left(40)));

    // The next run's context carries the picture again, with its content.
    const RunInfo second = runWith(*g, QStringLiteral("d"), QStringLiteral("and now?"), {});
    QVERIFY2(replyOf(*g, second.id).contains(QStringLiteral("1 earlier attachment(s) in the context")),
             qPrintable(replyOf(*g, second.id)));
    // An empty message with an attachment is a message.
    const RunInfo third = runWith(*g, QStringLiteral("d"), QString(), {file(QStringLiteral("t.txt"), "hello\n")});
    QCOMPARE(runStateName(third.state), QStringLiteral("succeeded"));
}

void tst_Attachments::providersSendImagesAndFiles_data()
{
    QTest::addColumn<QString>("api");
    QTest::newRow("openai") << QStringLiteral("openai");
    QTest::newRow("anthropic") << QStringLiteral("anthropic");
}

void tst_Attachments::providersSendImagesAndFiles()
{
    QFETCH(QString, api);
    Remote r;
    QVERIFY(r.open(api));
    r.server.setResponder([api](const Test::RecordedRequest &, int) {
        return ScriptedReply::streamed(api, QStringLiteral("I see it."));
    });
    const QByteArray png = pngBytes(32, 24);
    const QByteArray jpeg = jpegBytes(24, 24);
    const QByteArray text = "line one\nline two\n";
    const QByteArray pdf = "%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";
    const RunInfo run = runWith(*r.gateway, QStringLiteral("r"), QStringLiteral("What is in these?"),
                                {file(QStringLiteral("a.png"), png), file(QStringLiteral("b.jpg"), jpeg),
                                 file(QStringLiteral("notes.txt"), text), file(QStringLiteral("doc.pdf"), pdf)},
                                QStringLiteral("remote-agent"));
    QVERIFY2(r.server.rejections().isEmpty(), qPrintable(r.server.rejections().join(QLatin1Char('\n'))));
    QCOMPARE(runStateName(run.state), QStringLiteral("succeeded"));
    const QString body = QString::fromUtf8(r.server.requests().last().body);
    if (api == QLatin1String("openai")) {
        QVERIFY(body.contains(QStringLiteral("\"image_url\":{\"url\":\"data:image/png;base64,") + QString::fromLatin1(png.toBase64())));
        QVERIFY(body.contains(QStringLiteral("data:image/jpeg;base64,") + QString::fromLatin1(jpeg.toBase64())));
        QVERIFY(body.contains(QStringLiteral("\"file_data\":\"data:application/pdf;base64,")));
        QVERIFY(body.contains(QStringLiteral("File notes.txt (text/plain):\\n\\nline one\\nline two\\n")));
    } else {
        QVERIFY(body.contains(QStringLiteral("\"media_type\":\"image/png\"")));
        QVERIFY(body.contains(QString::fromLatin1(png.toBase64())));
        QVERIFY(body.contains(QStringLiteral("\"media_type\":\"application/pdf\"")));
        QVERIFY(body.contains(QStringLiteral("\"media_type\":\"text/plain\"")));
        QVERIFY(body.contains(QStringLiteral("\"title\":\"notes.txt\"")));
    }
    // The tape's provider.request names the files, without their bytes.
    auto tape = r.gateway->inspection().tape(run.id);
    for (const TapeEvent &e : *tape)
        QVERIFY(!QJsonDocument(e.payload).toJson().contains(png.toBase64().left(40)));

    // A later run sends them again, and the fake still accepts the request.
    const RunInfo next = runWith(*r.gateway, QStringLiteral("r"), QStringLiteral("And the second?"), {},
                                 QStringLiteral("remote-agent"));
    QVERIFY2(r.server.rejections().isEmpty(), qPrintable(r.server.rejections().join(QLatin1Char('\n'))));
    QCOMPARE(runStateName(next.state), QStringLiteral("succeeded"));
    QVERIFY(QString::fromUtf8(r.server.requests().last().body).contains(QString::fromLatin1(png.toBase64())));
}

void tst_Attachments::modelWithoutImagesIsRefusedClearly()
{
    Remote r;
    QVERIFY(r.open(QStringLiteral("openai"), false));
    r.server.setResponder([](const Test::RecordedRequest &, int) {
        return ScriptedReply::streamed(QStringLiteral("openai"), QStringLiteral("Fine."));
    });
    RunRequest req;
    req.session.key = QStringLiteral("blind");
    req.agent = QStringLiteral("remote-agent");
    req.text = QStringLiteral("look");
    req.attachments = {file(QStringLiteral("s.png"), pngBytes(8, 8))};
    const qsizetype before = r.server.requests().size();
    auto started = r.gateway->startRun(req);
    QVERIFY(!started);
    QCOMPARE(started.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(started.errorMessage().contains(QStringLiteral("does not take images")), qPrintable(started.errorMessage()));
    QCOMPARE(r.server.requests().size(), before); // nothing was sent
    // Text files still go.
    const RunInfo run = runWith(*r.gateway, QStringLiteral("blind"), QStringLiteral("read"),
                                {file(QStringLiteral("n.txt"), "words\n")}, QStringLiteral("remote-agent"));
    QCOMPARE(runStateName(run.state), QStringLiteral("succeeded"));
    QVERIFY(r.server.rejections().isEmpty());
}

void tst_Attachments::anthropicValidatorRefusesWhatTheApiRefuses_data()
{
    QTest::addColumn<QJsonObject>("block");
    QTest::addColumn<QString>("refusal"); // empty: accepted
    const QString png = QString::fromLatin1(pngBytes(4, 4).toBase64());
    auto image = [](const QString &mediaType, const QString &data) {
        return QJsonObject{{QStringLiteral("type"), QStringLiteral("image")},
                           {QStringLiteral("source"), QJsonObject{{QStringLiteral("type"), QStringLiteral("base64")},
                                                                  {QStringLiteral("media_type"), mediaType},
                                                                  {QStringLiteral("data"), data}}}};
    };
    QTest::newRow("png") << image(QStringLiteral("image/png"), png) << QString();
    QTest::newRow("bmp media type") << image(QStringLiteral("image/bmp"), png) << QStringLiteral("media_type");
    QTest::newRow("wrong media type") << image(QStringLiteral("image/jpeg"), png)
                                      << QStringLiteral("does not match the provided media type");
    QTest::newRow("not base64") << image(QStringLiteral("image/png"), QStringLiteral("not base64!"))
                                << QStringLiteral("invalid base64");
    QTest::newRow("over 5 MB") << image(QStringLiteral("image/png"),
                                        QString::fromLatin1(QByteArray(QByteArray("\x89PNG\r\n\x1a\n") + QByteArray(5 * 1024 * 1024, 'a')).toBase64()))
                               << QStringLiteral("exceeds 5 MB");
    QTest::newRow("pdf document")
            << QJsonObject{{QStringLiteral("type"), QStringLiteral("document")},
                           {QStringLiteral("source"), QJsonObject{{QStringLiteral("type"), QStringLiteral("base64")},
                                                                  {QStringLiteral("media_type"), QStringLiteral("application/pdf")},
                                                                  {QStringLiteral("data"), QString::fromLatin1(QByteArray("%PDF-1.4\n").toBase64())}}}}
            << QString();
    QTest::newRow("document of png")
            << QJsonObject{{QStringLiteral("type"), QStringLiteral("document")},
                           {QStringLiteral("source"), QJsonObject{{QStringLiteral("type"), QStringLiteral("base64")},
                                                                  {QStringLiteral("media_type"), QStringLiteral("image/png")},
                                                                  {QStringLiteral("data"), png}}}}
            << QStringLiteral("'application/pdf'");
    QTest::newRow("text document")
            << QJsonObject{{QStringLiteral("type"), QStringLiteral("document")},
                           {QStringLiteral("title"), QStringLiteral("n.txt")},
                           {QStringLiteral("source"), QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                                                  {QStringLiteral("media_type"), QStringLiteral("text/plain")},
                                                                  {QStringLiteral("data"), QStringLiteral("words")}}}}
            << QString();
    QTest::newRow("no source") << QJsonObject{{QStringLiteral("type"), QStringLiteral("image")}} << QStringLiteral("source");
}

void tst_Attachments::anthropicValidatorRefusesWhatTheApiRefuses()
{
    QFETCH(QJsonObject, block);
    QFETCH(QString, refusal);
    Remote r;
    QVERIFY(r.open(QStringLiteral("anthropic")));
    r.server.setResponder([](const Test::RecordedRequest &, int) {
        return ScriptedReply::streamed(QStringLiteral("anthropic"), QStringLiteral("ok"));
    });
    // Straight to the fake, as a client that builds its own body would.
    QNetworkAccessManager nam;
    QNetworkRequest request(QUrl(r.server.baseUrl() + QStringLiteral("/v1/messages")));
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    request.setRawHeader("x-api-key", "sk-attach-0123456789");
    request.setRawHeader("anthropic-version", "2023-06-01");
    const QJsonObject body{{QStringLiteral("model"), QStringLiteral("test-model")},
                           {QStringLiteral("max_tokens"), 100},
                           {QStringLiteral("stream"), true},
                           {QStringLiteral("messages"),
                            QJsonArray{QJsonObject{{QStringLiteral("role"), QStringLiteral("user")},
                                                   {QStringLiteral("content"),
                                                    QJsonArray{block, QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                                                                  {QStringLiteral("text"), QStringLiteral("what is it?")}}}}}}}};
    QNetworkReply *reply = nam.post(request, QJsonDocument(body).toJson(QJsonDocument::Compact));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 10000);
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    reply->deleteLater();
    if (refusal.isEmpty()) {
        QVERIFY2(r.server.rejections().isEmpty(), qPrintable(r.server.rejections().join(QLatin1Char('\n'))));
        QCOMPARE(status, 200);
    } else {
        QCOMPARE(status, 400);
        QCOMPARE(r.server.rejections().size(), 1);
        QVERIFY2(r.server.rejections().constFirst().contains(refusal), qPrintable(r.server.rejections().constFirst()));
    }
}

void tst_Attachments::imagesAreScaledDown_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<int>("maxEdge");
    QTest::addColumn<QSize>("size");
    QTest::addColumn<QString>("mime");
    QTest::addColumn<bool>("changed");
    QTest::newRow("4000x3000 jpeg") << jpegBytes(4000, 3000) << 2048 << QSize(2048, 1536) << QStringLiteral("image/jpeg") << true;
    QTest::newRow("small png stays") << pngBytes(300, 200) << 2048 << QSize(300, 200) << QStringLiteral("image/png") << false;
    QTest::newRow("tall png stays png") << pngBytes(500, 3000, true) << 1000 << QSize(166, 1000) << QStringLiteral("image/png") << true;
    QTest::newRow("not an image") << QByteArray("just text\n") << 100 << QSize() << QString() << false;
}

void tst_Attachments::imagesAreScaledDown()
{
    QFETCH(QByteArray, data);
    QFETCH(int, maxEdge);
    QFETCH(QSize, size);
    QFETCH(QString, mime);
    QFETCH(bool, changed);
    const ImagePreparer::Outcome o = ImagePreparer::prepare(data, maxEdge);
    QCOMPARE(o.mime, mime);
    QCOMPARE(o.changed, changed);
    if (mime.isEmpty()) {
        QCOMPARE(o.data, data);
        return;
    }
    QCOMPARE(o.size, size);
    QImage back;
    QVERIFY(back.loadFromData(o.data));
    QCOMPARE(back.size(), size);
    if (!changed)
        QCOMPARE(o.data, data);
}

void tst_Attachments::forkLinksToItsParent()
{
    Test::TempEnvironment env;
    auto g = Test::openGateway(env.config);
    QVERIFY(g);
    QList<RunInfo> runs;
    for (const QString &text : {QStringLiteral("first"), QStringLiteral("second"), QStringLiteral("third")})
        runs.append(runWith(*g, QStringLiteral("trunk"), text, {}));
    QSignalSpy changed(g.get(), &Gateway::sessionsChanged); // the session list shows the fork
    auto fork = g->sessions().fork(QStringLiteral("trunk"), runs.at(1).id);
    QVERIFY2(fork, qPrintable(fork.errorMessage()));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(fork->parentSessionId, runs.at(0).sessionId);
    QCOMPARE(fork->forkOrdinal, 2);
    QCOMPARE(fork->runCount, 0);
    // Nothing was copied.
    QCOMPARE(count(*g, QStringLiteral("runs")), 3);

    RunRequest r;
    r.session.id = fork->id;
    r.createSession = false;
    r.text = QStringLiteral("branch");
    auto started = g->startRun(r);
    QVERIFY2(started, qPrintable(started.errorMessage()));
    const RunInfo branched = Test::waitForRun(*g, started->id);
    QCOMPARE(branched.ordinal, 1);
    // The model saw the parent's first two turns, not the third.
    QVERIFY2(replyOf(*g, branched.id).contains(QStringLiteral("_Context: 2 earlier turns in this session._")),
             qPrintable(replyOf(*g, branched.id)));
    QJsonObject context;
    const auto branchedTape = g->inspection().tape(branched.id);
    for (const TapeEvent &e : *branchedTape) {
        if (e.kind == TapeKind::Context)
            context = e.payload;
    }
    QCOMPARE(context.value(QStringLiteral("turns_used")).toArray(),
             (QJsonArray{runs.at(0).id, runs.at(1).id}));

    // A fork of the fork reaches through both links.
    auto again = g->sessions().fork(fork->id);
    QVERIFY2(again, qPrintable(again.errorMessage()));
    r.session.id = again->id;
    const RunInfo deep = Test::waitForRun(*g, g->startRun(r)->id);
    QVERIFY2(replyOf(*g, deep.id).contains(QStringLiteral("_Context: 3 earlier turns")), qPrintable(replyOf(*g, deep.id)));

    // The parent stays while a fork links to it; the forks go first.
    const Status refused = g->sessions().remove(QStringLiteral("trunk"));
    QVERIFY(!refused);
    QCOMPARE(refused.error().code, ErrorCode::Conflict);
    QVERIFY2(refused.errorMessage().contains(QStringLiteral("fork")), qPrintable(refused.errorMessage()));
    QVERIFY(!g->sessions().fork(QStringLiteral("trunk"), QStringLiteral("nope")));
    QVERIFY(g->sessions().remove(again->id));
    QVERIFY(g->sessions().remove(fork->id));
    QVERIFY(g->sessions().remove(QStringLiteral("trunk")));
}

void tst_Attachments::exportValidatesAndRoundTrips()
{
    Test::TempEnvironment env;
    auto g = Test::openGateway(env.config);
    QVERIFY(g);
    const QByteArray png = pngBytes(40, 30);
    runWith(*g, QStringLiteral("x"), QStringLiteral("look at this"), {file(QStringLiteral("p.png"), png)});
    const RunInfo second = runWith(*g, QStringLiteral("x"), QStringLiteral("what time is it [[tool clock {}]]"), {});
    runWith(*g, QStringLiteral("x"), QStringLiteral("third"), {file(QStringLiteral("n.txt"), "notes\n")});
    auto fork = g->sessions().fork(QStringLiteral("x"), second.id);
    QVERIFY(fork);
    RunRequest r;
    r.session.id = fork->id;
    r.createSession = false;
    r.text = QStringLiteral("other way");
    Test::waitForRun(*g, g->startRun(r)->id);

    const QString first = env.dir.filePath(QStringLiteral("first.json"));
    ExportRequest request;
    request.all = true;
    request.path = first;
    auto report = g->sessions().exportSessions(request);
    QVERIFY2(report, qPrintable(report.errorMessage()));
    QCOMPARE(report->sessions, 2);
    QCOMPARE(report->runs, 4);
    QCOMPARE(report->attachments, 2);
    const QByteArray exported = readAll(first);
    const QJsonDocument doc = QJsonDocument::fromJson(exported);
    QVERIFY(doc.isObject());
    const QStringList problems = schemaProblems(doc.object());
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
    // The schema is not a formality: a wrong field fails it.
    QJsonObject broken = doc.object();
    broken.insert(QStringLiteral("version"), 2);
    QVERIFY(!schemaProblems(broken).isEmpty());

    // Exporting just the fork brings its parent along, first.
    ExportRequest forkOnly;
    forkOnly.sessions = {fork->id};
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    auto streamed = g->sessions().exportSessions(forkOnly, &buffer);
    QVERIFY2(streamed, qPrintable(streamed.errorMessage()));
    QCOMPARE(streamed->sessions, 2);
    QCOMPARE(buffer.data(), exported);

    // Into another journal, and out again: the same bytes.
    Test::TempEnvironment other;
    auto h = Test::openGateway(other.config);
    QVERIFY(h);
    QSignalSpy imports(h.get(), &Gateway::sessionsChanged);
    auto imported = h->sessions().importSessions(first);
    QVERIFY2(imported, qPrintable(imported.errorMessage()));
    QCOMPARE(imports.size(), 1);
    QCOMPARE(imported->sessionIds.size(), 2);
    QCOMPARE(imported->runs, 4);
    const QString again = other.dir.filePath(QStringLiteral("again.json"));
    request.path = again;
    QVERIFY(h->sessions().exportSessions(request));
    QCOMPARE(readAll(again), exported);
    // The imported fork still sees its parent's turns.
    r.session.id = fork->id;
    const RunInfo continued = Test::waitForRun(*h, h->startRun(r)->id);
    QVERIFY2(replyOf(*h, continued.id).contains(QStringLiteral("_Context: 3 earlier turns")),
             qPrintable(replyOf(*h, continued.id)));

    // Imported into the journal it came from: new sessions beside the old ones.
    auto twice = g->sessions().importSessions(first);
    QVERIFY2(twice, qPrintable(twice.errorMessage()));
    QVERIFY(!twice->sessionIds.contains(fork->id));
    QCOMPARE(count(*g, QStringLiteral("sessions")), 4);
    QCOMPARE(count(*g, QStringLiteral("attachment_blobs")), 2);
}

void tst_Attachments::brokenImportChangesNothing_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("message");
    QTest::newRow("not json") << QByteArray("{\"format\": \"spool-export\", ") << QStringLiteral("not a Spool export");
    QTest::newRow("another format") << QByteArray("{\"format\": \"other\", \"version\": 1}") << QStringLiteral("\"format\"");
    QTest::newRow("newer version") << QByteArray("{\"format\": \"spool-export\", \"version\": 9}") << QStringLiteral("version 9");
    QTest::newRow("content does not match")
            << QByteArray("{\"format\":\"spool-export\",\"version\":1,\"sessions\":[],\"attachments\":[{\"sha256\":\""
                          + QByteArray(64, 'a') + "\",\"mime\":\"text/plain\",\"bytes\":2,\"data\":\"aGk=\"}]}")
            << QStringLiteral("does not match its sha256");
    QTest::newRow("tape with a gap")
            << QByteArray("{\"format\":\"spool-export\",\"version\":1,\"attachments\":[],\"sessions\":[{\"id\":\"S1\","
                          "\"title\":\"t\",\"agent\":\"default\",\"runs\":[{\"id\":\"R1\",\"ordinal\":1,\"state\":\"succeeded\","
                          "\"attachments\":[],\"tape\":[{\"seq\":2,\"kind\":\"input\",\"created_at\":1,\"payload\":{}}]}]}]}")
            << QStringLiteral("skips");
}

void tst_Attachments::brokenImportChangesNothing()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, message);
    Test::TempEnvironment env;
    auto g = Test::openGateway(env.config);
    QVERIFY(g);
    runWith(*g, QStringLiteral("kept"), QStringLiteral("hello"), {});
    const QString path = env.dir.filePath(QStringLiteral("bad.json"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(content);
    f.close();
    auto imported = g->sessions().importSessions(path);
    QVERIFY(!imported);
    QCOMPARE(imported.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(imported.errorMessage().contains(message), qPrintable(imported.errorMessage()));
    QCOMPARE(count(*g, QStringLiteral("sessions")), 1);
    QCOMPARE(count(*g, QStringLiteral("runs")), 1);
    QCOMPARE(count(*g, QStringLiteral("attachment_blobs")), 0);
}

void tst_Attachments::markdownExportPutsFilesBeside()
{
    Test::TempEnvironment env;
    auto g = Test::openGateway(env.config);
    QVERIFY(g);
    const QByteArray png = pngBytes(12, 12);
    runWith(*g, QStringLiteral("md"), QStringLiteral("A *picture*"), {file(QStringLiteral("my shot.png"), png)});
    ExportRequest request;
    request.sessions = {QStringLiteral("md")};
    request.format = ExportRequest::Format::Markdown;
    request.path = env.dir.filePath(QStringLiteral("out/chat.md"));
    QVERIFY(QDir().mkpath(env.dir.filePath(QStringLiteral("out"))));
    auto report = g->sessions().exportSessions(request);
    QVERIFY2(report, qPrintable(report.errorMessage()));
    QCOMPARE(report->attachments, 1);
    const QString md = QString::fromUtf8(readAll(request.path));
    const QString image = QStringLiteral("chat.files/%1-my_shot.png").arg(sha(png).left(12));
    QVERIFY2(md.contains(QStringLiteral("](<%1>)").arg(image)), qPrintable(md));
    QVERIFY(md.contains(QStringLiteral("![my shot.png (image/png")));
    QVERIFY(md.contains(QStringLiteral("A *picture*")));
    QVERIFY(md.contains(QStringLiteral("Assistant")));
    QCOMPARE(readAll(env.dir.filePath(QStringLiteral("out/")) + image), png);
}

void tst_Attachments::commandLine()
{
    QTemporaryDir dir;
    const QProcessEnvironment env = Test::spoolEnvironment(dir.path());
    // A 4000x3000 photo goes through spool-image: the model gets it at 2048x1536.
    const QString photo = dir.filePath(QStringLiteral("photo.jpg"));
    {
        QFile f(photo);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(jpegBytes(4000, 3000));
    }
    const QString notes = dir.filePath(QStringLiteral("notes.md"));
    {
        QFile f(notes);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("# Notes\n\nbuy milk\n");
    }
    auto chat = Test::runSpool(env, {QStringLiteral("chat"), QStringLiteral("--session"), QStringLiteral("cli"),
                                     QStringLiteral("--attach"), photo, QStringLiteral("--attach"), notes,
                                     QStringLiteral("What is this?")});
    QVERIFY2(chat.code == 0, qPrintable(chat.err));
    QVERIFY2(chat.out.contains(QStringLiteral("Received 2 attachments:")), qPrintable(chat.out));
    QVERIFY2(chat.out.contains(QStringLiteral("photo.jpg (image/jpeg")), qPrintable(chat.out));
    QVERIFY2(chat.out.contains(QStringLiteral("notes.md (text/markdown, 18 bytes")), qPrintable(chat.out));

    auto stored = Test::runSpool(env, {QStringLiteral("sessions"), QStringLiteral("show"), QStringLiteral("cli"),
                                       QStringLiteral("--json")});
    QCOMPARE(stored.code, 0);

    // Refusals are clear and exit non-zero.
    const QString archive = dir.filePath(QStringLiteral("a.zip"));
    {
        QFile f(archive);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("PK\x03\x04\x14\x00\x00\x00\x08\x00", 10) + QByteArray(40, 'x'));
    }
    auto refused = Test::runSpool(env, {QStringLiteral("chat"), QStringLiteral("--attach"), archive, QStringLiteral("hi")});
    QVERIFY(refused.code != 0);
    QVERIFY2(refused.err.contains(QStringLiteral("models can be sent")), qPrintable(refused.err));
    auto missing = Test::runSpool(env, {QStringLiteral("chat"), QStringLiteral("--attach"), dir.filePath(QStringLiteral("none.png")),
                                        QStringLiteral("hi")});
    QVERIFY(missing.code != 0);
    QVERIFY2(missing.err.contains(QStringLiteral("cannot attach")), qPrintable(missing.err));

    // Fork, then export both branches and import them into another journal.
    auto fork = Test::runSpool(env, {QStringLiteral("sessions"), QStringLiteral("fork"), QStringLiteral("cli"), QStringLiteral("--json")});
    QVERIFY2(fork.code == 0, qPrintable(fork.err));
    const QJsonObject forked = QJsonDocument::fromJson(fork.out.toUtf8()).object();
    QVERIFY(!forked.value(QStringLiteral("parent_session_id")).toString().isEmpty());
    const QString forkId = forked.value(QStringLiteral("id")).toString();
    auto branch = Test::runSpool(env, {QStringLiteral("chat"), QStringLiteral("--session-id"), forkId, QStringLiteral("another way")});
    QVERIFY2(branch.code == 0, qPrintable(branch.err));
    QVERIFY2(branch.out.contains(QStringLiteral("2 earlier attachment(s) in the context")), qPrintable(branch.out));

    const QString json = dir.filePath(QStringLiteral("all.json"));
    auto exported = Test::runSpool(env, {QStringLiteral("export"), QStringLiteral("--all"), QStringLiteral("--format"),
                                         QStringLiteral("json"), QStringLiteral("--output"), json});
    QVERIFY2(exported.code == 0, qPrintable(exported.err));
    QVERIFY2(exported.out.contains(QStringLiteral("exported 2 session(s), 2 run(s), 2 attachment(s)")), qPrintable(exported.out));
    auto toStdout = Test::runSpool(env, {QStringLiteral("export"), forkId});
    QCOMPARE(toStdout.code, 0);
    QCOMPARE(toStdout.out.toUtf8(), readAll(json));
    const QString md = dir.filePath(QStringLiteral("all.md"));
    auto markdown = Test::runSpool(env, {QStringLiteral("export"), QStringLiteral("--all"), QStringLiteral("--format"),
                                         QStringLiteral("md"), QStringLiteral("--output"), md});
    QVERIFY2(markdown.code == 0, qPrintable(markdown.err));
    QVERIFY(QFileInfo(md).size() > 0);
    QCOMPARE(QDir(dir.filePath(QStringLiteral("all.files"))).entryList(QDir::Files).size(), 2);
    auto usage = Test::runSpool(env, {QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("pdf"), QStringLiteral("--all")});
    QVERIFY(usage.code != 0);

    QTemporaryDir elsewhere;
    const QProcessEnvironment env2 = Test::spoolEnvironment(elsewhere.path());
    auto imported = Test::runSpool(env2, {QStringLiteral("import"), json});
    QVERIFY2(imported.code == 0, qPrintable(imported.err));
    QVERIFY2(imported.out.contains(QStringLiteral("imported 2 session(s) with 2 run(s) and 2 attachment(s)")), qPrintable(imported.out));
    const QString back = elsewhere.filePath(QStringLiteral("back.json"));
    QCOMPARE(Test::runSpool(env2, {QStringLiteral("export"), QStringLiteral("--all"), QStringLiteral("--output"), back}).code, 0);
    QCOMPARE(readAll(back), readAll(json));
    auto bad = Test::runSpool(env2, {QStringLiteral("import"), notes});
    QVERIFY(bad.code != 0);
    QVERIFY2(bad.err.contains(QStringLiteral("not a Spool export")), qPrintable(bad.err));

    // A retry sends the same attachments again, their contents from the journal.
    auto runs = Test::runSpool(env, {QStringLiteral("runs"), QStringLiteral("list"), QStringLiteral("--session"),
                                     QStringLiteral("cli"), QStringLiteral("--json")});
    QVERIFY2(runs.code == 0, qPrintable(runs.err));
    const QJsonArray listed = QJsonDocument::fromJson(runs.out.toUtf8()).array();
    QVERIFY(!listed.isEmpty());
    const QString first = listed.last().toObject().value(QStringLiteral("id")).toString();
    auto retried = Test::runSpool(env, {QStringLiteral("runs"), QStringLiteral("retry"), first});
    QVERIFY2(retried.code == 0, qPrintable(retried.err));
    QVERIFY2(retried.out.contains(QStringLiteral("Received 2 attachments:")), qPrintable(retried.out));
}

QTEST_GUILESS_MAIN(tst_Attachments)
#include "tst_attachments.moc"
