#pragma once

#include "providers/providertypes.h"
#include "core/sseparser.h"

#include <QByteArray>
#include <QMap>

#include <utility>

namespace Spool {

// Reads one provider API's reply (a stream of SSE events, or a whole JSON body from a server
// that ignored `stream: true`) into a ProviderResponse. One decoder per attempt.
class StreamDecoder
{
public:
    enum class Step { More, Done, Failed };

    virtual ~StreamDecoder() = default;
    virtual Step event(const SseEvent &event) = 0;
    virtual Step body(const QByteArray &json) = 0;
    // The stream ended without a transport error: Done if the reply was complete.
    virtual Step end() = 0;
    virtual ProviderResponse response() const = 0;

    // Text that arrived with the last step, to stream to the user.
    QString takeText() { return std::exchange(m_newText, QString()); }
    // Whether any part of the reply (text or a tool call) arrived: then nothing is retried.
    bool hasOutput() const { return m_hasOutput; }
    QString text() const { return m_text; }
    ProviderError error() const { return m_error; }

protected:
    // A tool call as its deltas arrive, assembled by index.
    struct PartialToolCall
    {
        QString id;
        QString name;
        QString arguments;
    };

    void appendText(const QString &text)
    {
        if (text.isEmpty())
            return;
        m_newText += text;
        m_text += text;
        m_hasOutput = true;
    }
    Step fail(const ProviderError &error)
    {
        m_error = error;
        return Step::Failed;
    }
    QList<ToolCallRequest> toolCalls() const
    {
        QList<ToolCallRequest> out;
        for (auto it = m_calls.cbegin(); it != m_calls.cend(); ++it) {
            const QString id = it->id.isEmpty() ? QStringLiteral("call_%1").arg(it.key()) : it->id;
            out.append(ToolCallRequest::make(id, it->name, it->arguments));
        }
        return out;
    }

    QMap<int, PartialToolCall> m_calls;
    QString m_text;
    QString m_newText;
    bool m_hasOutput = false;
    ProviderError m_error;
};

} // namespace Spool
