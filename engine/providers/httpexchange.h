#pragma once

#include "providers/providertypes.h"
#include "providers/retrypolicy.h"
#include "core/sseparser.h"

#include <QElapsedTimer>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>
#include <QTimer>

class QNetworkAccessManager;
class QNetworkReply;

namespace Spool {

// One HTTP request to a provider, with the retry layer every provider shares (SPEC §5):
// 408/409/429/5xx answers and transport failures are tried again after an exponential backoff
// with jitter, or after the wait the server asked for (Retry-After, retry-after-ms) up to a
// cap; a connection that is not up within the connect timeout, or that sends nothing for the
// stall timeout, is an error. Once commit() was called (the reply began to reach the user)
// nothing is retried. An SSE body is parsed as it arrives and handed out event by event; any
// other 2xx body is handed out whole. Lives on the thread that owns the network manager.
class HttpExchange : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        int connectTimeoutMs = 10000;
        int stallTimeoutMs = 60000;
        RetryPolicy retry;
        QString secret; // scrubbed from every error message
    };

    HttpExchange(QNetworkAccessManager *network, const QNetworkRequest &request,
                 const QByteArray &verb, const QByteArray &body, const Options &options,
                 QObject *parent = nullptr);
    ~HttpExchange() override;

    void start();
    // Cancels the request at once; nothing is emitted afterwards.
    void abort();
    // The reply has begun to reach the user: from now on a failure is final.
    void commit() { m_committed = true; }
    bool isCommitted() const { return m_committed; }
    // The content of a 2xx reply was wrong or reported an error: ends this attempt and retries
    // or fails as for an HTTP error.
    void failAttempt(const ProviderError &error);
    // The reader found the end of the reply (e.g. `[DONE]`): closes it, emits nothing more.
    void complete();

    int attempt() const { return m_attempt; }
    qint64 elapsedMs() const { return m_clock.isValid() ? m_clock.elapsed() : 0; }

signals:
    void attemptStarted(int attempt);
    void event(const Spool::SseEvent &event);
    // The reply ended without a transport error; the reader answers both with complete() or
    // failAttempt().
    void bodyReceived(const QByteArray &body);
    void streamEnded();
    void retrying(const Spool::ProviderError &error);
    void failed(const Spool::ProviderError &error);

private:
    void sendAttempt();
    void onMetaData();
    void onReadyRead();
    void onFinished();
    void handleFailure(ProviderError error, std::optional<qint64> serverDelayMs);
    void dropReply();
    void dispatch(const QList<SseEvent> &events);

    QPointer<QNetworkAccessManager> m_network;
    QNetworkRequest m_request;
    QByteArray m_verb;
    QByteArray m_body;
    Options m_options;
    QPointer<QNetworkReply> m_reply;
    QTimer m_connectTimer;
    QTimer m_stallTimer;
    QTimer m_retryTimer;
    QElapsedTimer m_clock;
    SseParser m_parser;
    QByteArray m_received; // a non-SSE body, or an error body
    int m_status = 0;
    bool m_sse = false;
    int m_attempt = 0;
    bool m_committed = false;
    bool m_done = false;
};

} // namespace Spool
