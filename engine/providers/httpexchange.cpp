#include "providers/httpexchange.h"

#include "core/logging.h"
#include "providers/providerfailure.h"

#include <QDateTime>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QtMath>

namespace Spool {

namespace {
// Error bodies are read for their message; a server sending megabytes of HTML is cut short.
constexpr qsizetype kMaxErrorBody = 64 * 1024;
constexpr qsizetype kMaxBody = 64 * 1024 * 1024;
// No real event comes near this; a server streaming one endless line must not eat the memory.
constexpr qsizetype kMaxPendingEvent = 16 * 1024 * 1024;
} // namespace

HttpExchange::HttpExchange(QNetworkAccessManager *network, const QNetworkRequest &request,
                           const QByteArray &verb, const QByteArray &body,
                           const Options &options, QObject *parent)
    : QObject(parent), m_network(network), m_request(request), m_verb(verb), m_body(body),
      m_options(options)
{
    for (QTimer *t : {&m_connectTimer, &m_stallTimer, &m_retryTimer})
        t->setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        handleFailure(ProviderFailure::connectTimeout(m_options.connectTimeoutMs), std::nullopt);
    });
    connect(&m_stallTimer, &QTimer::timeout, this, [this] {
        handleFailure(ProviderFailure::stalled(m_options.stallTimeoutMs), std::nullopt);
    });
    connect(&m_retryTimer, &QTimer::timeout, this, &HttpExchange::sendAttempt);
}

HttpExchange::~HttpExchange()
{
    dropReply();
}

void HttpExchange::start()
{
    if (m_attempt > 0 || m_done)
        return;
    m_clock.start();
    sendAttempt();
}

void HttpExchange::abort()
{
    m_done = true;
    m_connectTimer.stop();
    m_stallTimer.stop();
    m_retryTimer.stop();
    dropReply();
}

void HttpExchange::complete()
{
    m_done = true;
    m_connectTimer.stop();
    m_stallTimer.stop();
    m_retryTimer.stop();
    if (!m_reply)
        return;
    // The reply is complete but its body may not be (the last chunk of a chunked body follows
    // [DONE] at once). Letting it finish keeps the connection, and its TLS session, for the
    // next call; a server that never ends the body is cut off after a moment.
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    disconnect(reply, nullptr, this, nullptr);
    if (reply->isFinished()) {
        reply->deleteLater();
        return;
    }
    connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater);
    QTimer::singleShot(2000, reply, [reply] { reply->abort(); });
}

void HttpExchange::dropReply()
{
    if (!m_reply)
        return;
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    disconnect(reply, nullptr, this, nullptr);
    reply->abort(); // closes the connection at once: a cancelled stream stops costing tokens
    reply->deleteLater();
}

void HttpExchange::sendAttempt()
{
    if (m_done)
        return;
    if (!m_network) {
        m_done = true;
        emit failed(ProviderFailure::fromTransport(QNetworkReply::UnknownNetworkError,
                                                   QStringLiteral("The network is not available.")));
        return;
    }
    ++m_attempt;
    m_parser.reset();
    m_received.clear();
    m_status = 0;
    m_sse = false;
    emit attemptStarted(m_attempt);
    if (m_done)
        return;

    QNetworkReply *reply = m_verb == "GET" ? m_network->get(m_request)
                                           : m_network->sendCustomRequest(m_request, m_verb, m_body);
    m_reply = reply;
    connect(reply, &QNetworkReply::requestSent, this, [this] {
        // Connected and the request is out: from now on silence is a stall.
        m_connectTimer.stop();
        m_stallTimer.start(m_options.stallTimeoutMs);
    });
    connect(reply, &QNetworkReply::metaDataChanged, this, &HttpExchange::onMetaData);
    connect(reply, &QNetworkReply::readyRead, this, &HttpExchange::onReadyRead);
    connect(reply, &QNetworkReply::finished, this, &HttpExchange::onFinished);
    m_connectTimer.start(m_options.connectTimeoutMs);
}

void HttpExchange::onMetaData()
{
    m_connectTimer.stop();
    m_stallTimer.start(m_options.stallTimeoutMs);
    m_status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray type = m_reply->header(QNetworkRequest::ContentTypeHeader).toByteArray().toLower();
    m_sse = m_status >= 200 && m_status < 300 && type.startsWith("text/event-stream");
}

void HttpExchange::onReadyRead()
{
    if (!m_reply)
        return;
    m_connectTimer.stop();
    m_stallTimer.start(m_options.stallTimeoutMs);
    if (m_status == 0)
        onMetaData();
    const QByteArray bytes = m_reply->readAll();
    if (m_sse) {
        QList<SseEvent> events;
        m_parser.feed(bytes, events);
        QNetworkReply *current = m_reply;
        dispatch(events);
        if (!m_done && m_reply == current && m_parser.pendingBytes() > kMaxPendingEvent)
            failAttempt(ProviderFailure::malformed(
                    QStringLiteral("The stream sent an event larger than %1 MB.")
                            .arg(kMaxPendingEvent >> 20)));
        return;
    }
    const qsizetype cap = (m_status >= 200 && m_status < 300) ? kMaxBody : kMaxErrorBody;
    if (m_received.size() < cap)
        m_received.append(bytes.left(cap - m_received.size()));
}

void HttpExchange::dispatch(const QList<SseEvent> &events)
{
    QNetworkReply *current = m_reply;
    for (const SseEvent &e : events) {
        emit event(e);
        // The reader may have completed, failed or aborted the exchange while handling it.
        if (m_done || m_reply != current)
            return;
    }
}

void HttpExchange::onFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    m_connectTimer.stop();
    m_stallTimer.stop();
    if (m_status == 0)
        m_status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (reply->bytesAvailable() > 0)
        onReadyRead();
    if (m_reply != reply || m_done)
        return;
    const bool ok2xx = m_status >= 200 && m_status < 300;
    const QNetworkReply::NetworkError netError = reply->error();

    if (m_status == 0 || (ok2xx && netError != QNetworkReply::NoError)) {
        // No answer at all, or the connection broke in the middle of a 2xx body.
        handleFailure(ProviderFailure::fromTransport(netError, reply->errorString()), std::nullopt);
        return;
    }
    if (!ok2xx) {
        const auto delay = RetryPolicy::parseRetryAfter(reply->rawHeader("retry-after"),
                                                        reply->rawHeader("retry-after-ms"),
                                                        QDateTime::currentDateTimeUtc());
        ProviderError error = ProviderFailure::fromHttp(m_status, m_received);
        if (m_status >= 300 && m_status < 400) {
            // Spool does not follow redirects (they could carry the key elsewhere).
            const QString location = QString::fromUtf8(reply->rawHeader("location"));
            error.message = QStringLiteral("The server redirects to %1 (HTTP %2); set the provider's "
                                           "base URL to the new address.")
                                    .arg(location.isEmpty() ? QStringLiteral("another address") : location)
                                    .arg(m_status);
        }
        handleFailure(error, delay);
        return;
    }
    if (m_sse) {
        QList<SseEvent> events;
        m_parser.finish(events);
        dispatch(events);
        if (m_done || m_reply != reply)
            return;
    }
    if (!m_sse) {
        // A few servers stream without saying text/event-stream: a body that reads as SSE is
        // parsed as SSE (all at once, since it was only recognised at the end).
        const QByteArray head = m_received.left(64).trimmed();
        if (head.startsWith("data:") || head.startsWith("event:") || head.startsWith(':')) {
            m_sse = true;
            QList<SseEvent> events;
            m_parser.feed(m_received, events);
            m_parser.finish(events);
            dispatch(events);
            if (m_done || m_reply != reply)
                return;
        }
    }
    // The reader answers with complete() or failAttempt() (a stream that ended too early).
    m_reply = nullptr;
    reply->deleteLater();
    if (m_sse)
        emit streamEnded();
    else
        emit bodyReceived(m_received);
}

void HttpExchange::failAttempt(const ProviderError &error)
{
    if (m_done)
        return;
    handleFailure(error, std::nullopt);
}

void HttpExchange::handleFailure(ProviderError error, std::optional<qint64> serverDelayMs)
{
    if (m_done)
        return;
    m_connectTimer.stop();
    m_stallTimer.stop();
    dropReply();
    error.attempt = m_attempt;
    error.message = ProviderFailure::scrub(error.message, m_options.secret);

    const RetryPolicy &policy = m_options.retry;
    if (!m_committed && ProviderFailure::isRetryable(error) && m_attempt <= policy.maxRetries) {
        const qint64 delay = policy.delayMs(m_attempt, serverDelayMs,
                                            QRandomGenerator::global()->generateDouble());
        if (delay >= 0) {
            error.retryDelayMs = delay;
            qCInfo(lcProviders).noquote()
                    << m_request.url().toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery)
                    << "attempt" << m_attempt << "failed:" << providerErrorClassName(error.errorClass)
                    << "- retrying in" << delay << "ms";
            emit retrying(error);
            if (!m_done)
                m_retryTimer.start(int(qMin<qint64>(delay, INT_MAX)));
            return;
        }
        error.message += QStringLiteral(" The provider asked to wait %1 s, longer than Spool waits "
                                        "(%2 s).")
                                 .arg(qCeil(double(*serverDelayMs) / 1000.0))
                                 .arg(policy.maxServerDelayMs / 1000);
    }
    m_done = true;
    emit failed(error);
}

} // namespace Spool
