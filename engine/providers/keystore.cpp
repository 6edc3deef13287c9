#include "providers/keystore.h"

#include "core/datapaths.h"
#include "core/logging.h"
#include "providers/providerconfig.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QTimer>

#include <QCoreApplication>
#include <QLibrary>

namespace Spool {

namespace {

// Calls `fn` later on the event loop, unless `context` is gone by then: callers get the same
// asynchronous contract whichever backend answers.
void later(QObject *context, std::function<void()> fn)
{
    QTimer::singleShot(0, context, std::move(fn));
}

// The keychain module, loaded once per process. It is looked for in SPOOL_MODULE_DIR when set
// (tests), beside the executable (the build tree, and the window's folder once installed),
// then where an installed `spool` keeps its helpers.
Result<KeychainModule *> keychainModule()
{
    static const Result<KeychainModule *> loaded = []() -> Result<KeychainModule *> {
        const QString name = QStringLiteral("spool-keychain.so");
        const QDir self(QCoreApplication::applicationDirPath());
        QStringList candidates;
        if (const QString dir = qEnvironmentVariable("SPOOL_MODULE_DIR"); !dir.isEmpty())
            candidates << QDir(dir).filePath(name);
        candidates << self.filePath(name)
                   << QDir::cleanPath(self.filePath(QStringLiteral(SPOOL_HELPERS_FROM_BIN "/") + name));
        candidates.removeDuplicates();
        for (const QString &path : std::as_const(candidates)) {
            if (!QFileInfo::exists(path))
                continue;
            QLibrary library(path);
            const auto entry = reinterpret_cast<KeychainModule::EntryPoint>(
                    library.resolve("spool_keychain_module"));
            if (!entry)
                return makeError(ErrorCode::Internal, QStringLiteral("cannot load the keychain module: %1")
                                                              .arg(library.errorString()));
            if (KeychainModule *module = entry(KeychainModule::kInterfaceVersion))
                return module;
            return makeError(ErrorCode::Internal,
                             QStringLiteral("the keychain module %1 belongs to another version of "
                                            "Spool").arg(path));
        }
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("the keychain module is not installed (looked for %1)")
                                 .arg(candidates.join(QStringLiteral(", "))));
    }();
    return loaded;
}

// Why the keychain did not do what it was asked, when there is no falling back to the file.
Error keychainError(const KeychainModule::Answer &answer, const QString &verb)
{
    const QString message = answer.outcome == KeychainModule::Outcome::Refused
            ? QStringLiteral("The keychain refused to %1 the key: %2")
            : QStringLiteral("The keychain cannot %1 the key: %2");
    return {ErrorCode::Conflict, message.arg(verb, answer.errorString)};
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

void KeyStore::runKeychain(KeychainModule::Op op, const QString &ref, const QString &secret,
                           QObject *context, KeychainModule::Done done)
{
    const Result<KeychainModule *> module = keychainModule();
    if (!module) {
        const QString reason = module.errorMessage();
        later(context, [done, reason] { done({KeychainModule::Outcome::Failed, reason, {}}); });
        return;
    }
    // One answer only: the keychain's, or the timeout's if it hangs (a Secret Service waiting
    // for a D-Bus activation that never comes).
    auto answered = std::make_shared<bool>(false);
    auto *timer = new QTimer(context);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, context, [answered, done, timer] {
        timer->deleteLater();
        if (std::exchange(*answered, true))
            return;
        done({KeychainModule::Outcome::Failed, QStringLiteral("the keychain did not answer"), {}});
    });
    timer->start(m_keychainTimeoutMs);
    (*module)->start(op, serviceName(), ref, secret, context,
                     [answered, done, timer](const KeychainModule::Answer &answer) {
                         timer->stop();
                         timer->deleteLater();
                         if (!std::exchange(*answered, true))
                             done(answer);
                     });
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
    runKeychain(KeychainModule::Op::Read, ref, QString(), context,
                [self, ref, done](const KeychainModule::Answer &answer) {
                    if (!self)
                        return;
                    if (answer.outcome == KeychainModule::Outcome::Done) {
                        done(answer.data);
                        return;
                    }
                    if (answer.outcome == KeychainModule::Outcome::NotFound) {
                        // A key written while the keychain was away is still in the file.
                        const Result<QString> r = self->fileRead(ref);
                        done(r ? r : Result<QString>(makeError(
                                             ErrorCode::NotFound,
                                             QStringLiteral("No API key is stored under \"%1\".").arg(ref))));
                        return;
                    }
                    if (answer.outcome == KeychainModule::Outcome::Refused
                        || self->m_backend == Backend::Keychain) {
                        done(keychainError(answer, QStringLiteral("give")));
                        return;
                    }
                    self->useFile(answer.errorString);
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
    runKeychain(KeychainModule::Op::Write, ref, secret, context,
                [self, ref, secret, done](const KeychainModule::Answer &answer) {
                    if (!self)
                        return;
                    if (answer.outcome == KeychainModule::Outcome::Done) {
                        (void)self->fileWrite(ref, std::nullopt); // no stale copy in the file
                        done({});
                        return;
                    }
                    if (answer.outcome == KeychainModule::Outcome::Refused
                        || self->m_backend == Backend::Keychain) {
                        done(keychainError(answer, QStringLiteral("store")));
                        return;
                    }
                    self->useFile(answer.errorString);
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
    runKeychain(KeychainModule::Op::Remove, ref, QString(), context,
                [self, done, fileStatus](const KeychainModule::Answer &answer) {
                    if (!self)
                        return;
                    if (answer.outcome == KeychainModule::Outcome::Done
                        || answer.outcome == KeychainModule::Outcome::NotFound) {
                        done(fileStatus);
                        return;
                    }
                    if (answer.outcome == KeychainModule::Outcome::Refused
                        || self->m_backend == Backend::Keychain) {
                        done(keychainError(answer, QStringLiteral("remove")));
                        return;
                    }
                    self->useFile(answer.errorString);
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
