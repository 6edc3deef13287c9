#include "mcp/mcptool.h"

#include "mcp/mcpclient.h"
#include "mcp/mcpserverregistry.h"
#include "mcp/mcptoolcall.h"
#include "mcp/mcptoolinfo.h"
#include "mcp/mcptoolresult.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QTimer>

namespace Spool {

namespace {

QString sizeText(qsizetype bytes)
{
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

// MCP's defaults for hints a server leaves out (2025-06-18, ToolAnnotations).
QJsonObject annotationsWithDefaults(const QJsonObject &given)
{
    QJsonObject hints{{QStringLiteral("readOnlyHint"), false},
                      {QStringLiteral("destructiveHint"), true},
                      {QStringLiteral("idempotentHint"), false},
                      {QStringLiteral("openWorldHint"), true}};
    for (auto it = hints.begin(); it != hints.end(); ++it) {
        const QJsonValue v = given.value(it.key());
        if (v.isBool())
            it.value() = v;
    }
    return hints;
}

class McpToolJob : public ToolJob
{
    Q_OBJECT
public:
    McpToolJob(McpServerRegistry *registry, ToolSpec spec, ToolInvocation invocation, int timeoutMs,
               QString sandbox, QObject *parent)
        : ToolJob(parent), m_registry(registry), m_spec(std::move(spec)),
          m_invocation(std::move(invocation)), m_timeoutMs(timeoutMs), m_sandbox(std::move(sandbox))
    {
        m_clock.start();
        QTimer::singleShot(0, this, &McpToolJob::begin);
    }

    ~McpToolJob() override
    {
        if (m_call && !m_call->isFinished())
            m_call->cancel(QStringLiteral("Spool no longer needs the result"));
        if (m_call)
            m_call->deleteLater();
        endCall();
    }

    void cancel() override
    {
        if (m_cancelled)
            return;
        m_cancelled = true;
        // notifications/cancelled goes out at once; the server may still finish its work, but
        // its answer is dropped.
        if (m_call && !m_call->isFinished())
            m_call->cancel(QStringLiteral("the user stopped the run in Spool"));
        endCall();
    }

private:
    void begin()
    {
        if (m_cancelled)
            return;
        QString why;
        McpClient *client = m_registry ? m_registry->readyClient(m_spec.server, &why) : nullptr;
        if (!client) {
            finish(ToolResult::failure(m_registry ? why : QStringLiteral("MCP is not available")));
            return;
        }
        m_registry->beginCall(m_spec.server, m_invocation.runId, m_invocation.callId, m_spec.name);
        m_began = true;
        m_call = client->callTool(m_spec.serverTool, m_invocation.arguments, m_timeoutMs);
        connect(m_call, &McpToolCall::progress, this, &ToolJob::progress);
        connect(m_call, &McpToolCall::finished, this, &McpToolJob::onFinished);
    }

    void onFinished()
    {
        if (m_cancelled || !m_call)
            return;
        const Result<McpToolResult> r = m_call->result();
        endCall();
        if (!r) {
            ToolResult failure = ToolResult::failure(
                    QStringLiteral("The MCP server \"%1\" could not run %2: %3")
                            .arg(m_spec.server, m_spec.serverTool, r.errorMessage()));
            failure.details = QJsonObject{{QStringLiteral("server"), m_spec.server},
                                          {QStringLiteral("server_tool"), m_spec.serverTool},
                                          {QStringLiteral("protocol_version"), m_spec.protocolVersion},
                                          {QStringLiteral("error_code"), errorCodeName(r.error().code)}};
            finish(failure);
            return;
        }
        finish(McpTool::toToolResult(*r, m_spec));
    }

    void finish(ToolResult result)
    {
        if (m_finished)
            return;
        m_finished = true;
        result.durationMs = m_clock.elapsed();
        result.sandbox = m_sandbox;
        emit finished(result);
    }

    void endCall()
    {
        if (m_began && m_registry)
            m_registry->endCall(m_invocation.callId);
        m_began = false;
    }

    QPointer<McpServerRegistry> m_registry;
    ToolSpec m_spec;
    ToolInvocation m_invocation;
    int m_timeoutMs;
    QString m_sandbox;
    QPointer<McpToolCall> m_call;
    QElapsedTimer m_clock;
    bool m_cancelled = false;
    bool m_finished = false;
    bool m_began = false;
};

} // namespace

McpTool::McpTool(ToolSpec spec, McpServerRegistry *registry, int timeoutMs, QJsonObject preview)
    : m_spec(std::move(spec)), m_registry(registry), m_timeoutMs(timeoutMs), m_preview(std::move(preview))
{
}

QString McpTool::spoolName(const QString &server, const QString &tool)
{
    return QStringLiteral("mcp.%1.%2").arg(server, tool);
}

ToolSpec McpTool::specFor(const QString &server, const McpToolInfo &info, const QString &protocolVersion,
                          const QStringList &agents)
{
    ToolSpec s;
    s.name = spoolName(server, info.name);
    s.title = info.title;
    // The model sees whose tool it is: two servers may describe tools alike.
    s.description = info.description.isEmpty()
            ? QStringLiteral("The tool %1 of the MCP server %2.").arg(info.name, server)
            : QStringLiteral("[MCP server %1] %2").arg(server, info.description);
    s.parameters = info.inputSchema;
    if (s.parameters.isEmpty())
        s.parameters = QJsonObject{{QStringLiteral("type"), QStringLiteral("object")}};
    s.capabilities = {QStringLiteral("mcp")};
    s.risk = ToolRisk::Medium;
    // A server's own word that a tool only reads is a hint, not a guarantee: MCP tools ask
    // unless a policy of the user's says otherwise.
    s.requiresApproval = true;
    s.server = server;
    s.serverTool = info.name;
    s.protocolVersion = protocolVersion;
    s.annotations = annotationsWithDefaults(info.annotations);
    s.agents = agents;
    return s;
}

ToolJob *McpTool::start(const ToolInvocation &invocation, QObject *parent)
{
    return new McpToolJob(m_registry, m_spec, invocation, m_timeoutMs,
                          m_preview.value(QStringLiteral("sandbox")).toString(QStringLiteral("none")), parent);
}

QJsonObject McpTool::approvalPreview(const ToolInvocation &invocation) const
{
    Q_UNUSED(invocation);
    QJsonObject preview = m_preview;
    preview.insert(QStringLiteral("kind"), QStringLiteral("mcp"));
    preview.insert(QStringLiteral("server"), m_spec.server);
    preview.insert(QStringLiteral("tool"), m_spec.serverTool);
    preview.insert(QStringLiteral("title"), m_spec.title);
    preview.insert(QStringLiteral("description"), m_spec.description);
    preview.insert(QStringLiteral("annotations"), m_spec.annotations);
    preview.insert(QStringLiteral("protocol_version"), m_spec.protocolVersion);
    return preview;
}

ToolResult McpTool::toToolResult(const McpToolResult &result, const ToolSpec &spec)
{
    QStringList text;
    QJsonArray kept;
    qsizetype keptBytes = 0;
    // Binary payloads stay base64 on the tape, within the caps; beyond them only their size.
    auto keepBinary = [&keptBytes](QJsonObject &item, const QByteArray &base64) {
        const qsizetype bytes = base64.size() / 4 * 3;
        item.insert(QStringLiteral("bytes"), bytes);
        if (bytes <= kMaxItemBytes && keptBytes + bytes <= kMaxCallBytes) {
            item.insert(QStringLiteral("data"), QString::fromLatin1(base64));
            keptBytes += bytes;
        } else {
            item.insert(QStringLiteral("omitted"), true);
        }
        return bytes;
    };
    for (const McpContentBlock &block : result.content) {
        switch (block.type) {
        case McpContentBlock::Type::Text:
            text.append(block.text);
            break;
        case McpContentBlock::Type::Image:
        case McpContentBlock::Type::Audio: {
            const bool image = block.type == McpContentBlock::Type::Image;
            QJsonObject item{{QStringLiteral("type"), image ? QStringLiteral("image") : QStringLiteral("audio")},
                             {QStringLiteral("mime_type"), block.mimeType}};
            const qsizetype bytes = keepBinary(item, block.data);
            text.append(image ? QStringLiteral("[image %1, %2: shown to the user in Spool]").arg(block.mimeType, sizeText(bytes))
                              : QStringLiteral("[audio %1, %2: kept on the tape]").arg(block.mimeType, sizeText(bytes)));
            kept.append(item);
            break;
        }
        case McpContentBlock::Type::Resource: {
            QJsonObject item{{QStringLiteral("type"), QStringLiteral("resource")},
                             {QStringLiteral("uri"), block.uri},
                             {QStringLiteral("mime_type"), block.mimeType}};
            if (!block.data.isEmpty()) {
                const qsizetype bytes = keepBinary(item, block.data);
                text.append(QStringLiteral("[resource %1 (%2, %3): kept on the tape]")
                                    .arg(block.uri, block.mimeType.isEmpty() ? QStringLiteral("binary") : block.mimeType,
                                         sizeText(bytes)));
            } else {
                item.insert(QStringLiteral("text"), block.text.left(int(kMaxItemBytes)));
                text.append(QStringLiteral("[resource %1]\n%2").arg(block.uri, block.text));
            }
            kept.append(item);
            break;
        }
        case McpContentBlock::Type::ResourceLink:
            kept.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("resource_link")},
                                    {QStringLiteral("uri"), block.uri},
                                    {QStringLiteral("name"), block.name},
                                    {QStringLiteral("description"), block.description},
                                    {QStringLiteral("mime_type"), block.mimeType}});
            text.append(QStringLiteral("[resource link %1: %2%3]")
                                .arg(block.name, block.uri,
                                     block.description.isEmpty() ? QString() : QStringLiteral(" (") + block.description + QLatin1Char(')')));
            break;
        case McpContentBlock::Type::Unknown:
            kept.append(block.raw);
            text.append(QStringLiteral("[content of type \"%1\"]").arg(block.raw.value(QStringLiteral("type")).toString()));
            break;
        }
    }
    // Servers should repeat structured content as text; when one does not, the model still
    // gets it.
    if (result.hasStructuredContent && result.content.isEmpty())
        text.append(QString::fromUtf8(QJsonDocument(result.structuredContent).toJson(QJsonDocument::Compact)));

    ToolResult r;
    r.ok = !result.isError;
    r.output = text.join(QLatin1Char('\n'));
    if (r.output.isEmpty())
        r.output = result.isError ? QStringLiteral("The tool failed and said nothing.") : QStringLiteral("(no content)");
    r.details = QJsonObject{{QStringLiteral("server"), spec.server},
                            {QStringLiteral("server_tool"), spec.serverTool},
                            {QStringLiteral("protocol_version"), spec.protocolVersion},
                            {QStringLiteral("is_error"), result.isError}};
    if (!kept.isEmpty())
        r.details.insert(QStringLiteral("content"), kept);
    if (result.hasStructuredContent)
        r.details.insert(QStringLiteral("structured_content"), result.structuredContent);
    return r;
}

} // namespace Spool

#include "mcptool.moc"
