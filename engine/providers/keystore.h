#pragma once

#include "core/result.h"
#include "providers/keychainmodule.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>

namespace Spool {

// Where API keys live (SPEC §5). Keys go to the OS keychain through QtKeychain (Secret Service,
// KWallet, macOS Keychain, Windows Credential Manager), in a module loaded on first use
// (KeychainModule). Where no keychain service runs (a
// server, a container, a desktop without a Secret Service), they go to a JSON file in the
// config folder that only the user can read (0600 in a 0700 folder), and usingFallbackFile()
// turns true so the UI can warn that the key is stored unencrypted.
//
// Key references: "env:NAME" reads the environment variable NAME (read-only); anything else
// names an entry. Operations are asynchronous, as keychains may ask the user; callbacks run
// on the KeyStore's thread, and not at all once `context` is gone. Lives on the engine thread.
class KeyStore : public QObject
{
    Q_OBJECT
public:
    enum class Backend {
        Auto,     // the keychain, or the file when no keychain service answers
        Keychain, // the keychain only
        File,     // the file only (tests; SPOOL_KEYSTORE=file)
    };

    using ReadCallback = std::function<void(const Result<QString> &key)>;
    using DoneCallback = std::function<void(const Status &status)>;

    // `configDir` holds the fallback file. SPOOL_KEYSTORE=file|keychain overrides Auto.
    explicit KeyStore(const QString &configDir, Backend backend = Backend::Auto,
                      QObject *parent = nullptr);
    ~KeyStore() override;

    static QString serviceName() { return QStringLiteral("Spool"); }
    static QString fallbackFileName() { return QStringLiteral("provider-keys.json"); }

    // Reads a key; a missing entry is an error with ErrorCode::NotFound. An empty reference
    // reads as an empty key (a provider that needs none).
    void read(const QString &ref, QObject *context, ReadCallback done);
    void write(const QString &ref, const QString &secret, QObject *context, DoneCallback done);
    void remove(const QString &ref, QObject *context, DoneCallback done);

    Backend backend() const { return m_backend; }
    bool usingFallbackFile() const { return m_usingFile; }
    QString fallbackReason() const { return m_fallbackReason; }
    QString fallbackFilePath() const;
    // Whether the fallback file holds a key under `ref` (without reading it out): where a key
    // is kept, for the settings page and `spool providers list`.
    bool inFallbackFile(const QString &ref) const;
    // A keychain that does not answer within this time counts as absent.
    void setKeychainTimeout(int ms) { m_keychainTimeoutMs = ms; }

signals:
    // The keychain is unavailable and keys now go to the file; `reason` says why.
    void fallbackActivated(const QString &reason);

private:
    void runKeychain(KeychainModule::Op op, const QString &ref, const QString &secret,
                     QObject *context, KeychainModule::Done done);
    void useFile(const QString &reason);
    Result<QString> fileRead(const QString &ref) const;
    Status fileWrite(const QString &ref, const std::optional<QString> &secret);

    QString m_configDir;
    Backend m_backend;
    bool m_usingFile = false;
    QString m_fallbackReason;
    int m_keychainTimeoutMs = 5000;
};

} // namespace Spool
