#include "memory/memorytokenizer.h"

#include <QSet>

#include <array>
#include <cstring>
#include <string_view>
#include <unordered_set>

namespace Spool {

namespace {

constexpr int kMaxTermLength = 64;

// Words too common to tell items apart; left out of items and queries alike, which also keeps
// the index small and a query's cost proportional to its meaningful words.
const std::unordered_set<std::string> &stopWords()
{
    static const std::unordered_set<std::string> words{
            "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any",
            "are", "as", "at", "be", "because", "been", "before", "being", "below", "between",
            "both", "but", "by", "can", "could", "did", "do", "does", "doing", "down", "during",
            "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
            "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
            "is", "it", "its", "itself", "just", "me", "more", "most", "my", "myself", "no",
            "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours",
            "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "such",
            "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there",
            "these", "they", "this", "those", "through", "to", "too", "under", "until", "up",
            "very", "was", "we", "were", "what", "when", "where", "which", "while", "who", "whom",
            "why", "will", "with", "would", "you", "your", "yours", "yourself", "yourselves"};
    return words;
}

// The Porter stemmer, step by step as the 1980 paper gives it. `b` holds the word; k is the
// offset of its last letter, j a second offset set by ends().
class PorterStemmer
{
public:
    explicit PorterStemmer(std::string &word) : b(word), k(int(word.size()) - 1) {}

    void run()
    {
        if (k <= 1)
            return; // words of one or two letters are left alone
        step1ab();
        if (k > 0) {
            step1c();
            step2();
            step3();
            step4();
            step5();
        }
        b.resize(size_t(k + 1));
    }

private:
    bool cons(int i) const
    {
        switch (b[size_t(i)]) {
        case 'a': case 'e': case 'i': case 'o': case 'u': return false;
        case 'y': return i == 0 ? true : !cons(i - 1);
        default: return true;
        }
    }
    // The number of vowel-consonant sequences between 0 and j.
    int m() const
    {
        int n = 0;
        int i = 0;
        while (true) {
            if (i > j)
                return n;
            if (!cons(i))
                break;
            ++i;
        }
        ++i;
        while (true) {
            while (true) {
                if (i > j)
                    return n;
                if (cons(i))
                    break;
                ++i;
            }
            ++i;
            ++n;
            while (true) {
                if (i > j)
                    return n;
                if (!cons(i))
                    break;
                ++i;
            }
            ++i;
        }
    }
    bool vowelInStem() const
    {
        for (int i = 0; i <= j; ++i) {
            if (!cons(i))
                return true;
        }
        return false;
    }
    bool doublec(int i) const
    {
        return i >= 1 && b[size_t(i)] == b[size_t(i - 1)] && cons(i);
    }
    // consonant-vowel-consonant ending at i, the last not w, x or y ("hop", not "snow").
    bool cvc(int i) const
    {
        if (i < 2 || !cons(i) || cons(i - 1) || !cons(i - 2))
            return false;
        const char c = b[size_t(i)];
        return c != 'w' && c != 'x' && c != 'y';
    }
    bool ends(std::string_view s)
    {
        const int len = int(s.size());
        if (len > k + 1)
            return false;
        if (std::memcmp(b.data() + k - len + 1, s.data(), size_t(len)) != 0)
            return false;
        j = k - len;
        return true;
    }
    void setTo(std::string_view s)
    {
        b.replace(size_t(j + 1), size_t(k - j), s);
        k = j + int(s.size());
    }
    void r(std::string_view s)
    {
        if (m() > 0)
            setTo(s);
    }

    void step1ab()
    {
        if (b[size_t(k)] == 's') {
            if (ends("sses"))
                k -= 2;
            else if (ends("ies"))
                setTo("i");
            else if (k >= 1 && b[size_t(k - 1)] != 's')
                --k;
        }
        if (ends("eed")) {
            if (m() > 0)
                --k;
        } else if ((ends("ed") || ends("ing")) && vowelInStem()) {
            k = j;
            if (ends("at"))
                setTo("ate");
            else if (ends("bl"))
                setTo("ble");
            else if (ends("iz"))
                setTo("ize");
            else if (doublec(k)) {
                --k;
                const char c = b[size_t(k)];
                if (c == 'l' || c == 's' || c == 'z')
                    ++k;
            } else {
                j = k;
                if (m() == 1 && cvc(k))
                    setTo("e");
            }
        }
    }
    void step1c()
    {
        if (ends("y") && vowelInStem())
            b[size_t(k)] = 'i';
    }
    void step2()
    {
        if (k < 1)
            return;
        switch (b[size_t(k - 1)]) {
        case 'a':
            if (ends("ational")) { r("ate"); break; }
            if (ends("tional")) { r("tion"); break; }
            break;
        case 'c':
            if (ends("enci")) { r("ence"); break; }
            if (ends("anci")) { r("ance"); break; }
            break;
        case 'e':
            if (ends("izer")) { r("ize"); break; }
            break;
        case 'l':
            if (ends("bli")) { r("ble"); break; }
            if (ends("alli")) { r("al"); break; }
            if (ends("entli")) { r("ent"); break; }
            if (ends("eli")) { r("e"); break; }
            if (ends("ousli")) { r("ous"); break; }
            break;
        case 'o':
            if (ends("ization")) { r("ize"); break; }
            if (ends("ation")) { r("ate"); break; }
            if (ends("ator")) { r("ate"); break; }
            break;
        case 's':
            if (ends("alism")) { r("al"); break; }
            if (ends("iveness")) { r("ive"); break; }
            if (ends("fulness")) { r("ful"); break; }
            if (ends("ousness")) { r("ous"); break; }
            break;
        case 't':
            if (ends("aliti")) { r("al"); break; }
            if (ends("iviti")) { r("ive"); break; }
            if (ends("biliti")) { r("ble"); break; }
            break;
        case 'g':
            if (ends("logi")) { r("log"); break; }
            break;
        default:
            break;
        }
    }
    void step3()
    {
        switch (b[size_t(k)]) {
        case 'e':
            if (ends("icate")) { r("ic"); break; }
            if (ends("ative")) { r(""); break; }
            if (ends("alize")) { r("al"); break; }
            break;
        case 'i':
            if (ends("iciti")) { r("ic"); break; }
            break;
        case 'l':
            if (ends("ical")) { r("ic"); break; }
            if (ends("ful")) { r(""); break; }
            break;
        case 's':
            if (ends("ness")) { r(""); break; }
            break;
        default:
            break;
        }
    }
    void step4()
    {
        if (k < 1)
            return;
        switch (b[size_t(k - 1)]) {
        case 'a':
            if (ends("al")) break;
            return;
        case 'c':
            if (ends("ance")) break;
            if (ends("ence")) break;
            return;
        case 'e':
            if (ends("er")) break;
            return;
        case 'i':
            if (ends("ic")) break;
            return;
        case 'l':
            if (ends("able")) break;
            if (ends("ible")) break;
            return;
        case 'n':
            if (ends("ant")) break;
            if (ends("ement")) break;
            if (ends("ment")) break;
            if (ends("ent")) break;
            return;
        case 'o':
            if (ends("ion") && j >= 0 && (b[size_t(j)] == 's' || b[size_t(j)] == 't')) break;
            if (ends("ou")) break;
            return;
        case 's':
            if (ends("ism")) break;
            return;
        case 't':
            if (ends("ate")) break;
            if (ends("iti")) break;
            return;
        case 'u':
            if (ends("ous")) break;
            return;
        case 'v':
            if (ends("ive")) break;
            return;
        case 'z':
            if (ends("ize")) break;
            return;
        default:
            return;
        }
        if (m() > 1)
            k = j;
    }
    void step5()
    {
        j = k;
        if (b[size_t(k)] == 'e') {
            const int a = m();
            if (a > 1 || (a == 1 && !cvc(k - 1)))
                --k;
        }
        if (b[size_t(k)] == 'l' && doublec(k) && m() > 1)
            --k;
    }

    std::string &b;
    int k;
    int j = 0;
};

bool isAsciiLower(const std::string &w)
{
    for (char c : w) {
        if (c < 'a' || c > 'z')
            return false;
    }
    return true;
}

void flush(std::string &word, std::vector<std::string> &out)
{
    if (word.empty())
        return;
    if (int(word.size()) <= kMaxTermLength && !stopWords().count(word))
        out.push_back(isAsciiLower(word) ? MemoryTokenizer::stem(word) : word);
    word.clear();
}

} // namespace

bool MemoryTokenizer::isStopWord(const std::string &word)
{
    return stopWords().count(word) > 0;
}

std::string MemoryTokenizer::stem(std::string word)
{
    PorterStemmer(word).run();
    return word;
}

std::vector<std::string> MemoryTokenizer::terms(const QString &text)
{
    std::vector<std::string> out;
    std::string word;
    const QChar *p = text.constData();
    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const char16_t c = p[i].unicode();
        // The common case, ASCII, without Unicode tables.
        if (c < 0x80) {
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                word.push_back(char(c));
            else if (c >= 'A' && c <= 'Z')
                word.push_back(char(c - 'A' + 'a'));
            else
                flush(word, out);
            continue;
        }
        // Surrogate pairs and everything else: letters and digits are word characters, case
        // folded and without their diacritics.
        char32_t code = c;
        if (QChar::isHighSurrogate(c) && i + 1 < n && p[i + 1].isLowSurrogate()) {
            code = QChar::surrogateToUcs4(c, p[i + 1].unicode());
            ++i;
        }
        if (!QChar::isLetterOrNumber(code) && QChar::category(code) != QChar::Mark_NonSpacing) {
            flush(word, out);
            continue;
        }
        if (QChar::category(code) == QChar::Mark_NonSpacing)
            continue; // a combining diacritic
        const QString folded = QString(QString::fromUcs4(&code, 1)).toCaseFolded()
                                       .normalized(QString::NormalizationForm_KD);
        for (const QChar fc : folded) {
            if (fc.category() == QChar::Mark_NonSpacing)
                continue;
            const QByteArray utf8 = QString(fc).toUtf8();
            word.append(utf8.constData(), size_t(utf8.size()));
        }
    }
    flush(word, out);
    return out;
}

QString MemoryTokenizer::ftsAllWords(const QString &text)
{
    // The FTS5 tokenizer stems and folds by itself: only the raw words are needed here.
    QStringList words;
    QSet<QString> seen;
    QString word;
    auto take = [&] {
        if (!word.isEmpty() && !seen.contains(word)) {
            seen.insert(word);
            words.append(QLatin1Char('"') + word + QStringLiteral("\"*"));
        }
        word.clear();
    };
    for (const QChar c : text) {
        if (c.isLetterOrNumber())
            word.append(c);
        else
            take();
    }
    take();
    return words.join(QLatin1Char(' '));
}

} // namespace Spool
