#include "scriptedreply.h"

#include <QJsonDocument>

namespace Spool::Test {

namespace {

bool isOpenAi(const QString &api)
{
    return api == QLatin1String("openai");
}

QString compact(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QJsonObject event(const QString &name, const QJsonObject &data, int delayMs)
{
    QJsonObject e{{QStringLiteral("data"), data}};
    if (!name.isEmpty())
        e.insert(QStringLiteral("event"), name);
    if (delayMs > 0)
        e.insert(QStringLiteral("delay_ms"), delayMs);
    return e;
}

QJsonObject openAiChunk(const QJsonObject &delta, const QJsonValue &finish)
{
    return QJsonObject{
            {QStringLiteral("id"), QStringLiteral("chatcmpl-scripted")},
            {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
            {QStringLiteral("created"), 1718000000},
            {QStringLiteral("model"), QStringLiteral("test-model")},
            {QStringLiteral("choices"),
             QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                                    {QStringLiteral("delta"), delta},
                                    {QStringLiteral("finish_reason"), finish}}}}};
}

QJsonArray openAiEvents(const QStringList &pieces, const QList<ScriptedCall> &calls, int delayMs)
{
    QJsonArray sse;
    sse.append(event({}, openAiChunk({{QStringLiteral("role"), QStringLiteral("assistant")},
                                      {QStringLiteral("content"), QString()}},
                                     QJsonValue()),
                     0));
    for (const QString &piece : pieces)
        sse.append(event({}, openAiChunk({{QStringLiteral("content"), piece}}, QJsonValue()), delayMs));
    for (int i = 0; i < calls.size(); ++i) {
        const ScriptedCall &c = calls.at(i);
        const QJsonObject call{{QStringLiteral("index"), i},
                               {QStringLiteral("id"), c.id},
                               {QStringLiteral("type"), QStringLiteral("function")},
                               {QStringLiteral("function"),
                                QJsonObject{{QStringLiteral("name"), c.name},
                                            {QStringLiteral("arguments"), compact(c.arguments)}}}};
        sse.append(event({}, openAiChunk({{QStringLiteral("tool_calls"), QJsonArray{call}}}, QJsonValue()),
                         delayMs));
    }
    sse.append(event({}, openAiChunk({}, calls.isEmpty() ? QStringLiteral("stop") : QStringLiteral("tool_calls")),
                     0));
    QJsonObject usage = openAiChunk({}, QJsonValue());
    usage.insert(QStringLiteral("choices"), QJsonArray());
    usage.insert(QStringLiteral("usage"), QJsonObject{{QStringLiteral("prompt_tokens"), 20},
                                                      {QStringLiteral("completion_tokens"), 5},
                                                      {QStringLiteral("total_tokens"), 25}});
    sse.append(event({}, usage, 0));
    sse.append(QJsonObject{{QStringLiteral("data"), QStringLiteral("[DONE]")}});
    return sse;
}

QJsonArray anthropicEvents(const QStringList &pieces, const QList<ScriptedCall> &calls, int delayMs)
{
    QJsonArray sse;
    sse.append(event(QStringLiteral("message_start"),
                     {{QStringLiteral("type"), QStringLiteral("message_start")},
                      {QStringLiteral("message"),
                       QJsonObject{{QStringLiteral("id"), QStringLiteral("msg_scripted")},
                                   {QStringLiteral("type"), QStringLiteral("message")},
                                   {QStringLiteral("role"), QStringLiteral("assistant")},
                                   {QStringLiteral("content"), QJsonArray()},
                                   {QStringLiteral("model"), QStringLiteral("test-model")},
                                   {QStringLiteral("stop_reason"), QJsonValue()},
                                   {QStringLiteral("usage"),
                                    QJsonObject{{QStringLiteral("input_tokens"), 20},
                                                {QStringLiteral("output_tokens"), 1}}}}}},
                     0));
    int index = 0;
    if (!pieces.isEmpty()) {
        sse.append(event(QStringLiteral("content_block_start"),
                         {{QStringLiteral("type"), QStringLiteral("content_block_start")},
                          {QStringLiteral("index"), index},
                          {QStringLiteral("content_block"),
                           QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                       {QStringLiteral("text"), QString()}}}},
                         0));
        for (const QString &piece : pieces)
            sse.append(event(QStringLiteral("content_block_delta"),
                             {{QStringLiteral("type"), QStringLiteral("content_block_delta")},
                              {QStringLiteral("index"), index},
                              {QStringLiteral("delta"),
                               QJsonObject{{QStringLiteral("type"), QStringLiteral("text_delta")},
                                           {QStringLiteral("text"), piece}}}},
                             delayMs));
        sse.append(event(QStringLiteral("content_block_stop"),
                         {{QStringLiteral("type"), QStringLiteral("content_block_stop")},
                          {QStringLiteral("index"), index}},
                         0));
        ++index;
    }
    for (const ScriptedCall &c : calls) {
        sse.append(event(QStringLiteral("content_block_start"),
                         {{QStringLiteral("type"), QStringLiteral("content_block_start")},
                          {QStringLiteral("index"), index},
                          {QStringLiteral("content_block"),
                           QJsonObject{{QStringLiteral("type"), QStringLiteral("tool_use")},
                                       {QStringLiteral("id"), c.id},
                                       {QStringLiteral("name"), c.name},
                                       {QStringLiteral("input"), QJsonObject()}}}},
                         delayMs));
        sse.append(event(QStringLiteral("content_block_delta"),
                         {{QStringLiteral("type"), QStringLiteral("content_block_delta")},
                          {QStringLiteral("index"), index},
                          {QStringLiteral("delta"),
                           QJsonObject{{QStringLiteral("type"), QStringLiteral("input_json_delta")},
                                       {QStringLiteral("partial_json"), compact(c.arguments)}}}},
                         0));
        sse.append(event(QStringLiteral("content_block_stop"),
                         {{QStringLiteral("type"), QStringLiteral("content_block_stop")},
                          {QStringLiteral("index"), index}},
                         0));
        ++index;
    }
    sse.append(event(QStringLiteral("message_delta"),
                     {{QStringLiteral("type"), QStringLiteral("message_delta")},
                      {QStringLiteral("delta"),
                       QJsonObject{{QStringLiteral("stop_reason"),
                                    calls.isEmpty() ? QStringLiteral("end_turn") : QStringLiteral("tool_use")}}},
                      {QStringLiteral("usage"), QJsonObject{{QStringLiteral("output_tokens"), 5}}}},
                     0));
    sse.append(event(QStringLiteral("message_stop"), {{QStringLiteral("type"), QStringLiteral("message_stop")}}, 0));
    return sse;
}

// The conversation's messages, whichever API.
QJsonArray messagesOf(const QJsonObject &body)
{
    return body.value(QStringLiteral("messages")).toArray();
}

QJsonArray blocksOf(const QJsonObject &message)
{
    const QJsonValue content = message.value(QStringLiteral("content"));
    if (content.isArray())
        return content.toArray();
    if (content.isString())
        return QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                      {QStringLiteral("text"), content.toString()}}};
    return {};
}

} // namespace

QJsonObject ScriptedReply::streamed(const QString &api, const QString &text,
                                    const QList<ScriptedCall> &calls, int delayMs)
{
    QStringList pieces;
    if (!text.isEmpty()) {
        // Two pieces at least, so the text really streams.
        const qsizetype half = text.size() / 2;
        pieces << text.left(half) << text.mid(half);
        pieces.removeAll(QString());
    }
    return QJsonObject{{QStringLiteral("status"), 200},
                       {QStringLiteral("sse"), isOpenAi(api) ? openAiEvents(pieces, calls, delayMs)
                                                             : anthropicEvents(pieces, calls, delayMs)}};
}

QJsonObject ScriptedReply::slow(const QString &api, int words, int delayMs)
{
    QStringList pieces;
    for (int i = 0; i < words; ++i)
        pieces.append(QStringLiteral("word%1 ").arg(i));
    return QJsonObject{{QStringLiteral("status"), 200},
                       {QStringLiteral("sse"), isOpenAi(api) ? openAiEvents(pieces, {}, delayMs)
                                                             : anthropicEvents(pieces, {}, delayMs)}};
}

QJsonObject ScriptedReply::whole(const QString &api, const QString &text, const QList<ScriptedCall> &calls)
{
    QJsonObject body;
    if (isOpenAi(api)) {
        QJsonObject message{{QStringLiteral("role"), QStringLiteral("assistant")},
                            {QStringLiteral("content"), text.isEmpty() ? QJsonValue() : QJsonValue(text)}};
        if (!calls.isEmpty()) {
            QJsonArray list;
            for (const ScriptedCall &c : calls)
                list.append(QJsonObject{{QStringLiteral("id"), c.id},
                                        {QStringLiteral("type"), QStringLiteral("function")},
                                        {QStringLiteral("function"),
                                         QJsonObject{{QStringLiteral("name"), c.name},
                                                     {QStringLiteral("arguments"), compact(c.arguments)}}}});
            message.insert(QStringLiteral("tool_calls"), list);
        }
        body = QJsonObject{
                {QStringLiteral("id"), QStringLiteral("chatcmpl-scripted")},
                {QStringLiteral("object"), QStringLiteral("chat.completion")},
                {QStringLiteral("model"), QStringLiteral("test-model")},
                {QStringLiteral("choices"),
                 QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                                        {QStringLiteral("message"), message},
                                        {QStringLiteral("finish_reason"),
                                         calls.isEmpty() ? QStringLiteral("stop") : QStringLiteral("tool_calls")}}}},
                {QStringLiteral("usage"), QJsonObject{{QStringLiteral("prompt_tokens"), 20},
                                                      {QStringLiteral("completion_tokens"), 5}}}};
    } else {
        QJsonArray content;
        if (!text.isEmpty())
            content.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                       {QStringLiteral("text"), text}});
        for (const ScriptedCall &c : calls)
            content.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("tool_use")},
                                       {QStringLiteral("id"), c.id},
                                       {QStringLiteral("name"), c.name},
                                       {QStringLiteral("input"), c.arguments}});
        body = QJsonObject{{QStringLiteral("id"), QStringLiteral("msg_scripted")},
                           {QStringLiteral("type"), QStringLiteral("message")},
                           {QStringLiteral("role"), QStringLiteral("assistant")},
                           {QStringLiteral("model"), QStringLiteral("test-model")},
                           {QStringLiteral("content"), content},
                           {QStringLiteral("stop_reason"),
                            calls.isEmpty() ? QStringLiteral("end_turn") : QStringLiteral("tool_use")},
                           {QStringLiteral("usage"), QJsonObject{{QStringLiteral("input_tokens"), 20},
                                                                 {QStringLiteral("output_tokens"), 5}}}};
    }
    return QJsonObject{{QStringLiteral("status"), 200}, {QStringLiteral("body"), body}};
}

QStringList ScriptedReply::offeredTools(const QString &api, const QJsonObject &body)
{
    QStringList names;
    for (const QJsonValue &v : body.value(QStringLiteral("tools")).toArray()) {
        const QJsonObject t = v.toObject();
        names.append(isOpenAi(api) ? t.value(QStringLiteral("function")).toObject().value(QStringLiteral("name")).toString()
                                   : t.value(QStringLiteral("name")).toString());
    }
    return names;
}

QString ScriptedReply::offeredToolDescribed(const QString &api, const QJsonObject &body, const QString &marker)
{
    for (const QJsonValue &v : body.value(QStringLiteral("tools")).toArray()) {
        const QJsonObject t = isOpenAi(api) ? v.toObject().value(QStringLiteral("function")).toObject()
                                            : v.toObject();
        if (t.value(QStringLiteral("description")).toString().contains(marker))
            return t.value(QStringLiteral("name")).toString();
    }
    return QString();
}

QJsonArray ScriptedReply::historyCalls(const QString &api, const QJsonObject &body)
{
    QJsonArray out;
    for (const QJsonValue &v : messagesOf(body)) {
        const QJsonObject m = v.toObject();
        if (m.value(QStringLiteral("role")).toString() != QLatin1String("assistant"))
            continue;
        if (isOpenAi(api)) {
            for (const QJsonValue &c : m.value(QStringLiteral("tool_calls")).toArray())
                out.append(QJsonObject{
                        {QStringLiteral("id"), c.toObject().value(QStringLiteral("id"))},
                        {QStringLiteral("name"),
                         c.toObject().value(QStringLiteral("function")).toObject().value(QStringLiteral("name"))}});
        } else {
            for (const QJsonValue &b : blocksOf(m)) {
                if (b.toObject().value(QStringLiteral("type")).toString() == QLatin1String("tool_use"))
                    out.append(QJsonObject{{QStringLiteral("id"), b.toObject().value(QStringLiteral("id"))},
                                           {QStringLiteral("name"), b.toObject().value(QStringLiteral("name"))}});
            }
        }
    }
    return out;
}

QJsonArray ScriptedReply::historyResults(const QString &api, const QJsonObject &body)
{
    QJsonArray out;
    for (const QJsonValue &v : messagesOf(body)) {
        const QJsonObject m = v.toObject();
        if (isOpenAi(api)) {
            if (m.value(QStringLiteral("role")).toString() == QLatin1String("tool"))
                out.append(QJsonObject{{QStringLiteral("id"), m.value(QStringLiteral("tool_call_id"))},
                                       {QStringLiteral("content"), m.value(QStringLiteral("content"))},
                                       {QStringLiteral("error"), false}});
            continue;
        }
        for (const QJsonValue &b : blocksOf(m)) {
            const QJsonObject block = b.toObject();
            if (block.value(QStringLiteral("type")).toString() == QLatin1String("tool_result"))
                out.append(QJsonObject{{QStringLiteral("id"), block.value(QStringLiteral("tool_use_id"))},
                                       {QStringLiteral("content"), block.value(QStringLiteral("content"))},
                                       {QStringLiteral("error"), block.value(QStringLiteral("is_error")).toBool()}});
        }
    }
    return out;
}

QStringList ScriptedReply::userTexts(const QString &, const QJsonObject &body)
{
    QStringList out;
    for (const QJsonValue &v : messagesOf(body)) {
        const QJsonObject m = v.toObject();
        if (m.value(QStringLiteral("role")).toString() != QLatin1String("user"))
            continue;
        for (const QJsonValue &b : blocksOf(m)) {
            if (b.toObject().value(QStringLiteral("type")).toString() == QLatin1String("text"))
                out.append(b.toObject().value(QStringLiteral("text")).toString());
        }
    }
    return out;
}

bool ScriptedReply::endsWithToolResults(const QString &api, const QJsonObject &body)
{
    const QJsonArray messages = messagesOf(body);
    if (messages.isEmpty())
        return false;
    const QJsonObject last = messages.last().toObject();
    if (isOpenAi(api))
        return last.value(QStringLiteral("role")).toString() == QLatin1String("tool");
    const QJsonArray blocks = blocksOf(last);
    return last.value(QStringLiteral("role")).toString() == QLatin1String("user") && !blocks.isEmpty()
            && blocks.last().toObject().value(QStringLiteral("type")).toString() == QLatin1String("tool_result");
}

} // namespace Spool::Test
