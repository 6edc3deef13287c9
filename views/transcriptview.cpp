#include "transcriptview.h"

#include "transcriptmodel.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QMenu>
#include <QDesktopServices>
#include <QEvent>
#include <QFontDatabase>
#include <QJsonObject>
#include <QLocale>
#include <QJsonDocument>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextDocumentFragment>
#include <QTextList>
#include <QTextFrame>
#include <QUrlQuery>

namespace Spool {

namespace {

constexpr int kCollapsedLines = 12;

QColor blend(const QColor &a, const QColor &b, double t)
{
    return QColor::fromRgbF(a.redF() * (1 - t) + b.redF() * t, a.greenF() * (1 - t) + b.greenF() * t,
                            a.blueF() * (1 - t) + b.blueF() * t);
}

QString plainToHtml(const QString &text)
{
    QString html = text.toHtmlEscaped();
    html.replace(QLatin1Char('\n'), QStringLiteral("<br>"));
    return html;
}

// The first lines of a long text, and whether some were left out.
QString firstLines(const QString &text, int lines, bool *cut)
{
    int pos = -1;
    for (int i = 0; i < lines; ++i) {
        pos = text.indexOf(QLatin1Char('\n'), pos + 1);
        if (pos < 0) {
            *cut = text.size() > 4000;
            return *cut ? text.left(4000) : text;
        }
    }
    *cut = true;
    return text.left(qMin(pos, 4000));
}

QString toolStateLabel(const QString &state)
{
    if (state == QLatin1String("requested")) return TranscriptView::tr("requested");
    if (state == QLatin1String("running")) return TranscriptView::tr("running\u2026");
    if (state == QLatin1String("waiting")) return TranscriptView::tr("waiting for your approval");
    if (state == QLatin1String("ok")) return TranscriptView::tr("done");
    if (state == QLatin1String("failed")) return TranscriptView::tr("failed");
    if (state == QLatin1String("denied")) return TranscriptView::tr("denied");
    if (state == QLatin1String("timeout")) return TranscriptView::tr("not answered in time");
    if (state == QLatin1String("cancelled")) return TranscriptView::tr("cancelled");
    return state;
}

// A provider's error class (SPEC §5) as the title of its notice.
QString errorClassTitle(const QString &errorClass)
{
    if (errorClass == QLatin1String("auth")) return TranscriptView::tr("Authentication failed");
    if (errorClass == QLatin1String("permission")) return TranscriptView::tr("Not permitted");
    if (errorClass == QLatin1String("rate_limit")) return TranscriptView::tr("Rate limited");
    if (errorClass == QLatin1String("quota")) return TranscriptView::tr("Out of quota");
    if (errorClass == QLatin1String("context_too_long")) return TranscriptView::tr("Conversation too long");
    if (errorClass == QLatin1String("invalid_request")) return TranscriptView::tr("Request rejected");
    if (errorClass == QLatin1String("server")) return TranscriptView::tr("Provider server error");
    if (errorClass == QLatin1String("network")) return TranscriptView::tr("Provider unreachable");
    if (errorClass == QLatin1String("timeout")) return TranscriptView::tr("Provider timed out");
    if (errorClass == QLatin1String("malformed_response")) return TranscriptView::tr("Unreadable reply");
    if (errorClass == QLatin1String("cancelled")) return TranscriptView::tr("Cancelled");
    return TranscriptView::tr("Provider error: %1").arg(errorClass);
}

// Errors the provider settings can fix: the notice links to them.
bool fixableInSettings(const QString &errorClass)
{
    return errorClass == QLatin1String("auth") || errorClass == QLatin1String("permission")
            || errorClass == QLatin1String("quota") || errorClass == QLatin1String("network")
            || errorClass == QLatin1String("invalid_request");
}

} // namespace

TranscriptView::TranscriptView(QWidget *parent) : QTextBrowser(parent)
{
    setReadOnly(true);
    setUndoRedoEnabled(false);
    setOpenLinks(false);
    setOpenExternalLinks(false);
    setFrameShape(QFrame::NoFrame);
    setAccessibleName(tr("Conversation"));
    setAccessibleDescription(tr("The messages of this session, tool calls and their results"));
    document()->setDocumentMargin(12);
    connect(this, &QTextBrowser::anchorClicked, this, &TranscriptView::onAnchor);
    updateStyle();
}

void TranscriptView::updateStyle()
{
    const QPalette p = palette();
    const bool dark = p.color(QPalette::Base).lightness() < 128;
    const QColor base = p.color(QPalette::Base);
    const QColor text = p.color(QPalette::Text);
    m_muted = blend(base, text, 0.55);
    m_userBackground = blend(base, p.color(QPalette::Highlight), dark ? 0.28 : 0.12);
    m_cardBackground = blend(base, text, dark ? 0.07 : 0.035);
    m_cardBorder = blend(base, text, 0.22);
    m_errorBackground = blend(base, QColor(0xd9, 0x30, 0x25), dark ? 0.25 : 0.10);
    m_style.codeBackground = blend(base, text, dark ? 0.10 : 0.05);
    m_style.codeBorder = m_cardBorder;
    m_style.muted = m_muted;
    const QString mono = QFontDatabase::systemFont(QFontDatabase::FixedFont).family();
    document()->setDefaultStyleSheet(
            QStringLiteral("pre, code { font-family: '%1'; } a { color: %2; } "
                           "h1 { font-size: x-large; } h2 { font-size: large; } "
                           "table.md { border-collapse: collapse; } th { text-align: left; }")
                    .arg(mono, p.color(QPalette::Link).name()));
}

void TranscriptView::setModel(TranscriptModel *model)
{
    if (m_model)
        disconnect(m_model, nullptr, this, nullptr);
    m_model = model;
    if (model) {
        connect(model, &QAbstractItemModel::modelReset, this, &TranscriptView::rebuild);
        connect(model, &QAbstractItemModel::rowsInserted, this,
                [this](const QModelIndex &, int first, int last) { insertRows(first, last); });
        connect(model, &QAbstractItemModel::rowsRemoved, this,
                [this](const QModelIndex &, int first, int last) { removeRows(first, last); });
        connect(model, &QAbstractItemModel::dataChanged, this,
                [this](const QModelIndex &tl, const QModelIndex &br, const QList<int> &roles) {
                    updateRows(tl.row(), br.row(), roles);
                });
    }
    rebuild();
}

bool TranscriptView::isFollowingEnd() const
{
    const QScrollBar *bar = verticalScrollBar();
    return bar->value() >= bar->maximum() - 4;
}

void TranscriptView::scrollToEndIfFollowing(bool wasFollowing)
{
    if (wasFollowing)
        verticalScrollBar()->setValue(verticalScrollBar()->maximum());
}

void TranscriptView::rebuild()
{
    document()->clear();
    m_blocks.clear();
    m_codeBlocks.clear();
    m_nextCode = 0;
    if (m_model && m_model->rowCount() > 0)
        insertRows(0, m_model->rowCount() - 1);
}

QTextFrameFormat TranscriptView::frameFormat(const TranscriptEntry &e) const
{
    QTextFrameFormat format;
    format.setPadding(e.kind == TranscriptEntry::Kind::Assistant ? 4 : 8);
    format.setTopMargin(4);
    format.setBottomMargin(4);
    switch (e.kind) {
    case TranscriptEntry::Kind::User:
        format.setBackground(m_userBackground);
        format.setLeftMargin(48);
        break;
    case TranscriptEntry::Kind::Assistant:
        format.setRightMargin(24);
        break;
    case TranscriptEntry::Kind::ToolCall:
        format.setBackground(m_cardBackground);
        format.setBorder(1);
        format.setBorderBrush(m_cardBorder);
        format.setBorderStyle(QTextFrameFormat::BorderStyle_Solid);
        format.setRightMargin(24);
        break;
    case TranscriptEntry::Kind::Notice:
        format.setBackground(e.noticeKind == QLatin1String("cancelled") || e.noticeKind == QLatin1String("omitted")
                                             || e.noticeKind == QLatin1String("branch")
                                     ? m_cardBackground
                                     : m_errorBackground);
        format.setRightMargin(24);
        break;
    }
    return format;
}

QTextFrame *TranscriptView::createFrame(int row)
{
    const QTextFrameFormat format = frameFormat(m_model->entryAt(row));
    QTextCursor cursor(document());
    if (row < m_blocks.size())
        cursor.setPosition(m_blocks.at(row).frame->firstPosition() - 1);
    else
        cursor.movePosition(QTextCursor::End);
    return cursor.insertFrame(format);
}

void TranscriptView::insertRows(int first, int last)
{
    if (!m_model)
        return;
    const bool following = isFollowingEnd();
    for (int row = first; row <= last; ++row) {
        Block block;
        block.frame = createFrame(row);
        m_blocks.insert(row, block);
        render(row);
    }
    scrollToEndIfFollowing(following);
}

void TranscriptView::removeFrame(QTextFrame *frame)
{
    QTextCursor cursor(document());
    cursor.setPosition(frame->firstPosition() - 1);
    cursor.setPosition(frame->lastPosition() + 1, QTextCursor::KeepAnchor);
    cursor.removeSelectedText();
}

void TranscriptView::dropContinuations(Block &block)
{
    for (QTextFrame *f : std::as_const(block.continuations))
        removeFrame(f);
    block.continuations.clear();
}

void TranscriptView::removeRows(int first, int last)
{
    for (int row = last; row >= first && row < m_blocks.size(); --row) {
        dropContinuations(m_blocks[row]);
        removeFrame(m_blocks.at(row).frame);
        m_blocks.removeAt(row);
    }
}

void TranscriptView::updateRows(int first, int last, const QList<int> &roles)
{
    Q_UNUSED(roles);
    if (!m_model)
        return;
    const bool following = isFollowingEnd();
    for (int row = first; row <= last && row < m_blocks.size(); ++row) {
        const TranscriptEntry &e = m_model->entryAt(row);
        if (e.kind == TranscriptEntry::Kind::Assistant && e.streaming)
            renderStreaming(row);
        else
            render(row);
    }
    scrollToEndIfFollowing(following);
}

void TranscriptView::fillFrame(QTextFrame *frame, const QString &html)
{
    QTextCursor cursor = clearTail(frame, 0); // a frame filled again looks as a new one would
    cursor.insertHtml(html);
}

QString TranscriptView::markdownHtml(const QString &markdown, Block &block)
{
    Q_UNUSED(block);
    const MarkdownRenderer::Output out = MarkdownRenderer::render(markdown, m_style, m_nextCode);
    for (const QString &code : out.codeBlocks)
        m_codeBlocks.insert(m_nextCode++, code);
    return out.html;
}

void TranscriptView::render(int row)
{
    Block &block = m_blocks[row];
    const TranscriptEntry &e = m_model->entryAt(row);
    dropContinuations(block);
    block.completedChars = 0;
    block.frameChars = 0;
    block.tailOffset = 0;
    if (e.kind == TranscriptEntry::Kind::Assistant && e.streaming) {
        fillFrame(block.frame, QString());
        renderStreaming(row);
        return;
    }
    block.frame->setFrameFormat(frameFormat(e));
    if (e.kind == TranscriptEntry::Kind::ToolCall && !e.images.isEmpty())
        registerImages(e);
    if (e.kind == TranscriptEntry::Kind::Assistant) {
        // Rendered Markdown goes in the way a streaming reply's does, so both look the same.
        QTextCursor cursor = clearTail(block.frame, 0);
        appendRendered(cursor, entryHtml(e, row), true);
        return;
    }
    fillFrame(block.frame, entryHtml(e, row));
}

namespace {

QString imageName(const TranscriptEntry &e, int index)
{
    return QStringLiteral("spool-image:%1/%2/%3").arg(e.runId, e.callId).arg(index);
}

} // namespace

void TranscriptView::registerImages(const TranscriptEntry &e)
{
    static const QHash<QString, const char *> formats{
        {QStringLiteral("image/png"), "PNG"}, {QStringLiteral("image/jpeg"), "JPEG"},
        {QStringLiteral("image/gif"), "GIF"}, {QStringLiteral("image/webp"), "WEBP"}};
    for (int i = 0; i < e.images.size(); ++i) {
        const QString name = imageName(e, i);
        if (!m_images.contains(name)) {
            const ToolImage &image = e.images.at(i);
            const char *format = formats.value(image.mimeType.toLower());
            QImage decoded;
            // Only the formats named, decoded by Qt's readers from the bytes the tape holds;
            // nothing is fetched. An image that does not decode is left out of the card.
            if (format)
                decoded = QImage::fromData(QByteArray::fromBase64(image.base64), format);
            m_images.insert(name, decoded);
        }
        const QImage &decoded = m_images.value(name);
        if (!decoded.isNull())
            document()->addResource(QTextDocument::ImageResource, QUrl(name), decoded);
    }
}

namespace {

// Gives the block at `cursor` the format of `model`, list membership included (setBlockFormat
// alone keeps the list the block is in).
void copyBlockFormat(QTextCursor &cursor, const QTextBlock &model, bool withCharFormat)
{
    // A block's character format is that of the character before it: after a frame's start
    // or end that is the frame's own, left alone.
    const QTextDocument *document = cursor.document();
    if (document->characterAt(cursor.block().position() - 1) != QChar::ParagraphSeparator)
        withCharFormat = false;
    if (QTextList *list = cursor.currentList())
        list->remove(cursor.block());
    QTextBlockFormat format = model.blockFormat();
    format.setObjectIndex(-1);
    cursor.setBlockFormat(format);
    if (QTextList *list = model.textList())
        list->add(cursor.block());
    if (withCharFormat)
        cursor.setBlockCharFormat(model.charFormat());
}

} // namespace

// QTextCursor::insertHtml merges the first block it renders into the block at the cursor,
// which keeps its own format: "Tool results:" rendered after a list became one more bullet. So
// rendered Markdown is inserted with an empty first block, and every block it renders follows
// with its own format, as when the whole reply is inserted at once. `cursor` is at the end of
// the block to continue after; with `takeOver`, in a frame's empty first block that the first
// rendered block then takes over.
void TranscriptView::importHtml(QTextDocument &scratch, const QString &html) const
{
    scratch.setUndoRedoEnabled(false);
    scratch.setDefaultFont(document()->defaultFont());
    scratch.setDefaultStyleSheet(document()->defaultStyleSheet());
    // At a document's start the first block keeps its format. Whitespace around the HTML
    // would become a space at the end of the last block: within a whole reply it falls
    // between blocks and goes.
    QTextCursor(&scratch).insertHtml(html.trimmed());
}

// A rule or a table (code blocks too) starts after an empty block of the importer's own;
// anything else starts a block of its own.
static bool startsAfterEmptyBlock(const QTextDocument &scratch)
{
    const QTextBlock first = scratch.begin();
    return first.length() == 1 && !first.textList() && first.blockFormat().properties().isEmpty()
            && scratch.blockCount() > 1;
}

bool TranscriptView::endsInEmptyBlock(const QString &html) const
{
    QTextDocument scratch;
    importHtml(scratch, html);
    return scratch.lastBlock().length() == 1;
}

bool TranscriptView::startsOwnBlock(const QString &html) const
{
    QTextDocument scratch;
    importHtml(scratch, html);
    return !startsAfterEmptyBlock(scratch);
}

void TranscriptView::appendRendered(QTextCursor &cursor, const QString &html, bool takeOver)
{
    QTextDocument scratch;
    importHtml(scratch, html);
    QTextCursor at(&scratch);
    // Anything but a rule or table needs an empty block put before it.
    const bool emptyFirst = startsAfterEmptyBlock(scratch);
    if (!emptyFirst) {
        at.movePosition(QTextCursor::Start);
        at.insertBlock(at.blockFormat(), at.blockCharFormat());
        QTextCursor sentinel(scratch.begin());
        if (QTextList *list = sentinel.currentList())
            list->remove(sentinel.block());
        sentinel.setBlockFormat(QTextBlockFormat());
    }
    const int start = cursor.position();
    cursor.insertFragment(QTextDocumentFragment(&scratch));
    if (takeOver && !emptyFirst) {
        // The empty block becomes the first rendered one.
        QTextCursor join(document());
        join.setPosition(start);
        copyBlockFormat(join, join.block().next(), true);
        join.deleteChar();
    }
}

// Empties `frame` after `completedEnd` (the end of its last finished block, or 0 for none) and
// returns a cursor there; the finished blocks keep their formats.
QTextCursor TranscriptView::clearTail(QTextFrame *frame, int completedEnd)
{
    QTextCursor cursor(document());
    if (completedEnd == 0) {
        cursor.setPosition(frame->firstPosition());
        cursor.setPosition(frame->lastPosition(), QTextCursor::KeepAnchor);
        cursor.removeSelectedText();
        // As a new frame's block: the removal left the last removed block's format here.
        if (QTextList *list = cursor.currentList())
            list->remove(cursor.block());
        cursor.setBlockFormat(QTextBlockFormat());
        return cursor;
    }
    const int end = frame->firstPosition() + completedEnd;
    if (end < frame->lastPosition()) {
        // Removing blocks leaves the last one's format on the block the removal starts in:
        // that one gets the last finished block's format first (its list too, so that the
        // list is never left empty, which would delete it).
        QTextCursor last(document());
        last.setPosition(frame->lastPosition());
        cursor.setPosition(end);
        copyBlockFormat(last, cursor.block(), true);
        cursor.setPosition(frame->lastPosition(), QTextCursor::KeepAnchor);
        cursor.removeSelectedText();
    }
    cursor.setPosition(end);
    return cursor;
}

void TranscriptView::renderStreaming(int row)
{
    Block &block = m_blocks[row];
    const QString &text = m_model->entryAt(row).text;
    int completed = MarkdownRenderer::completedLength(text, block.completedChars);
    // Finished blocks that end in an empty block (after a table or code block, an empty list
    // item) stay open: whether Qt's importer puts what follows into that block depends on
    // what came before it, so they are finished with what follows them.
    if (completed > block.completedChars
        && endsInEmptyBlock(MarkdownRenderer::render(text.mid(block.completedChars, completed - block.completedChars),
                                                     m_style).html))
        completed = block.completedChars;
    constexpr int kCharsPerFrame = 6000;
    const QString html = completed > block.completedChars
            ? markdownHtml(text.mid(block.completedChars, completed - block.completedChars), block)
            : QString();
    // A new frame starts with a block of its own: sealed only where the next finished block
    // would start one anyway (not a rule or table, which the importer puts after an empty
    // block).
    if (completed > block.completedChars && block.frameChars > kCharsPerFrame && startsOwnBlock(html)) {
        // Seal this frame (its tail is redone in the next one) and continue in a new one.
        QTextFrame *sealed = block.current();
        clearTail(sealed, block.tailOffset);
        QTextFrameFormat format = block.frame->frameFormat().toFrameFormat();
        format.setTopMargin(0);
        QTextCursor after(document());
        after.setPosition(sealed->lastPosition() + 1);
        block.continuations.append(after.insertFrame(format));
        block.frameChars = 0;
        block.tailOffset = 0;
    }
    QTextFrame *frame = block.current();

    QTextCursor cursor = clearTail(frame, block.tailOffset);
    if (completed > block.completedChars) {
        // Newly finished blocks are rendered once and stay; only the tail is redone.
        appendRendered(cursor, html, block.tailOffset == 0);
        block.frameChars += completed - block.completedChars;
        block.completedChars = completed;
        block.tailOffset = cursor.position() - frame->firstPosition();
    }
    const QString tail = text.mid(completed);
    if (!tail.isEmpty())
        appendRendered(cursor, MarkdownRenderer::render(tail, m_style, -1000000).html, block.tailOffset == 0);
}

QString TranscriptView::entryHtml(const TranscriptEntry &e, int row)
{
    switch (e.kind) {
    case TranscriptEntry::Kind::User: {
        QString html = e.text.isEmpty() ? QString() : QStringLiteral("<p>%1</p>").arg(plainToHtml(e.text));
        html += attachmentsHtml(e.attachments);
        if (!e.memoryHits.isEmpty()) {
            // What the run was given from memory, so a wrong memory can be found and fixed.
            QStringList lines;
            for (const QJsonValue &v : e.memoryHits) {
                const QJsonObject h = v.toObject();
                lines.append(QStringLiteral("#%1 \u00b7 %2 \u00b7 %3: %4")
                                     .arg(h.value(QStringLiteral("id")).toInteger())
                                     .arg(h.value(QStringLiteral("score")).toDouble(), 0, 'f', 2)
                                     .arg(h.value(QStringLiteral("source")).toString().section(QLatin1Char(':'), 0, 0),
                                          h.value(QStringLiteral("snippet")).toString().left(120))
                                     .toHtmlEscaped());
            }
            html += QStringLiteral("<p style=\"color:%1; font-size:small;\" title=\"%2\">%3<br>%4</p>")
                            .arg(m_muted.name(),
                                 tr("Memories given to this run as reference data (Memory view: Ctrl+Shift+M)").toHtmlEscaped(),
                                 (e.memoryHits.size() == 1 ? tr("used 1 memory")
                                                           : tr("used %1 memories").arg(e.memoryHits.size()))
                                         .toHtmlEscaped(),
                                 lines.join(QStringLiteral("<br>")));
        }
        return html;
    }
    case TranscriptEntry::Kind::Assistant: {
        Block scratch;
        QString html = markdownHtml(e.text, scratch);
        if (e.partial)
            html += QStringLiteral("<p style=\"color:%1; font-size:small;\">%2</p>")
                            .arg(m_muted.name(),
                                 tr("Partial: the reply stopped here.").toHtmlEscaped());
        if (e.promptTokens >= 0 && e.completionTokens >= 0) {
            const QString usage = tr("%L1 + %L2 tokens").arg(e.promptTokens).arg(e.completionTokens);
            html += QStringLiteral("<p style=\"color:%1; font-size:small;\" title=\"%2\">%3</p>")
                            .arg(m_muted.name(),
                                 tr("Prompt + completion tokens of this reply").toHtmlEscaped(),
                                 (e.model.isEmpty() ? usage : e.model + QStringLiteral(" \u00b7 ") + usage)
                                         .toHtmlEscaped());
        }
        return html;
    }
    case TranscriptEntry::Kind::ToolCall:
        return toolCardHtml(e, row);
    case TranscriptEntry::Kind::Notice: {
        QString title;
        if (e.noticeKind == QLatin1String("cancelled"))
            title = tr("Stopped");
        else if (e.noticeKind == QLatin1String("retrying"))
            title = e.errorClass.isEmpty() ? tr("Retrying")
                                           : tr("%1, retrying").arg(errorClassTitle(e.errorClass));
        else if (e.noticeKind == QLatin1String("interrupted"))
            title = tr("Interrupted");
        else if (e.noticeKind == QLatin1String("branch"))
            title = tr("\u2387 Branch");
        else if (e.noticeKind == QLatin1String("omitted"))
            return QStringLiteral("<p>%1 <a href=\"spool-tape:%2\">%3</a></p>")
                    .arg(plainToHtml(e.text), e.runId, tr("Open the tape"));
        else
            title = e.errorClass.isEmpty() ? tr("The run failed") : errorClassTitle(e.errorClass);
        QString html = QStringLiteral("<p><b>%1</b> %2").arg(title.toHtmlEscaped(), plainToHtml(e.text));
        if (e.noticeKind == QLatin1String("error") || e.noticeKind == QLatin1String("interrupted"))
            html += QStringLiteral(" &nbsp;<a href=\"spool-retry:%1\">%2</a>").arg(e.runId, tr("Retry"));
        if (e.noticeKind == QLatin1String("error") && fixableInSettings(e.errorClass))
            html += QStringLiteral(" &nbsp;<a href=\"spool-settings:providers\">%1</a>")
                            .arg(tr("Provider settings\u2026"));
        return html + QStringLiteral("</p>");
    }
    }
    return QString();
}

QString TranscriptView::toolCardHtml(const TranscriptEntry &e, int row) const
{
    Q_UNUSED(row);
    const QString key = e.runId + QLatin1Char('/') + e.callId;
    const bool expanded = m_expanded.contains(key);
    QStringList facts;
    facts << toolStateLabel(e.toolState);
    if (e.durationMs > 0 || e.toolState == QLatin1String("ok") || e.toolState == QLatin1String("failed"))
        facts << tr("%1 ms").arg(e.durationMs);
    if (e.exitCode >= 0)
        facts << tr("exit %1").arg(e.exitCode);
    if (!e.server.isEmpty())
        facts << tr("MCP server %1").arg(e.server);
    if (!e.sandbox.isEmpty() && e.sandbox != QLatin1String("none"))
        facts << tr("sandbox: %1").arg(e.sandbox);
    if (e.progress >= 0 && (e.toolState == QLatin1String("running") || e.toolState == QLatin1String("requested"))) {
        QString p = e.progressTotal > 0 ? tr("progress %1 of %2").arg(e.progress).arg(e.progressTotal)
                                        : tr("progress %1").arg(e.progress);
        if (!e.progressMessage.isEmpty())
            p += QStringLiteral(": ") + e.progressMessage;
        facts << p;
    }
    if (!e.decision.isEmpty())
        facts << tr("approval: %1 (%2)").arg(e.decision, e.decisionDetail);

    QString html = QStringLiteral("<p><b>%1</b> <span style=\"color:%2;\">%3</span>")
                           .arg(tr("Tool %1").arg(e.tool).toHtmlEscaped(), m_muted.name(),
                                facts.join(QStringLiteral(" \u00b7 ")).toHtmlEscaped());
    if (e.toolState == QLatin1String("waiting") && !e.approvalId.isEmpty())
        html += QStringLiteral(" &nbsp;<a href=\"spool-approve:%1\">%2</a>").arg(e.approvalId, tr("Review\u2026"));
    html += QStringLiteral("</p>");

    bool cut = false;
    const QString args = QString::fromUtf8(QJsonDocument(e.arguments).toJson(QJsonDocument::Indented)).trimmed();
    const QString shownArgs = expanded ? args : firstLines(args, kCollapsedLines, &cut);
    bool anyCut = cut;
    if (!e.argumentsError.isEmpty())
        html += QStringLiteral("<p style=\"color:%1;\">%2</p>").arg(m_muted.name(), e.argumentsError.toHtmlEscaped());
    else if (e.arguments.isEmpty())
        html += QStringLiteral("<p style=\"color:%1;\">%2</p>").arg(m_muted.name(), tr("No arguments."));
    else
        html += QStringLiteral("<pre>%1</pre>").arg(shownArgs.toHtmlEscaped());
    if ((e.toolState == QLatin1String("denied") || e.toolState == QLatin1String("waiting"))
        && !e.explanation.isEmpty())
        html += QStringLiteral("<p style=\"color:%1;\">%2</p>").arg(m_muted.name(), e.explanation.toHtmlEscaped());
    if (!e.output.isEmpty()) {
        bool outputCut = false;
        const QString shown = expanded ? e.output : firstLines(e.output, kCollapsedLines, &outputCut);
        anyCut = anyCut || outputCut;
        html += QStringLiteral("<p style=\"color:%1;\">%2</p><pre>%3</pre>")
                        .arg(m_muted.name(), tr("Output").toHtmlEscaped(), shown.toHtmlEscaped());
        if (e.truncated)
            html += QStringLiteral("<p style=\"color:%1;\">%2</p>").arg(m_muted.name(), tr("(output truncated by the tool or the tape cap)"));
    }
    for (int i = 0; i < e.images.size(); ++i) {
        const QString name = imageName(e, i);
        const QImage image = m_images.value(name);
        if (image.isNull()) {
            html += QStringLiteral("<p style=\"color:%1;\">%2</p>")
                            .arg(m_muted.name(), tr("(an image of type %1 that Spool does not show)")
                                                         .arg(e.images.at(i).mimeType).toHtmlEscaped());
            continue;
        }
        // At most 480 pixels wide, as the card is narrow; the image keeps its proportions.
        const int width = qMin(image.width(), 480);
        const int height = image.width() > 0 ? image.height() * width / image.width() : image.height();
        html += QStringLiteral("<p><img src=\"%1\" width=\"%2\" height=\"%3\" alt=\"%4\"></p>")
                        .arg(name.toHtmlEscaped()).arg(width).arg(height)
                        .arg(tr("image from the tool").toHtmlEscaped());
    }
    if (anyCut || expanded) {
        html += QStringLiteral("<p><a href=\"spool-toggle:%1\">%2</a></p>")
                        .arg(QString::fromLatin1(QUrl::toPercentEncoding(key)),
                             expanded ? tr("Show less") : tr("Show all"));
    }
    return html;
}

void TranscriptView::onAnchor(const QUrl &url)
{
    const QString scheme = url.scheme();
    const QString what = url.path();
    if (scheme == QLatin1String("spool-copy")) {
        const int index = what.toInt();
        if (m_codeBlocks.contains(index)) {
            QApplication::clipboard()->setText(m_codeBlocks.value(index));
            emit copied(tr("code block"));
        }
    } else if (scheme == QLatin1String("spool-toggle")) {
        const QString key = QUrl::fromPercentEncoding(what.toLatin1());
        if (m_expanded.contains(key))
            m_expanded.remove(key);
        else
            m_expanded.insert(key);
        for (int row = 0; row < m_blocks.size(); ++row) {
            const TranscriptEntry &e = m_model->entryAt(row);
            if (e.kind == TranscriptEntry::Kind::ToolCall && e.runId + QLatin1Char('/') + e.callId == key)
                render(row);
        }
    } else if (scheme == QLatin1String("spool-tape")) {
        emit tapeRequested(what);
    } else if (scheme == QLatin1String("spool-retry")) {
        emit retryRequested(what);
    } else if (scheme == QLatin1String("spool-approve")) {
        emit approvalRequested(what);
    } else if (scheme == QLatin1String("spool-attachment")) {
        emit attachmentOpenRequested(url.path(), QUrlQuery(url).queryItemValue(QStringLiteral("name"), QUrl::FullyDecoded));
    } else if (scheme == QLatin1String("spool-settings")) {
        emit providerSettingsRequested();
    } else if (scheme == QLatin1String("http") || scheme == QLatin1String("https")
               || scheme == QLatin1String("mailto")) {
        QDesktopServices::openUrl(url);
    }
}

QVariant TranscriptView::loadResource(int type, const QUrl &name)
{
    // Nothing a model wrote may make the view read a file or the network: only the
    // thumbnails of attachments, which come from the journal through the engine.
    if (type == QTextDocument::ImageResource && name.scheme() == QLatin1String("spool-thumb")) {
        const QImage thumb = m_thumbnails.value(name.path());
        if (!thumb.isNull())
            return thumb;
    }
    return {};
}

void TranscriptView::setAttachmentContent(const QString &sha256, const QByteArray &data)
{
    QImage image;
    if (!image.loadFromData(data))
        return;
    m_thumbnails.insert(sha256, image.scaled(kThumbnailEdge, kThumbnailEdge, Qt::KeepAspectRatio,
                                             Qt::SmoothTransformation));
    if (!m_model)
        return;
    for (int row = 0; row < m_model->rowCount() && row < m_blocks.size(); ++row) {
        const TranscriptEntry &e = m_model->entryAt(row);
        for (const QJsonValue &v : e.attachments) {
            if (v.toObject().value(QStringLiteral("sha256")).toString() == sha256) {
                render(row);
                break;
            }
        }
    }
}

QString TranscriptView::attachmentsHtml(const QJsonArray &attachments)
{
    QStringList items;
    for (const QJsonValue &v : attachments) {
        const QJsonObject a = v.toObject();
        const QString sha = a.value(QStringLiteral("sha256")).toString();
        const QString name = a.value(QStringLiteral("name")).toString();
        const QString mime = a.value(QStringLiteral("mime")).toString();
        const QString size = QLocale().formattedDataSize(a.value(QStringLiteral("bytes")).toInteger());
        const QString href = QStringLiteral("spool-attachment:%1?name=%2")
                                     .arg(sha, QString::fromLatin1(QUrl::toPercentEncoding(name)));
        if (mime.startsWith(QLatin1String("image/"))) {
            if (!m_thumbnails.contains(sha)) {
                m_thumbnails.insert(sha, QImage());
                emit attachmentContentWanted(sha);
            }
            const QImage thumb = m_thumbnails.value(sha);
            if (!thumb.isNull()) {
                items.append(QStringLiteral("<a href=\"%1\"><img src=\"spool-thumb:%2\" width=\"%3\" height=\"%4\" "
                                            "title=\"%5\"></a>")
                                     .arg(href, sha)
                                     .arg(thumb.width())
                                     .arg(thumb.height())
                                     .arg(tr("%1 (%2): click to open full size").arg(name, size).toHtmlEscaped()));
                continue;
            }
        }
        items.append(QStringLiteral("<a href=\"%1\">\U0001F4CE %2</a> <span style=\"color:%3;\">%4</span>")
                             .arg(href, name.toHtmlEscaped(), m_muted.name(), size.toHtmlEscaped()));
    }
    return items.isEmpty() ? QString() : QStringLiteral("<p>%1</p>").arg(items.join(QStringLiteral(" &nbsp; ")));
}

void TranscriptView::changeEvent(QEvent *event)
{
    QTextBrowser::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        updateStyle();
        rebuild();
    }
}

void TranscriptView::resizeEvent(QResizeEvent *event)
{
    const bool following = isFollowingEnd();
    QTextBrowser::resizeEvent(event);
    scrollToEndIfFollowing(following);
}

} // namespace Spool

namespace Spool {

int TranscriptView::rowAt(int position) const
{
    for (int row = 0; row < m_blocks.size(); ++row) {
        const Block &b = m_blocks.at(row);
        const QTextFrame *last = b.current();
        if (position >= b.frame->firstPosition() && position <= last->lastPosition())
            return row;
    }
    return -1;
}

QString TranscriptView::messageText(int row) const
{
    if (!m_model || row < 0 || row >= m_model->rowCount())
        return QString();
    const TranscriptEntry &e = m_model->entryAt(row);
    if (e.kind != TranscriptEntry::Kind::ToolCall)
        return e.text;
    QString text = tr("Tool %1").arg(e.tool) + QLatin1Char('\n')
            + QString::fromUtf8(QJsonDocument(e.arguments).toJson(QJsonDocument::Indented));
    if (!e.output.isEmpty())
        text += QLatin1Char('\n') + e.output;
    return text;
}

void TranscriptView::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu *menu = createStandardContextMenu(event->pos());
    const int row = rowAt(cursorForPosition(event->pos()).position());
    menu->addSeparator();
    QAction *copyMessage = menu->addAction(tr("Copy &Message"), this, [this, row] {
        QApplication::clipboard()->setText(messageText(row));
        emit copied(tr("message"));
    });
    copyMessage->setEnabled(row >= 0);
    const QString runId = row >= 0 && m_model ? m_model->entryAt(row).runId : QString();
    QAction *fork = menu->addAction(tr("&Fork from Here"), this, [this, runId] { emit forkRequested(runId); });
    fork->setToolTip(tr("A new session that continues from this run"));
    fork->setEnabled(!runId.isEmpty());
    menu->addAction(tr("Copy the &Conversation"), this, [this] {
        QApplication::clipboard()->setText(toPlainText());
        emit copied(tr("conversation"));
    });
    // popup(), not exec(): no nested event loop under a view that may be gone when it ends.
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->popup(event->globalPos());
}

} // namespace Spool
