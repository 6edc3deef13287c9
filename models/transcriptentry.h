#pragma once

#include <QJsonArray>
#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

namespace Spool {

// An image a tool returned (an MCP server's image content), as the tape keeps it.
struct ToolImage
{
    QString mimeType;
    QByteArray base64;
};

// One item of a conversation as the transcript shows it.
struct TranscriptEntry
{
    enum class Kind { User, Assistant, ToolCall, Notice };

    Kind kind = Kind::User;
    QString runId;
    QString callId;     // tool calls
    QString text;       // user text, assistant Markdown, notice text
    bool streaming = false;
    bool partial = false; // an assistant reply that never completed (cancel, crash, failure)
    qint64 at = 0;

    // User messages: the memories the run was given with it ({id, score, source, snippet}, the
    // `context` event's memory_hits).
    QJsonArray memoryHits;
    // User messages: what was attached ({name, mime, bytes, sha256}, the input's attachments).
    QJsonArray attachments;

    // Tool calls
    QString tool;
    QJsonObject arguments;
    QString toolState;  // requested, running, waiting, ok, failed, denied, cancelled
    QString output;
    bool truncated = false;
    int exitCode = -1;
    qint64 durationMs = 0;
    QString sandbox;
    QString approvalId;
    QString decision;   // allow, deny, timeout, cancelled; with scope and who, in decisionDetail
    QString decisionDetail;
    QString explanation;    // why the policy allowed, denied or asked
    QString argumentsError; // the model's arguments did not parse
    QString server;         // the MCP server of an MCP tool
    double progress = -1;   // how far a running tool has come (-1: it has not said)
    double progressTotal = -1;
    QString progressMessage;
    QList<ToolImage> images;

    // Assistant messages: what the provider call that wrote it used (-1: not known yet).
    qint64 promptTokens = -1;
    qint64 completionTokens = -1;
    QString model;

    // Notices (errors, cancels)
    QString noticeKind; // error, cancelled, interrupted, retrying
    QString errorClass;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::TranscriptEntry)
