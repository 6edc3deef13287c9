// The context of a long session (SPEC §10: a session of 10,000 runs builds its request in
// under 20 ms): ContextBuilder rebuilds the earlier turns from the tape within the budget, the
// request is assembled as RunOrchestrator does, and the OpenAI-compatible body is made and
// serialised, as a remote provider sends it. A tenth of the runs call a tool.
//
// Prints one JSON object per line: the session's size, then median / p95 of the whole build.
#include "journal/journalstore.h"
#include "providers/chatmessage.h"
#include "providers/keystore.h"
#include "providers/openaiprovider.h"
#include "providers/providertypes.h"
#include "runs/contextbuilder.h"
#include "runs/runstore.h"
#include "sessions/sessionstore.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <memory>

using namespace Spool;

namespace {

void print(const QJsonObject &o)
{
    std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    std::fflush(stdout);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int runCount = argc > 1 ? std::atoi(argv[1]) : 10000;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 100;

    QTemporaryDir dir;
    JournalStore journal;
    journal.setDurability(JournalStore::Durability::Normal);
    if (Status s = journal.open(dir.filePath(QStringLiteral("journal.sqlite3")), QStringLiteral("bench")); !s) {
        std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
        return 1;
    }
    SessionStore sessions(journal);
    RunStore runs(journal);
    auto session = sessions.create(QStringLiteral("long"), QStringLiteral("p"), QStringLiteral("d"),
                                   QStringLiteral("default"));
    if (!session)
        return 1;
    QElapsedTimer clock;
    clock.start();
    for (int from = 0; from < runCount; from += 500) {
        Status s = journal.transaction([&]() -> Status {
            for (int i = from; i < qMin(runCount, from + 500); ++i) {
                auto run = runs.create(NewRun{session->id, QStringLiteral("default"), QStringLiteral("openai"),
                                              QStringLiteral("gpt-4o"), QStringLiteral("question %1").arg(i),
                                              QStringLiteral("bench")});
                if (!run)
                    return run.error();
                const QString question = QStringLiteral("Question %1: how does the deployment of service %1 "
                                                        "work, and what should I check before it?").arg(i);
                if (auto e = journal.appendTape(run->id, TapeKind::Input, {{QStringLiteral("text"), question},
                                                                           {QStringLiteral("attachments"), QJsonArray()},
                                                                           {QStringLiteral("source"), QStringLiteral("cli")}});
                    !e)
                    return e.error();
                if (i % 10 == 0) {
                    const QString callId = QStringLiteral("call_%1").arg(i);
                    const QJsonObject callJson = ToolCallRequest::make(callId, QStringLiteral("fs.read"),
                                                                       QStringLiteral("{\"path\":\"notes.md\"}")).toJson();
                    if (auto e = journal.appendTape(run->id, TapeKind::ProviderResponse,
                                                    {{QStringLiteral("text"), QString()},
                                                     {QStringLiteral("tool_calls"), QJsonArray{callJson}}});
                        !e)
                        return e.error();
                    if (auto e = journal.appendTape(run->id, TapeKind::ToolOutput,
                                                    {{QStringLiteral("call_id"), callId},
                                                     {QStringLiteral("tool"), QStringLiteral("fs.read")},
                                                     {QStringLiteral("ok"), true},
                                                     {QStringLiteral("output"), QString(1500, QLatin1Char('n'))}});
                        !e)
                        return e.error();
                }
                const QString answer = QStringLiteral("To deploy service %1, build it, run the checks, and "
                                                      "roll it out in stages; watch the error rate.").arg(i);
                if (auto e = journal.appendTape(run->id, TapeKind::ProviderResponse,
                                                {{QStringLiteral("text"), answer}, {QStringLiteral("tool_calls"), QJsonArray()}});
                    !e)
                    return e.error();
                if (auto e = journal.appendTape(run->id, TapeKind::AssistantMessage, {{QStringLiteral("text"), answer}}); !e)
                    return e.error();
            }
            return {};
        });
        if (!s) {
            std::fprintf(stderr, "%s\n", qPrintable(s.errorMessage()));
            return 1;
        }
    }
    print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("context")},
                      {QStringLiteral("phase"), QStringLiteral("load")},
                      {QStringLiteral("runs"), runCount},
                      {QStringLiteral("load_ms"), clock.elapsed()}});

    auto keys = std::make_shared<KeyStore>(dir.path(), KeyStore::Backend::File);
    ProviderConfig config;
    config.name = QStringLiteral("openai");
    config.baseUrl = QStringLiteral("http://127.0.0.1:9/v1");
    config.defaultModel = QStringLiteral("gpt-4o");
    OpenAiProvider provider(config, keys);
    ContextBuilder builder(journal);
    const QList<ToolDefinition> tools{
            {QStringLiteral("fs.read"), QStringLiteral("Reads a file."),
             QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                         {QStringLiteral("properties"), QJsonObject{{QStringLiteral("path"), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}}}}}}}};
    QList<double> times;
    qint64 bytes = 0;
    int messages = 0;
    for (int round = 0; round < rounds + 5; ++round) {
        QElapsedTimer t;
        t.start();
        auto context = builder.build(session->id, 0, runCount + 1, 12000, 16 * 1024);
        if (!context) {
            std::fprintf(stderr, "%s\n", qPrintable(context.errorMessage()));
            return 1;
        }
        ProviderRequest request;
        request.provider = QStringLiteral("openai");
        request.model = QStringLiteral("gpt-4o");
        request.system = QStringLiteral("You are a helpful assistant.");
        request.messages = context->messages;
        request.messages.append(ChatMessage::user(QStringLiteral("And for the next service?")));
        request.tools = tools;
        const QByteArray body = QJsonDocument(provider.chatBody(request)).toJson(QJsonDocument::Compact);
        const double ms = double(t.nsecsElapsed()) / 1e6;
        if (round >= 5)
            times.append(ms);
        bytes = body.size();
        messages = int(request.messages.size());
    }
    std::sort(times.begin(), times.end());
    print(QJsonObject{{QStringLiteral("bench"), QStringLiteral("context")},
                      {QStringLiteral("runs"), runCount},
                      {QStringLiteral("rounds"), rounds},
                      {QStringLiteral("messages_sent"), messages},
                      {QStringLiteral("body_bytes"), bytes},
                      {QStringLiteral("median_ms"), times.at(times.size() / 2)},
                      {QStringLiteral("p95_ms"), times.at(qMin(times.size() - 1, qsizetype(times.size() * 0.95)))},
                      {QStringLiteral("max_ms"), times.constLast()}});
    return 0;
}
