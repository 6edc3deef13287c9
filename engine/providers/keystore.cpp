#include "providers/keystore.h"

#include "core/datapaths.h"
#include "core/logging.h"
#include "providers/providerconfig.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QTimer>

#include <qt6keychain/keychain.h>

namespace Spool {

namespace {

// Calls `fn` later on the event loop, unless `context` is gone by then: callers get the same
// asynchronous contract whichever backend answers.
void later(QObject *context, std::function<void()> fn)
{
    QTimer::singleShot(0, context, std::move(fn));
}

} // namespace

KeyStore::KeyStore(const QString &configDir, Backend backend, QObject *parent)
    : QObject(parent), m_configDir(configDir), m_backend(backend)
{
    const QByteArray forced = qgetenv("SPOOL_KEYSTORE").trimmed().toLower();
    if (m_backend == Backend::Auto && forced == "file")
        m_backend = Backend::File;
    else if (m_backend == Backend::Auto && forced == "keychain")
        m_backend = Backend::Keychain;
    if (m_backend == Backend::File) {
        m_usingFile = true;
        m_fallbackReason = QStringLiteral("keys are configured to be kept in a file");
    }
}

KeyStore::~KeyStore() = default;

QString KeyStore::fallbackFilePath() const
{
    return QDir(m_configDir).filePath(fallbackFileName());
}

void KeyStore::useFile(const QString &reason)
{
    if (m_usingFile)
        return;
    m_usingFile = true;
    m_fallbackReason = reason;
    qCWarning(lcProviders).noquote()
            << QStringLiteral("no keychain service is available (%1); API keys are kept in %2, "
                              "readable only by this user")
                       .arg(reason, fallbackFilePath());
    emit fallbackActivated(reason);
}

void KeyStore::runKeychain(Op op, const QString &ref, const QString &secret, QObject *context,
                           std::function<void(int, const QString &, const QString &)> done)
{
    QKeychain::Job *job = nullptr;
    switch (op) {
    case Op::Read: job = new QKeychain::ReadPasswordJob(serviceName()); break;
    case Op::Write: {
        auto *w = new QKeychain::WritePasswordJob(serviceName());
        w->setTextData(secret);
        job = w;
        break;
    }
    case Op::Remove: job = new QKeychain::DeletePasswordJob(serviceName()); break;
    }
    job->setKey(ref);
    job->setAutoDelete(true);
    // One answer only: the job's, or the timeout's if the keychain hangs (a Secret Service
    // waiting for a D-Bus activation that never comes).
    auto answered = std::make_shared<bool>(false);
    auto *timer = new QTimer(context);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, context, [answered, done, timer] {
        timer->deleteLater();
        if (std::exchange(*answered, true))
            return;
        done(int(QKeychain::NoBackendAvailable), QStringLiteral("the keychain did not answer"),
             QString());
    });
    connect(job, &QKeychain::Job::finished, context, [answered, done, timer](QKeychain::Job *j) {
        timer->stop();
        timer->deleteLater();
        if (std::exchange(*answered, true))
            return;
        QString data;
        if (auto *r = qobject_cast<QKeychain::ReadPasswordJob *>(j))
            data = r->textData();
        done(int(j->error()), j->errorString(), data);
    });
    timer->start(m_keychainTimeoutMs);
    job->start();
}

void KeyStore::read(const QString &ref, QObject *context, ReadCallback done)
{
    if (!context)
        context = this;
    if (ref.isEmpty()) {
        later(context, [done] { done(QString()); });
        return;
    }
    if (ProviderConfig::isEnvironmentRef(ref)) {
        const QString var = ref.mid(4);
        const QString value = qEnvironmentVariable(var.toLocal8Bit().constData());
        later(context, [done, var, value] {
            if (value.isEmpty())
                done(makeError(ErrorCode::NotFound,
                               QStringLiteral("The environment variable %1 is not set.").arg(var)));
            else
                done(value);
        });
        return;
    }
    if (m_usingFile) {
        const Result<QString> r = fileRead(ref);
        later(context, [done, r] { done(r); });
        return;
    }
    QPointer<KeyStore> self(this);
    runKeychain(Op::Read, ref, QString(), context,
                [self, ref, done](int error, const QString &errorString, const QString &data) {
                    if (!self)
                        return;
                    if (error == QKeychain::NoError) {
                        done(data);
                        return;
                    }
                    if (error == QKeychain::EntryNotFound) {
                        // A key written while the keychain was away is still in the file.
                        const Result<QString> r = self->fileRead(ref);
                        done(r ? r : Result<QString>(makeError(
                                             ErrorCode::NotFound,
                                             QStringLiteral("No API key is stored under \"%1\".").arg(ref))));
                        return;
                    }
                    if (error == QKeychain::AccessDeniedByUser || self->m_backend == Backend::Keychain) {
                        done(makeError(ErrorCode::Conflict,
                                       QStringLiteral("The keychain refused to give the key: %1")
                                               .arg(errorString)));
                        return;
                    }
                    self->useFile(errorString);
                    done(self->fileRead(ref));
                });
}

void KeyStore::write(const QString &ref, const QString &secret, QObject *context, DoneCallback done)
{
    if (!context)
        context = this;
    if (ref.isEmpty() || ProviderConfig::isEnvironmentRef(ref)) {
        later(context, [done, ref] {
            done(makeError(ErrorCode::InvalidArgument,
                           ref.isEmpty() ? QStringLiteral("The key needs a name to be stored under.")
                                         : QStringLiteral("A key read from the environment cannot be "
                                                          "stored; set %1 instead.")
                                                   .arg(ref.mid(4))));
        });
        return;
    }
    if (m_usingFile) {
        const Status s = fileWrite(ref, secret);
        later(context, [done, s] { done(s); });
        return;
    }
    QPointer<KeyStore> self(this);
    runKeychain(Op::Write, ref, secret, context,
                [self, ref, secret, done](int error, const QString &errorString, const QString &) {
                    if (!self)
                        return;
                    if (error == QKeychain::NoError) {
                        (void)self->fileWrite(ref, std::nullopt); // no stale copy in the file
                        done({});
                        return;
                    }
                    if (error == QKeychain::AccessDeniedByUser || self->m_backend == Backend::Keychain) {
                        done(makeError(ErrorCode::Conflict,
                                       QStringLiteral("The keychain refused to store the key: %1")
                                               .arg(errorString)));
                        return;
                    }
                    self->useFile(errorString);
                    done(self->fileWrite(ref, secret));
                });
}

void KeyStore::remove(const QString &ref, QObject *context, DoneCallback done)
{
    if (!context)
        context = this;
    if (ref.isEmpty() || ProviderConfig::isEnvironmentRef(ref)) {
        later(context, [done] { done({}); });
        return;
    }
    // The file is cleaned whatever the keychain says, so a removed key is gone everywhere.
    const Status fileStatus = fileWrite(ref, std::nullopt);
    if (m_usingFile) {
        later(context, [done, fileStatus] { done(fileStatus); });
        return;
    }
    QPointer<KeyStore> self(this);
    runKeychain(Op::Remove, ref, QString(), context,
                [self, done, fileStatus](int error, const QString &errorString, const QString &) {
                    if (!self)
                        return;
                    if (error == QKeychain::NoError || error == QKeychain::EntryNotFound) {
                        done(fileStatus);
                        return;
                    }
                    if (error == QKeychain::AccessDeniedByUser || self->m_backend == Backend::Keychain) {
                        done(makeError(ErrorCode::Conflict,
                                       QStringLiteral("The keychain refused to remove the key: %1")
                                               .arg(errorString)));
                        return;
                    }
                    self->useFile(errorString);
                    done(fileStatus);
                });
}

bool KeyStore::inFallbackFile(const QString &ref) const
{
    if (ref.isEmpty() || ProviderConfig::isEnvironmentRef(ref))
        return false;
    return bool(fileRead(ref));
}

Result<QString> KeyStore::fileRead(const QString &ref) const
{
    QFile f(fallbackFilePath());
    if (!f.exists())
        return makeError(ErrorCode::NotFound, QStringLiteral("No API key is stored under \"%1\".").arg(ref));
    // A file others can read is tightened, not trusted as it is.
    const auto wanted = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
    if ((f.permissions() & ~(wanted | QFileDevice::ReadUser | QFileDevice::WriteUser)) != 0) {
        qCWarning(lcProviders).noquote() << f.fileName() << "was readable by others; made private";
        f.setPermissions(wanted);
    }
    if (!f.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Storage,
                         QStringLiteral("Cannot read %1: %2").arg(f.fileName(), f.errorString()));
    const QJsonObject keys = QJsonDocument::fromJson(f.readAll()).object();
    const QJsonValue v = keys.value(ref);
    if (!v.isString())
        return makeError(ErrorCode::NotFound, QStringLiteral("No API key is stored under \"%1\".").arg(ref));
    return v.toString();
}

Status KeyStore::fileWrite(const QString &ref, const std::optional<QString> &secret)
{
    const QString path = fallbackFilePath();
    QJsonObject keys;
    {
        QFile f(path);
        if (f.exists()) {
            if (!f.open(QIODevice::ReadOnly))
                return makeError(ErrorCode::Storage,
                                 QStringLiteral("Cannot read %1: %2").arg(path, f.errorString()));
            keys = QJsonDocument::fromJson(f.readAll()).object();
        } else if (!secret) {
            return {};
        }
    }
    if (secret)
        keys.insert(ref, *secret);
    else if (!keys.contains(ref))
        return {};
    else
        keys.remove(ref);
    if (Status dir = DataPaths::ensurePrivateDir(m_configDir); !dir)
        return dir;
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly))
        return makeError(ErrorCode::Storage,
                         QStringLiteral("Cannot write %1: %2").arg(path, out.errorString()));
    // Private before a single byte is written: the temporary file is renamed over the old one.
    if (!out.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        out.cancelWriting();
        return makeError(ErrorCode::Storage,
                         QStringLiteral("Cannot make %1 private to this user.").arg(path));
    }
    out.write(QJsonDocument(keys).toJson(QJsonDocument::Indented));
    if (!out.commit())
        return makeError(ErrorCode::Storage,
                         QStringLiteral("Cannot write %1: %2").arg(path, out.errorString()));
    return {};
}

} // namespace Spool
