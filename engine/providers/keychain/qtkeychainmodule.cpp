// spool-keychain.so: KeychainModule on QtKeychain (Secret Service or KWallet here; the
// platform's keychain elsewhere). Loaded by KeyStore on first use.
#include "providers/keychainmodule.h"

#include <QObject>

#include <qt6keychain/keychain.h>

namespace Spool {
namespace {

class QtKeychainModule final : public KeychainModule
{
public:
    void start(Op op, const QString &service, const QString &key, const QString &secret,
               QObject *context, Done done) override
    {
        QKeychain::Job *job = nullptr;
        switch (op) {
        case Op::Read: job = new QKeychain::ReadPasswordJob(service); break;
        case Op::Write: {
            auto *write = new QKeychain::WritePasswordJob(service);
            write->setTextData(secret);
            job = write;
            break;
        }
        case Op::Remove: job = new QKeychain::DeletePasswordJob(service); break;
        }
        job->setKey(key);
        job->setAutoDelete(true);
        QObject::connect(job, &QKeychain::Job::finished, context, [done](QKeychain::Job *j) {
            Answer answer;
            switch (j->error()) {
            case QKeychain::NoError: answer.outcome = Outcome::Done; break;
            case QKeychain::EntryNotFound: answer.outcome = Outcome::NotFound; break;
            case QKeychain::AccessDeniedByUser: answer.outcome = Outcome::Refused; break;
            default: answer.outcome = Outcome::Failed; break;
            }
            answer.errorString = j->errorString();
            if (auto *read = qobject_cast<QKeychain::ReadPasswordJob *>(j))
                answer.data = read->textData();
            done(answer);
        });
        job->start();
    }
};

} // namespace
} // namespace Spool

extern "C" Q_DECL_EXPORT Spool::KeychainModule *spool_keychain_module(int interfaceVersion)
{
    if (interfaceVersion != Spool::KeychainModule::kInterfaceVersion)
        return nullptr;
    static Spool::QtKeychainModule module;
    return &module;
}
