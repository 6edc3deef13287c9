#pragma once

#include <QList>
#include <QString>

namespace Spool {

// Cuts a document into passages memory can store and find (SPEC §7): Markdown is cut at its
// headings first, and every passage remembers the headings it sits under; sections longer
// than a passage are cut at paragraph, then line, then sentence ends, and consecutive
// passages of a section share their edges (the overlap), so a fact that straddles a cut is
// whole in one of them. Fenced code blocks are never cut at a heading-like line inside them.
class DocumentChunker
{
public:
    struct Options
    {
        int targetChars = 1200; // about 300 tokens
        int maxChars = 1600;    // no passage is longer
        int overlapChars = 200;
    };
    struct Chunk
    {
        QString heading; // "Setup > Staging", empty before the first heading
        QString text;
    };

    explicit DocumentChunker(const Options &options);
    DocumentChunker();

    // `markdown`: headings are `#` lines (ATX). Text and code files are cut at blank lines.
    QList<Chunk> chunk(const QString &text, bool markdown) const;
    static bool isMarkdownName(const QString &fileName);

private:
    void cutSection(const QString &heading, const QString &body, QList<Chunk> &out) const;

    Options m_options;
};

} // namespace Spool
