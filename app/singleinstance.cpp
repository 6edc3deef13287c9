#include "singleinstance.h"

#include <QCryptographicHash>
#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>

#include <unistd.h>

namespace Spool {

SingleInstance::SingleInstance(const QString &dataDir, QObject *parent) : QObject(parent)
{
    const QByteArray hash = QCryptographicHash::hash(QDir(dataDir).absolutePath().toUtf8(),
                                                     QCryptographicHash::Sha256).toHex().left(16);
    m_name = QStringLiteral("spool-%1-%2").arg(::getuid()).arg(QString::fromLatin1(hash));
}

bool SingleInstance::notifyRunning()
{
    QLocalSocket socket;
    socket.connectToServer(m_name);
    if (!socket.waitForConnected(300))
        return false;
    socket.write("raise\n");
    socket.waitForBytesWritten(300);
    socket.waitForReadyRead(300); // the answer is a courtesy; the request is what matters
    return true;
}

bool SingleInstance::listen()
{
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    if (!m_server->listen(m_name)) {
        // A socket left by a crashed instance: nobody answered notifyRunning(), so reclaim it.
        QLocalServer::removeServer(m_name);
        if (!m_server->listen(m_name))
            return false;
    }
    connect(m_server, &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket *client = m_server->nextPendingConnection()) {
            connect(client, &QLocalSocket::readyRead, this, [this, client] {
                if (client->readAll().startsWith("raise")) {
                    client->write("ok\n");
                    emit raiseRequested();
                }
            });
            connect(client, &QLocalSocket::disconnected, client, &QObject::deleteLater);
        }
    });
    return true;
}

} // namespace Spool
