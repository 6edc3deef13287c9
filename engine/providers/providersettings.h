#pragma once

#include "core/result.h"
#include "providers/providerconfig.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace Spool {

// The configured providers, kept in `spool.conf` (QSettings, INI) under
// `model_providers/<name>/...`. Every call opens the file afresh, so the GUI and a CLI next to
// it see each other's changes.
class ProviderSettings
{
public:
    explicit ProviderSettings(const QString &settingsPath);

    QString path() const { return m_path; }
    // Every stored provider; entries that do not validate are skipped with a warning each.
    QList<ProviderConfig> load(QStringList *warnings = nullptr) const;
    Result<ProviderConfig> find(const QString &name) const;
    Status save(const ProviderConfig &config); // adds or replaces
    Status remove(const QString &name);

private:
    QString m_path;
};

} // namespace Spool
