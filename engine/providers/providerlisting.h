#pragma once

#include "providers/providerconfig.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QStringList>

namespace Spool {

// The providers a user can pick, as the settings page and `spool providers list` show them:
// the built-in deterministic one, then the configured ones with where each one's key is kept.
// Never carries a key.
struct ProviderListing
{
    struct Entry
    {
        ProviderConfig config;
        bool builtIn = false;  // the deterministic provider: no URL, no key, not removable
        // "none" (no key needed), "environment" (read from config.keyRef's variable),
        // "keychain", "file" (the fallback file, unencrypted) or "missing" (the keychain is
        // not available and the file has no key under config.keyRef).
        QString keyStorage;

        QString kindName() const;
        QJsonObject toJson() const;
    };

    QList<Entry> providers;
    QStringList warnings;     // configured entries that cannot be used, one sentence each
    bool keysInFile = false;  // keys are (or now go) to the fallback file: warn the user
    QString keyFileReason;
    QString keyFilePath;

    QStringList names() const;
    const Entry *find(const QString &name) const;
    QJsonArray toJson() const;
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::ProviderListing)
