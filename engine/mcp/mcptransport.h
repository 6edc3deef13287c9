#pragma once

#include "core/error.h"
#include "mcp/mcpmessage.h"

#include <QObject>
#include <QString>

namespace Spool {

// How McpClient talks to one server. Everything is asynchronous on the owning thread's event
// loop: open() answers with opened() or closed(error); send() never blocks; incoming messages
// arrive through messageReceived(). A transport knows nothing of the protocol's meaning except
// what its wire needs (the HTTP transport's session and version headers).
class McpTransport : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    ~McpTransport() override = default;

    virtual void open() = 0;
    virtual void send(const McpMessage &message) = 0;
    // Ends the connection politely (stdio: close stdin, then end the process group; HTTP:
    // DELETE the session). closed() follows with no error.
    virtual void close() = 0;
    // The server stopped answering: end it now. Only stdio can; HTTP just drops its streams.
    virtual void terminate() { close(); }
    virtual bool canTerminate() const { return false; }

    // After initialize: the HTTP transport sends it as MCP-Protocol-Version.
    virtual void setProtocolVersion(const QString &version) { Q_UNUSED(version); }
    // After notifications/initialized: the HTTP transport opens its GET stream for messages
    // the server starts.
    virtual void startListening() {}
    // A short description for logs and errors ("stdio: npx -y ..." or the URL).
    virtual QString describe() const = 0;

signals:
    void opened();
    void messageReceived(const Spool::McpMessage &message);
    // A request could not be delivered or its reply could not be read (HTTP status, a refused
    // oversized reply). `requestId` is undefined when the failure concerns no single request.
    void sendFailed(const QJsonValue &requestId, const Spool::Error &error);
    // The HTTP server forgot our session (404): the client initializes again and resends.
    void sessionExpired(const Spool::McpMessage &unsent);
    // A line for the server's log: stderr, skipped garbage, reconnects.
    void logLine(const QString &source, const QString &text);
    // The connection is over. error.isError() when it ended unexpectedly (a crash, an exit,
    // a lost stream), with the last stderr lines in the message.
    void closed(const Spool::Error &error);
};

} // namespace Spool
