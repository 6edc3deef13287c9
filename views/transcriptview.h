#pragma once

#include "markdownrenderer.h"
#include "transcriptentry.h"
#include "transcriptmodel.h"

#include <QHash>
#include <QImage>
#include <QPointer>
#include <QSet>
#include <QImage>
#include <QTextBrowser>

class QTextFrame;
class QTextFrameFormat;

namespace Spool {

class TranscriptModel;

// The conversation as one read-only document: a frame per transcript entry (messages, tool
// cards, notices), so text selects and copies across messages and the whole thing scrolls as
// one. It follows the model: inserted rows become frames, changed rows are re-rendered, and a
// streaming reply only re-renders its open last block; finished blocks are rendered once.
class TranscriptView : public QTextBrowser
{
    Q_OBJECT
public:
    explicit TranscriptView(QWidget *parent = nullptr);

    void setModel(TranscriptModel *model);
    TranscriptModel *model() const { return m_model; }

    // Plain text of the document, for tests and "copy conversation".
    QString plainTranscript() const { return toPlainText(); }
    // The row of the entry shown at a document position, or -1.
    int rowAt(int position) const;
    // The text of an entry as written (Markdown for replies), for "Copy message".
    QString messageText(int row) const;
    bool isFollowingEnd() const;

signals:
    void retryRequested(const QString &runId);
    void approvalRequested(const QString &approvalId);
    void tapeRequested(const QString &runId);
    // An error notice's "Provider settings" link.
    void providerSettingsRequested();
    void copied(const QString &what);
    // A thumbnail needs the attachment's content: answer with setAttachmentContent().
    void attachmentContentWanted(const QString &sha256);
    // An attachment was clicked: show it whole.
    void attachmentOpenRequested(const QString &sha256, const QString &name);
    // "Fork from here" on a message of this run.
    void forkRequested(const QString &runId);

public:
    // The content of an attachment (for its thumbnail); rows showing it are drawn again.
    void setAttachmentContent(const QString &sha256, const QByteArray &data);
    static constexpr int kThumbnailEdge = 160;

protected:
    QVariant loadResource(int type, const QUrl &name) override;
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    struct Block
    {
        QTextFrame *frame = nullptr;
        // A long streaming reply continues in further frames, so each update lays out a small
        // frame, not the whole reply; they are merged back when the reply ends.
        QList<QTextFrame *> continuations;
        // Streaming state of an assistant message.
        int completedChars = 0;  // Markdown characters rendered as finished blocks
        int frameChars = 0;      // of those, how many went into the current (last) frame
        int tailOffset = 0;      // where the finished blocks end, from the current frame's start

        QTextFrame *current() const { return continuations.isEmpty() ? frame : continuations.constLast(); }
    };

    void rebuild();
    void insertRows(int first, int last);
    void removeRows(int first, int last);
    void updateRows(int first, int last, const QList<int> &roles);
    QTextFrame *createFrame(int row);
    QTextFrameFormat frameFormat(const TranscriptEntry &entry) const;
    void render(int row);
    void renderStreaming(int row);
    void fillFrame(QTextFrame *frame, const QString &html);
    QTextCursor clearTail(QTextFrame *frame, int completedEnd);
    void appendRendered(QTextCursor &cursor, const QString &html, bool takeOver);
    bool startsOwnBlock(const QString &html) const;
    bool endsInEmptyBlock(const QString &html) const;
    void importHtml(QTextDocument &scratch, const QString &html) const;
    void removeFrame(QTextFrame *frame);
    void dropContinuations(Block &block);
    QString entryHtml(const TranscriptEntry &entry, int row);
    QString toolCardHtml(const TranscriptEntry &entry, int row) const;
    // Decodes a tool card's images (PNG, JPEG, GIF, WebP only) into the document's own
    // resources, under spool-image: names that nothing else can reach.
    void registerImages(const TranscriptEntry &entry);
    QString markdownHtml(const QString &markdown, Block &block);
    void onAnchor(const QUrl &url);
    void scrollToEndIfFollowing(bool wasFollowing);
    void updateStyle();

    QPointer<TranscriptModel> m_model;
    QList<Block> m_blocks; // parallel to the model's rows
    QHash<int, QString> m_codeBlocks;
    int m_nextCode = 0;
    QSet<QString> m_expanded; // tool cards shown whole (by run and call id)
    QHash<QString, QImage> m_thumbnails; // by sha256; a null image: asked for, not there yet
    QString attachmentsHtml(const QJsonArray &attachments);
    QHash<QString, QImage> m_images; // decoded tool images, by their spool-image: name
    MarkdownRenderer::Style m_style;
    QColor m_userBackground;
    QColor m_cardBackground;
    QColor m_cardBorder;
    QColor m_errorBackground;
    QColor m_muted;
};

} // namespace Spool
