#pragma once

#include "providers/providertypes.h"

#include <QJsonObject>
#include <QObject>
#include <QStringList>

namespace Spool {

// One in-flight provider call, living on the engine thread. It emits textDelta while the reply
// streams, retrying() for each failed attempt the retry layer will repeat, then exactly one of
// finished() or failed(). abort() stops it at once and emits nothing more.
class ProviderCall : public QObject
{
    Q_OBJECT
public:
    using QObject::QObject;
    virtual void abort() = 0;

signals:
    void textDelta(const QString &text);
    void retrying(const Spool::ProviderError &error);
    void finished(const Spool::ProviderResponse &response);
    void failed(const Spool::ProviderError &error);
};

// A source of model replies: the embedded deterministic one, OpenAI-compatible servers,
// Anthropic. Implementations are created and used on the engine thread.
class ModelProvider
{
public:
    virtual ~ModelProvider() = default;

    virtual QString name() const = 0; // the name agents refer to
    virtual QString kind() const = 0; // "deterministic", "openai", "anthropic"
    virtual QString defaultModel() const = 0;
    // Starts a call; the returned object is parented to `parent`.
    virtual ProviderCall *send(const ProviderRequest &request, QObject *parent) = 0;
    // Tokens `model` takes in one request: the provider's setting, else what is known of the
    // model (ContextWindow).
    virtual int contextWindow(const QString &model) const;
    // What the `provider.request` tape event records of `request`: what is sent for it.
    virtual QJsonObject requestSnapshot(const ProviderRequest &request) const
    {
        return request.toJson();
    }
};

} // namespace Spool
