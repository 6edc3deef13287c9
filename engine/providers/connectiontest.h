#pragma once

#include "providers/providertypes.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QStringList>

#include <optional>

namespace Spool {

// What "test connection" found: it works (with the models the server lists), or why not, in
// the error classes the user sees everywhere else.
struct ConnectionTest
{
    QString provider;
    bool ok = false;
    std::optional<ProviderError> error;
    QStringList models;
    qint64 latencyMs = 0;
    QString checked; // what was tried: "models" or "chat"

    // One sentence for the settings page or the CLI.
    QString summary() const
    {
        if (ok) {
            return models.isEmpty()
                    ? QStringLiteral("%1 works (answered in %2 ms).").arg(provider).arg(latencyMs)
                    : QStringLiteral("%1 works: %2 model%3 available (answered in %4 ms).")
                              .arg(provider)
                              .arg(models.size())
                              .arg(models.size() == 1 ? QString() : QStringLiteral("s"))
                              .arg(latencyMs);
        }
        const ProviderError e = error.value_or(ProviderError{});
        return QStringLiteral("%1 does not work: %2 %3")
                .arg(provider, providerErrorClassDescription(e.errorClass), e.message);
    }

    QJsonObject toJson() const
    {
        QJsonObject o{{QStringLiteral("provider"), provider},
                      {QStringLiteral("ok"), ok},
                      {QStringLiteral("summary"), summary()},
                      {QStringLiteral("latency_ms"), latencyMs},
                      {QStringLiteral("checked"), checked},
                      {QStringLiteral("models"), QJsonArray::fromStringList(models)}};
        if (error)
            o.insert(QStringLiteral("error"), error->toJson());
        return o;
    }
};

} // namespace Spool

Q_DECLARE_METATYPE(Spool::ConnectionTest)
