#pragma once

#include "core/result.h"

#include <QStringList>

#include <map>
#include <memory>

namespace Spool {

class ModelProvider;

// The providers this process can talk to, by name. Lives on the engine thread.
class ProviderRegistry
{
public:
    ProviderRegistry();
    ~ProviderRegistry();

    void add(std::unique_ptr<ModelProvider> provider); // replaces one of the same name
    void remove(const QString &name);
    Result<ModelProvider *> get(const QString &name) const;
    QStringList names() const;

private:
    std::map<QString, std::unique_ptr<ModelProvider>> m_providers;
};

} // namespace Spool
