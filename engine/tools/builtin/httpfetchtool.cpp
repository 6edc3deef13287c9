#include "tools/builtin/httpfetchtool.h"

#include "tools/addresspolicy.h"

#include <QElapsedTimer>
#include <QHostInfo>
#include <QJsonDocument>
#include <QNetworkProxy>
#include <QPointer>
#include <QSslSocket>
#include <QStringDecoder>
#include <QTcpSocket>
#include <QTimer>
#include <QUrl>

namespace Spool {

namespace {

constexpr int kMaxUrlChars = 8192;
constexpr int kMaxHeaderBytes = 64 * 1024;
constexpr int kMaxChunkLine = 1024;

Error invalid(const QString &message)
{
    return makeError(ErrorCode::InvalidArgument, message);
}

QString shownUrl(const QString &url)
{
    QString s = url;
    s.replace(QChar(0), QStringLiteral("\\0"));
    return s.size() > 200 ? s.left(200) + QStringLiteral("...") : s;
}

Result<QUrl> parseUrl(const QString &text)
{
    if (text.contains(QChar(0)))
        return invalid(QStringLiteral("the URL contains a NUL character"));
    if (text.size() > kMaxUrlChars)
        return invalid(QStringLiteral("the URL is %1 characters long; the limit is %2")
                               .arg(text.size())
                               .arg(kMaxUrlChars));
    QUrl url(text.trimmed(), QUrl::StrictMode);
    if (!url.isValid() || url.isRelative())
        return invalid(QStringLiteral("\"%1\" is not a valid absolute URL%2")
                               .arg(shownUrl(text),
                                    url.errorString().isEmpty() ? QString()
                                                                : QStringLiteral(": ") + url.errorString()));
    const QString scheme = url.scheme().toLower();
    if (scheme != QLatin1String("http") && scheme != QLatin1String("https"))
        return invalid(QStringLiteral("only http and https URLs are fetched, not %1:").arg(scheme.left(20)));
    if (url.host().isEmpty())
        return invalid(QStringLiteral("\"%1\" has no host").arg(shownUrl(text)));
    if (!url.userName().isEmpty() || !url.password().isEmpty())
        return invalid(QStringLiteral("URLs with a user name or password are not fetched"));
    if (url.port() == 0)
        return invalid(QStringLiteral("port 0 cannot be fetched from"));
    url.setScheme(scheme);
    url.setFragment(QString());
    return url;
}

int defaultPort(const QUrl &url)
{
    return url.port(url.scheme() == QLatin1String("https") ? 443 : 80);
}

QString mediaTypeOf(const QByteArray &contentType)
{
    return QString::fromLatin1(contentType.split(';').first().trimmed()).toLower();
}

QByteArray charsetOf(const QByteArray &contentType)
{
    const QList<QByteArray> parts = contentType.split(';');
    for (qsizetype i = 1; i < parts.size(); ++i) {
        const QByteArray p = parts[i].trimmed();
        if (p.toLower().startsWith("charset="))
            return p.mid(8).trimmed().replace('"', QByteArray()).toLower();
    }
    return QByteArray();
}

// An HTTP/1.1 response read as it arrives, with caps: headers at kMaxHeaderBytes, the body at
// `maxBody` (then it stops and says so). Supports Content-Length, chunked, and read-until-close.
class ResponseParser
{
public:
    ResponseParser(bool headRequest, qint64 maxBody) : m_head(headRequest), m_maxBody(maxBody) {}

    void feed(const QByteArray &data)
    {
        if (m_state == State::Done || m_state == State::Failed)
            return;
        m_buffer.append(data);
        for (;;) {
            const State before = m_state;
            const qsizetype size = m_buffer.size();
            step();
            if (m_state == State::Done || m_state == State::Failed)
                return;
            if (m_state == before && m_buffer.size() == size)
                return; // needs more bytes
        }
    }

    // The peer closed the connection.
    void closed()
    {
        if (m_state == State::Done || m_state == State::Failed)
            return;
        if (m_state == State::Body && m_framing == Framing::UntilClose) {
            m_state = State::Done;
            return;
        }
        fail(m_state == State::Head ? QStringLiteral("the server closed the connection without "
                                                     "a complete response")
                                    : QStringLiteral("the server closed the connection before "
                                                     "the end of the body"));
    }

    bool headerDone() const { return m_state != State::Head && m_status > 0; }
    bool done() const { return m_state == State::Done; }
    bool failed() const { return m_state == State::Failed; }
    QString error() const { return m_error; }
    int status() const { return m_status; }
    QString reason() const { return m_reason; }
    const QList<QPair<QByteArray, QByteArray>> &headers() const { return m_headers; }
    QByteArray header(const QByteArray &lowerName) const
    {
        QByteArrayList values;
        for (const auto &[name, value] : m_headers) {
            if (name == lowerName)
                values << value;
        }
        return values.join(", ");
    }
    const QByteArray &body() const { return m_body; }
    bool bodyCapped() const { return m_capped; }

private:
    enum class State { Head, Body, Done, Failed };
    enum class Framing { None, Length, Chunked, UntilClose };
    enum class Chunk { Size, Data, DataEnd, Trailer };

    void fail(const QString &why)
    {
        m_state = State::Failed;
        m_error = why;
    }

    void step()
    {
        if (m_state == State::Head)
            parseHead();
        else if (m_state == State::Body)
            parseBody();
    }

    void parseHead()
    {
        qsizetype end = m_buffer.indexOf("\r\n\r\n");
        qsizetype sep = 4;
        if (end < 0) {
            end = m_buffer.indexOf("\n\n");
            sep = 2;
        }
        if (end < 0) {
            if (m_buffer.size() > kMaxHeaderBytes)
                fail(QStringLiteral("the response headers are larger than %1 bytes").arg(kMaxHeaderBytes));
            return;
        }
        if (end > kMaxHeaderBytes) {
            fail(QStringLiteral("the response headers are larger than %1 bytes").arg(kMaxHeaderBytes));
            return;
        }
        const QByteArray head = m_buffer.left(end);
        m_buffer.remove(0, end + sep);
        QList<QByteArray> lines = head.split('\n');
        for (QByteArray &l : lines) {
            if (l.endsWith('\r'))
                l.chop(1);
        }
        const QByteArray statusLine = lines.takeFirst();
        const QList<QByteArray> parts = statusLine.split(' ');
        bool ok = false;
        const int status = parts.value(1).toInt(&ok);
        if (!parts.value(0).startsWith("HTTP/1.") || !ok || status < 100 || status > 999) {
            fail(QStringLiteral("the server did not answer with HTTP/1.x (got \"%1\")")
                         .arg(QString::fromLatin1(statusLine.left(60))));
            return;
        }
        m_headers.clear();
        for (const QByteArray &line : std::as_const(lines)) {
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0) {
                fail(QStringLiteral("the response has a malformed header line"));
                return;
            }
            m_headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
        }
        if (status >= 100 && status < 200) // 100 Continue and friends: the real head follows
            return;
        m_status = status;
        m_reason = QString::fromLatin1(parts.mid(2).join(' '));
        m_state = State::Body;
        if (m_head || status == 204 || status == 304) {
            m_framing = Framing::None;
            m_state = State::Done;
            return;
        }
        if (header("transfer-encoding").toLower().contains("chunked")) {
            m_framing = Framing::Chunked;
        } else if (const QByteArray length = header("content-length"); !length.isEmpty()) {
            // Several equal values are tolerated (RFC 9110); differing ones are not.
            const QList<QByteArray> values = length.split(',');
            qint64 n = -1;
            for (const QByteArray &v : values) {
                bool isNumber = false;
                const qint64 x = v.trimmed().toLongLong(&isNumber);
                if (!isNumber || x < 0 || (n >= 0 && x != n)) {
                    fail(QStringLiteral("the response has an invalid Content-Length"));
                    return;
                }
                n = x;
            }
            m_framing = Framing::Length;
            m_remaining = n;
            if (n == 0)
                m_state = State::Done;
        } else {
            m_framing = Framing::UntilClose;
        }
    }

    void appendBody(const char *data, qint64 n)
    {
        const qint64 room = m_maxBody - m_body.size();
        if (n > room) {
            m_body.append(data, room);
            m_capped = true;
            m_state = State::Done; // stop here: the rest is never downloaded
            return;
        }
        m_body.append(data, n);
    }

    void parseBody()
    {
        switch (m_framing) {
        case Framing::None:
            m_state = State::Done;
            return;
        case Framing::UntilClose:
            appendBody(m_buffer.constData(), m_buffer.size());
            m_buffer.clear();
            return;
        case Framing::Length: {
            const qint64 n = qMin<qint64>(m_remaining, m_buffer.size());
            appendBody(m_buffer.constData(), n);
            m_buffer.remove(0, n);
            m_remaining -= n;
            if (m_remaining == 0 && m_state != State::Done)
                m_state = State::Done;
            return;
        }
        case Framing::Chunked:
            parseChunked();
            return;
        }
    }

    void parseChunked()
    {
        switch (m_chunk) {
        case Chunk::Size: {
            const qsizetype nl = m_buffer.indexOf('\n');
            if (nl < 0) {
                if (m_buffer.size() > kMaxChunkLine)
                    fail(QStringLiteral("the response has a malformed chunk"));
                return;
            }
            QByteArray line = m_buffer.left(nl).trimmed();
            m_buffer.remove(0, nl + 1);
            line = line.split(';').first().trimmed();
            bool ok = false;
            const qint64 size = line.toLongLong(&ok, 16);
            if (!ok || size < 0) {
                fail(QStringLiteral("the response has a malformed chunk size"));
                return;
            }
            if (size == 0) {
                m_chunk = Chunk::Trailer;
                return;
            }
            m_remaining = size;
            m_chunk = Chunk::Data;
            return;
        }
        case Chunk::Data: {
            const qint64 n = qMin<qint64>(m_remaining, m_buffer.size());
            appendBody(m_buffer.constData(), n);
            m_buffer.remove(0, n);
            m_remaining -= n;
            if (m_remaining == 0)
                m_chunk = Chunk::DataEnd;
            return;
        }
        case Chunk::DataEnd: {
            const qsizetype nl = m_buffer.indexOf('\n');
            if (nl < 0) {
                if (m_buffer.size() > 2)
                    fail(QStringLiteral("the response has a malformed chunk end"));
                return;
            }
            m_buffer.remove(0, nl + 1);
            m_chunk = Chunk::Size;
            return;
        }
        case Chunk::Trailer: {
            const qsizetype nl = m_buffer.indexOf('\n');
            if (nl < 0) {
                if (m_buffer.size() > kMaxHeaderBytes)
                    fail(QStringLiteral("the response trailers are too large"));
                return;
            }
            const QByteArray line = m_buffer.left(nl).trimmed();
            m_buffer.remove(0, nl + 1);
            if (line.isEmpty())
                m_state = State::Done;
            return;
        }
        }
    }

    bool m_head;
    qint64 m_maxBody;
    State m_state = State::Head;
    Framing m_framing = Framing::None;
    Chunk m_chunk = Chunk::Size;
    QByteArray m_buffer;
    int m_status = 0;
    QString m_reason;
    QList<QPair<QByteArray, QByteArray>> m_headers;
    QByteArray m_body;
    qint64 m_remaining = 0;
    bool m_capped = false;
    QString m_error;
};

class HttpFetchJob : public ToolJob
{
    Q_OBJECT
public:
    HttpFetchJob(const QUrl &url, bool head, qint64 maxBytes, int timeoutMs,
                 const ToolOptions::Http &options, const AddressPolicy &policy, QObject *parent)
        : ToolJob(parent), m_url(url), m_head(head), m_maxBytes(maxBytes), m_timeoutMs(timeoutMs),
          m_options(options), m_policy(policy)
    {
        m_clock.start();
        m_deadline.setSingleShot(true);
        m_deadline.setTimerType(Qt::PreciseTimer);
        connect(&m_deadline, &QTimer::timeout, this, [this] {
            fail(QStringLiteral("timed out after %1 ms while %2").arg(m_timeoutMs).arg(m_phase));
        });
        m_deadline.start(m_timeoutMs);
        QTimer::singleShot(0, this, [this] { fetch(m_url); });
    }

    ~HttpFetchJob() override { stopNetwork(); }

    void cancel() override
    {
        m_cancelled = true;
        m_deadline.stop();
        stopNetwork();
    }

private:
    void stopNetwork()
    {
        if (m_lookupId >= 0) {
            QHostInfo::abortHostLookup(m_lookupId);
            m_lookupId = -1;
        }
        if (m_socket) {
            m_socket->disconnect(this);
            m_socket->abort();
            m_socket->deleteLater();
            m_socket = nullptr;
        }
    }

    void fetch(const QUrl &url)
    {
        if (m_done || m_cancelled)
            return;
        stopNetwork();
        m_url = url;
        m_parser = std::make_unique<ResponseParser>(m_head, m_maxBytes);
        m_phase = QStringLiteral("resolving %1").arg(url.host());
        m_lookupId = QHostInfo::lookupHost(url.host(), this, [this](const QHostInfo &info) {
            m_lookupId = -1;
            onResolved(info);
        });
    }

    void onResolved(const QHostInfo &info)
    {
        if (m_done || m_cancelled)
            return;
        if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
            fail(QStringLiteral("cannot resolve %1: %2").arg(m_url.host(), info.errorString()));
            return;
        }
        // Every address the name has must be allowed, not just the first: a name that mixes
        // public and private answers is how DNS rebinding starts.
        for (const QHostAddress &a : info.addresses()) {
            if (Status s = m_policy.check(a); !s) {
                const bool literal = !QHostAddress(m_url.host()).isNull();
                fail(QStringLiteral("refused: %1%2").arg(
                        literal ? QString() : QStringLiteral("%1 resolves to ").arg(m_url.host()),
                        s.errorMessage()));
                return;
            }
        }
        m_candidates = info.addresses();
        connectNext();
    }

    void connectNext()
    {
        if (m_candidates.isEmpty()) {
            fail(QStringLiteral("cannot connect to %1: %2").arg(m_url.host(), m_lastError));
            return;
        }
        const QHostAddress address = m_candidates.takeFirst();
        const bool tls = m_url.scheme() == QLatin1String("https");
        m_phase = QStringLiteral("connecting to %1").arg(address.toString());
        if (tls) {
            if (!QSslSocket::supportsSsl()) {
                fail(QStringLiteral("https is not available: Qt has no TLS backend here"));
                return;
            }
            auto *ssl = new QSslSocket(this);
            m_socket = ssl;
            connect(ssl, &QSslSocket::encrypted, this, &HttpFetchJob::onConnected);
            connect(ssl, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
                QStringList text;
                for (const QSslError &e : errors)
                    text << e.errorString();
                fail(QStringLiteral("the TLS connection to %1 is not trusted: %2")
                             .arg(m_url.host(), text.join(QStringLiteral("; "))));
            });
        } else {
            m_socket = new QTcpSocket(this);
            connect(m_socket, &QTcpSocket::connected, this, &HttpFetchJob::onConnected);
        }
        m_socket->setProxy(QNetworkProxy::NoProxy);
        connect(m_socket, &QTcpSocket::readyRead, this, &HttpFetchJob::onReadyRead);
        connect(m_socket, &QTcpSocket::errorOccurred, this, &HttpFetchJob::onSocketError);
        connect(m_socket, &QTcpSocket::disconnected, this, &HttpFetchJob::onDisconnected);
        m_connected = false;
        if (tls) // connect to the checked address; the name is for SNI and the certificate
            static_cast<QSslSocket *>(m_socket.data())
                    ->connectToHostEncrypted(address.toString(), quint16(defaultPort(m_url)),
                                             m_url.host());
        else
            m_socket->connectToHost(address, quint16(defaultPort(m_url)));
    }

    void onConnected()
    {
        if (m_done || m_cancelled || !m_socket)
            return;
        m_connected = true;
        // The address actually connected to, checked again.
        if (Status s = m_policy.check(m_socket->peerAddress()); !s) {
            fail(QStringLiteral("refused: connected to %1").arg(s.errorMessage()));
            return;
        }
        QString host = m_url.host(QUrl::FullyEncoded);
        if (host.contains(QLatin1Char(':')))
            host = QLatin1Char('[') + host + QLatin1Char(']');
        if (m_url.port() > 0)
            host += QLatin1Char(':') + QString::number(m_url.port());
        QByteArray target = m_url.path(QUrl::FullyEncoded).toLatin1();
        if (target.isEmpty())
            target = "/";
        if (m_url.hasQuery())
            target += '?' + m_url.query(QUrl::FullyEncoded).toLatin1();
        QByteArray request;
        request += (m_head ? "HEAD " : "GET ") + target + " HTTP/1.1\r\n";
        request += "Host: " + host.toLatin1() + "\r\n";
        request += "User-Agent: " + m_options.userAgent.toUtf8() + "\r\n";
        request += "Accept: text/*, application/json, application/xml;q=0.9, */*;q=0.1\r\n";
        request += "Accept-Encoding: identity\r\n";
        request += "Connection: close\r\n\r\n";
        m_phase = QStringLiteral("waiting for %1 to answer").arg(m_url.host());
        m_socket->write(request);
    }

    void onReadyRead()
    {
        if (m_done || m_cancelled || !m_socket)
            return;
        m_parser->feed(m_socket->readAll());
        progress();
    }

    void onDisconnected()
    {
        if (m_done || m_cancelled || !m_socket)
            return;
        m_parser->feed(m_socket->readAll());
        m_parser->closed();
        progress();
    }

    void onSocketError(QAbstractSocket::SocketError error)
    {
        if (m_done || m_cancelled || !m_socket)
            return;
        if (error == QAbstractSocket::RemoteHostClosedError) {
            onDisconnected();
            return;
        }
        m_lastError = m_socket->errorString();
        if (!m_connected) {
            m_socket->disconnect(this);
            m_socket->deleteLater();
            m_socket = nullptr;
            connectNext();
            return;
        }
        fail(QStringLiteral("the connection to %1 failed: %2").arg(m_url.host(), m_lastError));
    }

    void progress()
    {
        if (m_parser->failed()) {
            fail(m_parser->error());
            return;
        }
        if (!m_parser->headerDone())
            return;
        const int status = m_parser->status();
        if (!m_headChecked) {
            m_headChecked = true;
            m_phase = QStringLiteral("reading the response from %1").arg(m_url.host());
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                redirect();
                return;
            }
            const QByteArray encoding = m_parser->header("content-encoding").trimmed().toLower();
            if (!encoding.isEmpty() && encoding != "identity") {
                fail(QStringLiteral("the response is %1-encoded; only uncompressed responses are "
                                    "read")
                             .arg(QString::fromLatin1(encoding.left(40))));
                return;
            }
            const QByteArray contentType = m_parser->header("content-type");
            const QString media = mediaTypeOf(contentType);
            const bool hasBody = !m_head && status != 204 && status != 304;
            if (hasBody && media.isEmpty()) {
                fail(QStringLiteral("HTTP %1: the response has no content type, so it is not "
                                    "read")
                             .arg(status));
                return;
            }
            if (hasBody && !HttpFetchTool::contentTypeAllowed(media, m_options.allowedContentTypes)) {
                fail(QStringLiteral("HTTP %1: the content type %2 is not one http.fetch reads "
                                    "(allowed: %3)")
                             .arg(status)
                             .arg(media.left(100), m_options.allowedContentTypes.join(QStringLiteral(", "))));
                return;
            }
        }
        if (m_parser->done())
            succeed();
    }

    void redirect()
    {
        const QByteArray location = m_parser->header("location");
        if (location.isEmpty()) {
            fail(QStringLiteral("HTTP %1 without a Location header").arg(m_parser->status()));
            return;
        }
        if (m_redirects.size() >= m_options.maxRedirects) {
            fail(QStringLiteral("too many redirects: more than %1 (%2)")
                         .arg(m_options.maxRedirects)
                         .arg(m_redirects.join(QStringLiteral(" -> "))));
            return;
        }
        const QUrl next = m_url.resolved(QUrl::fromEncoded(location));
        auto checked = parseUrl(next.toString(QUrl::FullyEncoded));
        if (!checked) {
            fail(QStringLiteral("redirected to a URL that is not fetched: %1").arg(checked.errorMessage()));
            return;
        }
        m_redirects << m_url.toString(QUrl::FullyEncoded);
        m_headChecked = false;
        fetch(*checked);
    }

    void succeed()
    {
        const int status = m_parser->status();
        const QByteArray contentType = m_parser->header("content-type");
        QStringList head;
        head << QStringLiteral("HTTP %1 %2").arg(status).arg(m_parser->reason());
        head << QStringLiteral("URL: %1").arg(m_url.toString(QUrl::FullyEncoded));
        if (!m_redirects.isEmpty())
            head << QStringLiteral("Redirected from: %1").arg(m_redirects.join(QStringLiteral(" -> ")));
        if (m_head) {
            for (const auto &[name, value] : m_parser->headers())
                head << QString::fromLatin1(name) + QStringLiteral(": ") + QString::fromLatin1(value.left(1000));
        } else {
            if (!contentType.isEmpty())
                head << QStringLiteral("Content-Type: %1").arg(QString::fromLatin1(contentType.left(200)));
        }
        QString text;
        if (!m_head) {
            const QByteArray charset = charsetOf(contentType);
            std::optional<QStringConverter::Encoding> enc =
                    charset.isEmpty() ? std::optional(QStringConverter::Utf8)
                                      : QStringConverter::encodingForName(charset.constData());
            QStringDecoder decoder(enc.value_or(QStringConverter::Utf8));
            QByteArray body = m_parser->body();
            text = decoder.decode(body);
            if (m_parser->bodyCapped()) {
                const QByteArray length = m_parser->header("content-length");
                text += QStringLiteral("\n[download stopped at the %1-byte cap; the response is "
                                       "larger%2]")
                                .arg(m_maxBytes)
                                .arg(length.isEmpty() ? QString()
                                                      : QStringLiteral(" (Content-Length %1)")
                                                                .arg(QString::fromLatin1(length.left(20))));
            }
        }
        ToolResult r;
        r.ok = status >= 200 && status < 300;
        r.truncated = m_parser->bodyCapped();
        r.output = head.join(QLatin1Char('\n')) + QStringLiteral("\n\n") + text;
        finish(r);
    }

    void fail(const QString &why)
    {
        finish(ToolResult::failure(QStringLiteral("http.fetch %1: %2")
                                           .arg(shownUrl(m_url.toString(QUrl::FullyEncoded)), why)));
    }

    void finish(ToolResult result)
    {
        if (m_done || m_cancelled)
            return;
        m_done = true;
        m_deadline.stop();
        stopNetwork();
        result.durationMs = m_clock.elapsed();
        result.sandbox = QStringLiteral("none");
        QTimer::singleShot(0, this, [this, result] {
            if (!m_cancelled)
                emit finished(result);
        });
    }

    QUrl m_url;
    bool m_head;
    qint64 m_maxBytes;
    int m_timeoutMs;
    ToolOptions::Http m_options;
    AddressPolicy m_policy;
    std::unique_ptr<ResponseParser> m_parser;
    QPointer<QTcpSocket> m_socket;
    QList<QHostAddress> m_candidates;
    QStringList m_redirects;
    QString m_phase;
    QString m_lastError;
    QTimer m_deadline;
    QElapsedTimer m_clock;
    int m_lookupId = -1;
    bool m_connected = false;
    bool m_headChecked = false;
    bool m_done = false;
    bool m_cancelled = false;
};

} // namespace

HttpFetchTool::HttpFetchTool(const ToolOptions &options) : m_options(options) {}

ToolSpec HttpFetchTool::spec() const
{
    ToolSpec s;
    s.name = QStringLiteral("http.fetch");
    s.description = QStringLiteral(
            "Fetches one http or https URL (GET, or HEAD for the headers only) and returns the "
            "status, the final URL after redirects, the content type and the body as text. "
            "Only text-like content types (text/*, JSON, XML, ...) are read; large bodies are "
            "cut. Addresses on local or private networks cannot be fetched unless allowed.");
    s.parameters = QJsonDocument::fromJson(R"({
        "type": "object",
        "properties": {
            "url": {"type": "string", "minLength": 1, "maxLength": 8192,
                    "description": "Absolute http:// or https:// URL."},
            "method": {"type": "string", "enum": ["GET", "HEAD"], "description": "Default GET."},
            "max_bytes": {"type": "integer", "minimum": 1, "maximum": 104857600,
                          "description": "Stop the download after this many body bytes (capped by the settings)."},
            "timeout_ms": {"type": "integer", "minimum": 100, "maximum": 600000,
                           "description": "Give up after this many milliseconds (capped by the settings)."}
        },
        "required": ["url"],
        "additionalProperties": false
    })").object();
    s.capabilities = {QStringLiteral("network")};
    s.risk = ToolRisk::Medium;
    // A URL can carry anything the agent has read: the user sees it before it leaves.
    s.requiresApproval = true;
    return s;
}

bool HttpFetchTool::contentTypeAllowed(const QString &mediaType, const QStringList &allowed)
{
    const QString type = mediaType.toLower();
    for (const QString &pattern : allowed) {
        const QString p = pattern.toLower();
        if (p == type)
            return true;
        if (p.endsWith(QLatin1String("/*")) && type.startsWith(p.chopped(1)))
            return true;
        // "application/*+json" matches "application/ld+json".
        const qsizetype star = p.indexOf(QLatin1String("/*+"));
        if (star > 0 && type.startsWith(p.left(star + 1)) && type.endsWith(p.mid(star + 2)))
            return true;
    }
    return false;
}

ToolJob *HttpFetchTool::start(const ToolInvocation &invocation, QObject *parent)
{
    const QJsonObject &args = invocation.arguments;
    auto url = parseUrl(args.value(QStringLiteral("url")).toString());
    if (!url)
        return new ImmediateToolJob(ToolResult::failure(url.errorMessage()), parent);
    auto policy = AddressPolicy::fromStrings(m_options.http.allowPrivateAddresses,
                                             m_options.http.allowedNetworks);
    if (!policy)
        return new ImmediateToolJob(
                ToolResult::failure(QStringLiteral("http.fetch is misconfigured: ") + policy.errorMessage()),
                parent);
    const QString method = args.value(QStringLiteral("method")).toString(QStringLiteral("GET"));
    if (method != QLatin1String("GET") && method != QLatin1String("HEAD"))
        return new ImmediateToolJob(ToolResult::failure(QStringLiteral("only GET and HEAD are supported")),
                                    parent);
    const qint64 maxBytes = qBound(qint64(1), args.value(QStringLiteral("max_bytes")).toInteger(m_options.http.maxBytes),
                                   m_options.http.maxBytes);
    const int timeoutMs = int(qBound(qint64(100), args.value(QStringLiteral("timeout_ms")).toInteger(m_options.http.timeoutMs),
                                     qint64(m_options.http.timeoutMs)));
    return new HttpFetchJob(*url, method == QLatin1String("HEAD"), maxBytes, timeoutMs,
                            m_options.http, *policy, parent);
}

QJsonObject HttpFetchTool::approvalPreview(const ToolInvocation &invocation) const
{
    auto url = parseUrl(invocation.arguments.value(QStringLiteral("url")).toString());
    if (!url)
        return {{QStringLiteral("kind"), QStringLiteral("error")},
                {QStringLiteral("error"), url.errorMessage()}};
    return {{QStringLiteral("kind"), QStringLiteral("url")},
            {QStringLiteral("url"), url->toString(QUrl::FullyEncoded)},
            {QStringLiteral("host"), url->host()},
            {QStringLiteral("method"),
             invocation.arguments.value(QStringLiteral("method")).toString(QStringLiteral("GET"))}};
}

} // namespace Spool

#include "httpfetchtool.moc"
