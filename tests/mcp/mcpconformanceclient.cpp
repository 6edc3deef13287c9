// The client side of the official MCP conformance suite (@modelcontextprotocol/conformance,
// client mode): the suite starts a test server per scenario and runs this program with the
// server's URL as its last argument, the scenario's name in MCP_CONFORMANCE_SCENARIO and any
// scenario data (pre-registered client credentials) in MCP_CONFORMANCE_CONTEXT. It connects
// with Spool's client library, lists the tools and calls the one the scenario is about;
// authorization happens inside the library when the server answers 401, with the consent
// step followed headlessly. Exit code 0 when the scenario's steps all succeeded.
#include "mcp/mcpclient.h"
#include "mcp/mcpheadlessbrowser.h"
#include "mcp/mcphttptransport.h"
#include "mcp/mcpoauthflow.h"
#include "mcp/mcptokenstore.h"
#include "mcp/mcptoolcall.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTextStream>
#include <QTimer>

using namespace Spool;

namespace {

class AcceptDefaults : public McpElicitationHandler
{
public:
    void elicit(const McpElicitation &request, std::function<void(const McpElicitation &)> reply) override
    {
        McpElicitation answer = request;
        answer.action = McpElicitation::Action::Accept;
        answer.content = {}; // "accept with the defaults": the client fills them in
        reply(answer);
    }
};

QTextStream &err()
{
    static QTextStream stream(stderr);
    return stream;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        err() << "usage: mcpconformanceclient <server-url>\n";
        return 2;
    }
    const QUrl url(args.last());
    const QString scenario = qEnvironmentVariable("MCP_CONFORMANCE_SCENARIO");
    const QJsonObject context = QJsonDocument::fromJson(qgetenv("MCP_CONFORMANCE_CONTEXT")).object();

    QNetworkAccessManager network;
    McpHeadlessBrowser browser(&network);
    McpMemoryTokenStore store;
    McpOAuthConfig oauth;
    oauth.clientName = QStringLiteral("Spool conformance client");
    oauth.clientId = context.value(QLatin1String("client_id")).toString();
    oauth.clientSecret = context.value(QLatin1String("client_secret")).toString();
    // The document the suite expects a client to publish for itself.
    oauth.clientMetadataUrl = QUrl(QStringLiteral("https://conformance-test.local/client-metadata.json"));

    McpHttpConfig config;
    config.url = url;
    auto *transport = new McpHttpTransport(config, &network);
    auto *flow = new McpOAuthFlow(url, oauth, &network, &browser, &store, transport);
    transport->setOAuthFlow(flow);
    McpClientOptions options;
    options.clientName = QStringLiteral("spool-conformance");
    options.requestTimeoutMs = 20000;
    options.toolTimeoutMs = 20000;
    McpClient client(transport, options);
    AcceptDefaults elicitation;
    client.setElicitationHandler(&elicitation);
    QObject::connect(&client, &McpClient::serverLogAppended, &app, [](const QString &source, const QString &text) {
        err() << "[" << source << "] " << text << "\n";
        err().flush();
    });
    QObject::connect(flow, &McpOAuthFlow::progress, &app, [](const QString &text) {
        err() << "[oauth] " << text << "\n";
        err().flush();
    });

    int exitCode = 1;
    auto finish = [&](int code, const QString &why) {
        exitCode = code;
        err() << (code == 0 ? "ok: " : "failed: ") << why << "\n";
        err().flush();
        QObject::connect(&client, &McpClient::closed, &app, [&app] { app.quit(); });
        client.stop();
        QTimer::singleShot(5000, &app, &QCoreApplication::quit);
    };
    QObject::connect(&client, &McpClient::failed, &app, [&](const Error &e) { finish(1, e.message); });
    QObject::connect(&client, &McpClient::ready, &app, [&] {
        if (scenario == QLatin1String("initialize")) {
            finish(0, QStringLiteral("initialized with protocol %1").arg(client.protocolVersion()));
            return;
        }
        QString tool;
        QJsonObject arguments;
        if (scenario == QLatin1String("tools_call")) {
            tool = QStringLiteral("add_numbers");
            arguments = {{QStringLiteral("a"), 5}, {QStringLiteral("b"), 3}};
        } else if (scenario == QLatin1String("elicitation-sep1034-client-defaults")) {
            tool = QStringLiteral("test_client_elicitation_defaults");
        } else if (scenario == QLatin1String("sse-retry")) {
            tool = QStringLiteral("test_reconnection");
        } else if (!client.tools().isEmpty()) {
            tool = client.tools().first().name;
        }
        if (tool.isEmpty()) {
            finish(client.lastError().isError() ? 1 : 0,
                   client.lastError().isError() ? client.lastError().message : QStringLiteral("no tools to call"));
            return;
        }
        McpToolCall *call = client.callTool(tool, arguments);
        QObject::connect(call, &McpToolCall::finished, &app, [&, call] {
            const auto r = call->result();
            if (!r)
                finish(1, r.errorMessage());
            else
                finish(r->isError ? 1 : 0, QStringLiteral("%1 answered: %2").arg(call->toolName(), r->text().left(200)));
        });
    });
    QTimer::singleShot(28000, &app, [&] { finish(1, QStringLiteral("gave up after 28 s")); });
    client.start();
    app.exec();
    return exitCode;
}
