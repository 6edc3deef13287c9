#include "providers/deterministicprovider.h"

#include <QElapsedTimer>
#include <QCryptographicHash>
#include <QRegularExpression>
#include <QTimer>

namespace Spool {

namespace {

struct Directive
{
    QString name;  // "tool", "words", "fail"
    QString first; // the tool name, the count, the error class
    QString rest;  // tool arguments (raw JSON) or a failure message
};

// Length of a JSON object or array starting at text[from], honouring strings and escapes; -1
// if it does not close.
int jsonObjectLength(const QString &text, int from)
{
    int depth = 0;
    bool inString = false;
    for (int i = from; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (inString) {
            if (c == QLatin1Char('\\'))
                ++i;
            else if (c == QLatin1Char('"'))
                inString = false;
            continue;
        }
        if (c == QLatin1Char('"'))
            inString = true;
        else if (c == QLatin1Char('{') || c == QLatin1Char('['))
            ++depth;
        else if (c == QLatin1Char('}') || c == QLatin1Char(']')) {
            if (--depth == 0)
                return i - from + 1;
        }
    }
    return -1;
}

// Finds the [[...]] directives and returns the text with them removed.
QString parseDirectives(const QString &text, QList<Directive> &directives)
{
    static const QRegularExpression head(QStringLiteral("\\[\\[(tool|words|fail)\\s+([^\\s\\]]+)"));
    QString plain;
    int pos = 0;
    while (true) {
        const QRegularExpressionMatch m = head.match(text, pos);
        if (!m.hasMatch())
            break;
        plain += text.mid(pos, m.capturedStart() - pos);
        Directive d;
        d.name = m.captured(1);
        d.first = m.captured(2);
        int i = m.capturedEnd();
        while (i < text.size() && text.at(i).isSpace())
            ++i;
        int end = -1;
        if (d.name == QLatin1String("tool") && i < text.size()
            && (text.at(i) == QLatin1Char('{') || text.at(i) == QLatin1Char('['))) {
            const int len = jsonObjectLength(text, i);
            if (len > 0 && text.mid(i + len).trimmed().startsWith(QLatin1String("]]"))) {
                d.rest = text.mid(i, len);
                end = text.indexOf(QLatin1String("]]"), i + len);
            }
        }
        if (end < 0) {
            end = text.indexOf(QLatin1String("]]"), i);
            if (end < 0)
                end = text.size();
            d.rest = text.mid(i, end - i).trimmed();
        }
        directives.append(d);
        pos = qMin(end + 2, int(text.size()));
    }
    plain += text.mid(pos);
    return plain.trimmed();
}

QString fillerWords(int count)
{
    static const QStringList words = {
        QStringLiteral("spool"),   QStringLiteral("tape"),    QStringLiteral("journal"),
        QStringLiteral("agent"),   QStringLiteral("policy"),  QStringLiteral("approval"),
        QStringLiteral("sandbox"), QStringLiteral("session"), QStringLiteral("stream"),
        QStringLiteral("token"),   QStringLiteral("model"),   QStringLiteral("tool"),
    };
    QString out;
    out.reserve(count * 7);
    for (int i = 0; i < count; ++i) {
        if (i > 0)
            out += (i % 12 == 0) ? QStringLiteral(".\n\n") : QStringLiteral(" ");
        out += words.at((i * 7 + i / 12) % words.size());
    }
    if (count > 0)
        out += QLatin1Char('.');
    return out;
}

QStringList chunk(const QString &text)
{
    static const QRegularExpression word(QStringLiteral("\\s*\\S+"));
    QStringList chunks;
    int last = 0;
    for (auto it = word.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        chunks.append(m.captured());
        last = m.capturedEnd();
    }
    if (last < text.size())
        chunks.append(text.mid(last));
    return chunks;
}

class DeterministicCall : public ProviderCall
{
public:
    DeterministicCall(DeterministicProvider::Plan plan, int delayMs, QObject *parent)
        : ProviderCall(parent), m_plan(std::move(plan)), m_delayMs(delayMs)
    {
        m_clock.start();
        m_timer.setSingleShot(true);
        connect(&m_timer, &QTimer::timeout, this, &DeterministicCall::step);
        m_timer.start(0);
    }

    void abort() override
    {
        m_aborted = true;
        m_timer.stop();
    }

private:
    void step()
    {
        if (m_aborted)
            return;
        if (m_plan.error) {
            emit failed(*m_plan.error);
            return;
        }
        // With no delay the whole reply goes out in one pass, still as separate deltas.
        do {
            if (m_next >= m_plan.chunks.size()) {
                ProviderResponse r = m_plan.response;
                r.latencyMs = m_clock.elapsed();
                r.firstTokenMs = m_firstTokenMs;
                emit finished(r);
                return;
            }
            if (m_firstTokenMs < 0)
                m_firstTokenMs = m_clock.elapsed();
            emit textDelta(m_plan.chunks.at(m_next++));
            if (m_aborted)
                return;
        } while (m_delayMs == 0);
        m_timer.start(m_delayMs);
    }

    DeterministicProvider::Plan m_plan;
    int m_delayMs;
    int m_next = 0;
    qint64 m_firstTokenMs = -1;
    bool m_aborted = false;
    QTimer m_timer;
    QElapsedTimer m_clock;
};

} // namespace

DeterministicProvider::DeterministicProvider(const Options &options, const QString &name)
    : m_name(name), m_options(options)
{
}

ProviderCall *DeterministicProvider::send(const ProviderRequest &request, QObject *parent)
{
    return new DeterministicCall(plan(request), qMax(0, m_options.chunkDelayMs), parent);
}

DeterministicProvider::Plan DeterministicProvider::plan(const ProviderRequest &request)
{
    Plan p;
    ProviderResponse &r = p.response;
    r.model = request.model;
    r.finishReason = QStringLiteral("stop");

    qint64 promptTokens = estimateTokens(request.system);
    for (const ChatMessage &m : request.messages)
        promptTokens += m.estimatedTokens();
    for (const ToolDefinition &t : request.tools)
        promptTokens += estimateTokens(t.name) + estimateTokens(t.description) + 16;
    r.usage.prompt = promptTokens;

    // Tool results at the end of the conversation: summarise them.
    int firstResult = int(request.messages.size());
    while (firstResult > 0
           && request.messages.at(firstResult - 1).role == ChatMessage::Role::Tool)
        --firstResult;
    if (firstResult < request.messages.size()) {
        QStringList lines;
        for (int i = firstResult; i < request.messages.size(); ++i) {
            const ChatMessage &m = request.messages.at(i);
            const QString output = m.text.size() > 400 ? m.text.left(400) + QChar(0x2026) : m.text;
            lines.append(QStringLiteral("- `%1` %2: %3")
                                 .arg(m.toolName,
                                      m.toolOk ? QStringLiteral("returned")
                                               : QStringLiteral("did not run"),
                                      output));
        }
        r.text = QStringLiteral("Tool results:\n") + lines.join(QLatin1Char('\n'));
    } else {
        const ChatMessage *last = nullptr;
        int earlierUserTurns = 0;
        for (const ChatMessage &m : request.messages) {
            if (m.role == ChatMessage::Role::User) {
                if (last)
                    ++earlierUserTurns;
                last = &m;
            }
        }
        QList<Directive> directives;
        const QString plain = last ? parseDirectives(last->text, directives) : QString();
        int callIndex = 0;
        int assistantTurns = 0;
        for (const ChatMessage &m : request.messages)
            assistantTurns += m.role == ChatMessage::Role::Assistant ? 1 : 0;
        QString filler;
        for (const Directive &d : directives) {
            if (d.name == QLatin1String("fail")) {
                ProviderError e;
                e.errorClass = parseProviderErrorClass(d.first).value_or(ProviderErrorClass::Server);
                e.message = d.rest.isEmpty() ? providerErrorClassDescription(e.errorClass) : d.rest;
                p.error = e;
                return p;
            }
            if (d.name == QLatin1String("tool")) {
                r.toolCalls.append(ToolCallRequest::make(
                        QStringLiteral("call_%1_%2").arg(assistantTurns + 1).arg(++callIndex),
                        d.first, d.rest));
            } else if (d.name == QLatin1String("words")) {
                filler = fillerWords(qBound(0, d.first.toInt(), 1000000));
            }
        }
        if (!r.toolCalls.isEmpty()) {
            r.finishReason = QStringLiteral("tool_calls");
        } else if (!filler.isEmpty()) {
            r.text = filler;
        } else {
            r.text = QStringLiteral("Echo: ") + (plain.isEmpty() ? QStringLiteral("(nothing)") : plain);
            // What came with it, from the bytes actually received, so a test sees they arrived.
            if (last && !last->attachments.isEmpty()) {
                QStringList seen;
                for (const Attachment &a : last->attachments) {
                    const QString hash = QString::fromLatin1(
                            QCryptographicHash::hash(a.data, QCryptographicHash::Sha256).toHex().left(12));
                    seen.append(a.data.isEmpty()
                                        ? QStringLiteral("- %1 (%2): no content").arg(a.name, a.mime)
                                        : QStringLiteral("- %1 (%2, %3 bytes, sha256 %4)")
                                                  .arg(a.name, a.mime)
                                                  .arg(a.data.size())
                                                  .arg(hash));
                }
                r.text += QStringLiteral("\n\nReceived %1 attachment%2:\n%3")
                                  .arg(last->attachments.size())
                                  .arg(last->attachments.size() == 1 ? QString() : QStringLiteral("s"))
                                  .arg(seen.join(QLatin1Char('\n')));
            }
            // Earlier attachments that came with their content (the context sends them again).
            int earlierAttachments = 0;
            for (const ChatMessage &m : request.messages) {
                if (&m == last)
                    continue;
                for (const Attachment &a : m.attachments)
                    earlierAttachments += a.data.isEmpty() ? 0 : 1;
            }
            if (earlierAttachments > 0)
                r.text += QStringLiteral("\n\n_%1 earlier attachment(s) in the context._").arg(earlierAttachments);
            if (earlierUserTurns > 0) {
                r.text += QStringLiteral("\n\n_Context: %1 earlier turn%2 in this session._")
                                  .arg(earlierUserTurns)
                                  .arg(earlierUserTurns == 1 ? QString() : QStringLiteral("s"));
            }
        }
    }
    p.chunks = chunk(r.text);
    r.usage.completion = estimateTokens(r.text);
    for (const ToolCallRequest &c : r.toolCalls)
        r.usage.completion += estimateTokens(c.name) + estimateTokens(c.rawArguments) + 4;
    return p;
}

} // namespace Spool
