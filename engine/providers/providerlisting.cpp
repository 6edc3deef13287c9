#include "providers/providerlisting.h"

namespace Spool {

QString ProviderListing::Entry::kindName() const
{
    return builtIn ? QStringLiteral("deterministic") : config.kindName();
}

QJsonObject ProviderListing::Entry::toJson() const
{
    if (builtIn) {
        return QJsonObject{{QStringLiteral("name"), config.name},
                           {QStringLiteral("kind"), kindName()},
                           {QStringLiteral("default_model"), config.defaultModel},
                           {QStringLiteral("key_storage"), keyStorage},
                           {QStringLiteral("built_in"), true}};
    }
    QJsonObject o = config.toJson();
    o.insert(QStringLiteral("key_storage"), keyStorage);
    o.insert(QStringLiteral("built_in"), false);
    return o;
}

QStringList ProviderListing::names() const
{
    QStringList out;
    for (const Entry &e : providers)
        out.append(e.config.name);
    return out;
}

const ProviderListing::Entry *ProviderListing::find(const QString &name) const
{
    for (const Entry &e : providers) {
        if (e.config.name == name)
            return &e;
    }
    return nullptr;
}

QJsonArray ProviderListing::toJson() const
{
    QJsonArray out;
    for (const Entry &e : providers)
        out.append(e.toJson());
    return out;
}

} // namespace Spool
