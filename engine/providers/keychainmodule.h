#pragma once

#include <QString>

#include <functional>

class QObject;

namespace Spool {

// The OS keychain as KeyStore reaches it: a module of its own (spool-keychain.so, built on
// QtKeychain), loaded the first time a key is read or written. The keychain brings QtDBus and
// eight more libraries; a command that never touches a key does not load them.
//
// The module is built from this source tree with the same compiler and Qt, so the interface
// is plain C++. Its one exported function is `spool_keychain_module`, of type EntryPoint; it
// answers nullptr when asked for another interface version.
class KeychainModule
{
public:
    static constexpr int kInterfaceVersion = 1;
    using EntryPoint = KeychainModule *(*)(int interfaceVersion);

    enum class Op { Read, Write, Remove };
    enum class Outcome {
        Done,
        NotFound, // no entry under the key
        Refused,  // the user (or the keychain's policy) said no
        Failed,   // no keychain service, or it failed: errorString says which
    };
    struct Answer
    {
        Outcome outcome = Outcome::Failed;
        QString errorString;
        QString data; // what Read found
    };
    using Done = std::function<void(const Answer &answer)>;

    virtual ~KeychainModule() = default;

    // Starts one operation on the entry `key` of `service`. `done` runs once, on `context`'s
    // thread, and not at all once `context` is gone.
    virtual void start(Op op, const QString &service, const QString &key, const QString &secret,
                       QObject *context, Done done) = 0;
};

} // namespace Spool
