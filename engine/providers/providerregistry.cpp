#include "providers/providerregistry.h"

#include "providers/modelprovider.h"

namespace Spool {

ProviderRegistry::ProviderRegistry() = default;
ProviderRegistry::~ProviderRegistry() = default;

void ProviderRegistry::add(std::unique_ptr<ModelProvider> provider)
{
    const QString name = provider->name();
    m_providers[name] = std::move(provider);
}

void ProviderRegistry::remove(const QString &name)
{
    m_providers.erase(name);
}

Result<ModelProvider *> ProviderRegistry::get(const QString &name) const
{
    auto it = m_providers.find(name);
    if (it == m_providers.end())
        return makeError(ErrorCode::NotFound,
                         QStringLiteral("no provider named \"%1\" is configured").arg(name));
    return it->second.get();
}

QStringList ProviderRegistry::names() const
{
    QStringList out;
    for (const auto &[name, provider] : m_providers)
        out.append(name);
    return out;
}

} // namespace Spool
