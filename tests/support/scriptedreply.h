#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace Spool::Test {

// A tool call a scripted model makes, under the name it was offered on the wire.
struct ScriptedCall
{
    QString id;
    QString name;
    QJsonObject arguments;
};

// FakeProviderServer responses shaped as the real APIs send them, for `api` "openai" or
// "anthropic": a streamed reply (SSE), or the same reply as one JSON body.
class ScriptedReply
{
public:
    static QJsonObject streamed(const QString &api, const QString &text,
                                const QList<ScriptedCall> &calls = {}, int delayMs = 0);
    static QJsonObject whole(const QString &api, const QString &text,
                             const QList<ScriptedCall> &calls = {});
    // A reply of `words` words, `delayMs` apart: long enough to cancel mid-stream.
    static QJsonObject slow(const QString &api, int words, int delayMs);

    // What a request offers and carries, read back in either API's shape.
    // The names of the tools offered, in order.
    static QStringList offeredTools(const QString &api, const QJsonObject &body);
    // The wire name of the offered tool whose description contains `marker`.
    static QString offeredToolDescribed(const QString &api, const QJsonObject &body,
                                        const QString &marker);
    // Every tool call in the history: {"id", "name"} in order.
    static QJsonArray historyCalls(const QString &api, const QJsonObject &body);
    // Every tool result in the history: {"id", "content", "error"} in order.
    static QJsonArray historyResults(const QString &api, const QJsonObject &body);
    // The text of every user message (tool results aside), in order.
    static QStringList userTexts(const QString &api, const QJsonObject &body);
    // Whether the conversation ends with tool results (the model is to read them now).
    static bool endsWithToolResults(const QString &api, const QJsonObject &body);
};

} // namespace Spool::Test
