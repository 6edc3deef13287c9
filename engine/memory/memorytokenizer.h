#pragma once

#include <QString>
#include <QStringList>

#include <string>
#include <vector>

namespace Spool {

// Turns text into the terms memory's BM25 ranking counts: words of letters and digits, case
// folded, diacritics removed, English stop words left out, and English words reduced to their
// Porter stem ("retained", "retaining" -> "retain"), as SQLite's `porter unicode61
// remove_diacritics 2` tokenizer does for the FTS5 index.
class MemoryTokenizer
{
public:
    // Terms in order of appearance (repeats kept, for term frequencies).
    static std::vector<std::string> terms(const QString &text);
    static bool isStopWord(const std::string &word);
    // The Porter (1980) stem of a lower-case ASCII word.
    static std::string stem(std::string word);
    // An FTS5 MATCH expression for browsing: every word of `text` must occur, as a prefix
    // ("stag" finds "staging"); empty when it has no words. Every word is quoted: nothing in
    // it is FTS5 syntax.
    static QString ftsAllWords(const QString &text);
};

} // namespace Spool
