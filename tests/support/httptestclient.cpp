#include "httptestclient.h"

#include <QJsonDocument>
#include <QTest>

namespace Spool::Test {

QByteArray HttpReply::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key == name)
            return value;
    }
    return {};
}

QJsonObject HttpReply::json() const
{
    return QJsonDocument::fromJson(body).object();
}

QList<QJsonObject> HttpReply::events() const
{
    QList<QJsonObject> out;
    const QList<QByteArray> blocks = body.split('\n');
    for (const QByteArray &line : blocks) {
        if (!line.startsWith("data: "))
            continue;
        const QByteArray data = line.mid(6).trimmed();
        if (data == "[DONE]")
            out.append(QJsonObject{{QStringLiteral("done"), true}});
        else
            out.append(QJsonDocument::fromJson(data).object());
    }
    return out;
}

QList<QJsonObject> HttpReply::lines() const
{
    QList<QJsonObject> out;
    for (const QByteArray &line : body.split('\n')) {
        if (!line.trimmed().isEmpty())
            out.append(QJsonDocument::fromJson(line).object());
    }
    return out;
}

HttpTestClient::HttpTestClient(quint16 port, const QHostAddress &address, QObject *parent)
    : QObject(parent), m_address(address), m_port(port)
{
    connect(&m_socket, &QTcpSocket::readyRead, this, &HttpTestClient::onReadyRead);
    connect(&m_socket, &QTcpSocket::disconnected, this, [this] {
        m_closed = true;
        onReadyRead();
        emit received();
    });
}

bool HttpTestClient::connectToServer(int timeoutMs)
{
    m_socket.connectToHost(m_address, m_port);
    return QTest::qWaitFor([this] { return m_socket.state() == QAbstractSocket::ConnectedState; },
                           timeoutMs);
}

void HttpTestClient::send(const QByteArray &bytes)
{
    // As any HTTP client does, remember a HEAD: its answer ends with the head.
    if (bytes.startsWith("HEAD "))
        ++m_headsPending;
    m_socket.write(bytes);
    m_socket.flush();
}

QByteArray HttpTestClient::rawRequest(const QByteArray &method, const QByteArray &path,
                                   const QByteArray &token, const QByteArray &body,
                                   const QList<QPair<QByteArray, QByteArray>> &headers,
                                   const QByteArray &host)
{
    QByteArray r = method + ' ' + path + " HTTP/1.1\r\n";
    bool hasHost = false;
    bool hasType = false;
    for (const auto &[name, value] : headers) {
        hasHost = hasHost || name.toLower() == "host";
        hasType = hasType || name.toLower() == "content-type";
    }
    if (!hasHost)
        r += "Host: " + host + "\r\n";
    if (!token.isEmpty())
        r += "Authorization: Bearer " + token + "\r\n";
    for (const auto &[name, value] : headers)
        r += name + ": " + value + "\r\n";
    if (!body.isEmpty() && !hasType)
        r += "Content-Type: application/json\r\n";
    if (!body.isEmpty() || method == "POST")
        r += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    r += "\r\n" + body;
    return r;
}

QByteArray HttpTestClient::request(const QByteArray &method, const QByteArray &path,
                                   const QByteArray &body,
                                   const QList<QPair<QByteArray, QByteArray>> &headers) const
{
    return rawRequest(method, path, m_token, body, headers, "127.0.0.1:" + QByteArray::number(m_port));
}

HttpReply HttpTestClient::takeReply()
{
    HttpReply r = m_reply;
    m_reply = {};
    m_contentLength = -1;
    m_chunkLeft = -1;
    parse(); // a next answer may already be buffered
    return r;
}

bool HttpTestClient::waitForHead(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_reply.headComplete || m_closed; }, timeoutMs)
            && m_reply.headComplete;
}

bool HttpTestClient::waitForReply(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_reply.complete || m_closed; }, timeoutMs)
            && m_reply.complete;
}

bool HttpTestClient::waitForBody(const QByteArray &contains, int timeoutMs)
{
    return QTest::qWaitFor([&] { return m_reply.body.contains(contains) || m_closed; }, timeoutMs)
            && m_reply.body.contains(contains);
}

bool HttpTestClient::waitForClosed(int timeoutMs)
{
    return QTest::qWaitFor([this] { return m_closed; }, timeoutMs);
}

HttpReply HttpTestClient::exchange(const QByteArray &bytes, int timeoutMs)
{
    if (m_socket.state() != QAbstractSocket::ConnectedState && !connectToServer())
        return {};
    send(bytes);
    waitForReply(timeoutMs);
    return takeReply();
}

void HttpTestClient::onReadyRead()
{
    if (m_socket.isReadable())
        m_buffer += m_socket.readAll();
    parse();
    emit received();
}

void HttpTestClient::parse()
{
    if (m_reply.complete)
        return;
    if (!m_reply.headComplete) {
        const qsizetype end = m_buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QList<QByteArray> lines = m_buffer.left(end).split('\n');
        m_buffer.remove(0, end + 4);
        const QList<QByteArray> status = lines.value(0).trimmed().split(' ');
        m_reply.status = status.value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon > 0)
                m_reply.headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
        }
        m_reply.headComplete = true;
        m_reply.chunked = m_reply.header("transfer-encoding").toLower() == "chunked";
        if (!m_reply.chunked)
            m_contentLength = m_reply.header("content-length").toLongLong();
        if (m_headsPending > 0) {
            --m_headsPending;
            m_reply.chunked = false;
            m_contentLength = 0;
        }
    }
    if (!m_reply.chunked) {
        const qint64 take = qMin<qint64>(m_buffer.size(), m_contentLength - m_reply.body.size());
        m_reply.body += m_buffer.left(take);
        m_buffer.remove(0, take);
        m_reply.complete = m_reply.body.size() == m_contentLength;
        return;
    }
    while (true) {
        if (m_chunkLeft < 0) {
            const qsizetype nl = m_buffer.indexOf("\r\n");
            if (nl < 0)
                return;
            bool ok = false;
            m_chunkLeft = m_buffer.left(nl).trimmed().toLongLong(&ok, 16);
            m_buffer.remove(0, nl + 2);
            if (!ok)
                m_chunkLeft = 0;
            if (m_chunkLeft == 0) {
                // the last chunk: its empty trailer line follows
                if (m_buffer.startsWith("\r\n"))
                    m_buffer.remove(0, 2);
                m_reply.complete = true;
                return;
            }
        }
        if (m_buffer.size() < m_chunkLeft + 2)
            return;
        m_reply.body += m_buffer.left(m_chunkLeft);
        m_buffer.remove(0, m_chunkLeft + 2);
        m_chunkLeft = -1;
        ++m_reply.chunks;
    }
}

} // namespace Spool::Test
