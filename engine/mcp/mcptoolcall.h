#pragma once

#include "core/result.h"
#include "mcp/mcptoolresult.h"

#include <QJsonValue>
#include <QObject>
#include <QPointer>

#include <optional>

namespace Spool {

class McpClient;

// One tools/call in flight, owned by the McpClient that made it (delete it when done with it,
// or leave it to the client). progress() relays notifications/progress for its token;
// finished() comes exactly once, after which result() holds the outcome.
class McpToolCall : public QObject
{
    Q_OBJECT
public:
    QString toolName() const { return m_toolName; }
    QString progressToken() const { return m_progressToken; }
    QJsonValue requestId() const { return m_requestId; }
    bool isFinished() const { return m_result.has_value(); }
    Result<McpToolResult> result() const;

    // Sends notifications/cancelled and finishes the call as cancelled at once. A stdio server
    // that then does not answer a ping within the grace period has its process group ended.
    void cancel(const QString &reason = QString());

signals:
    // `total` is negative when the server gave none.
    void progress(double progress, double total, const QString &message);
    void finished();

private:
    friend class McpClient;
    McpToolCall(McpClient *client, QString toolName, QString progressToken);
    void finish(Result<McpToolResult> result);

    QPointer<McpClient> m_client;
    QString m_toolName;
    QString m_progressToken;
    QJsonValue m_requestId;
    std::optional<Result<McpToolResult>> m_result;
};

} // namespace Spool
