#include "providers/contextwindow.h"

#include "providers/modelprovider.h"

#include <QList>
#include <QPair>

namespace Spool {

int ContextWindow::forModel(const QString &providerKind, const QString &model)
{
    if (providerKind == QLatin1String("deterministic"))
        return 128000;
    const QString m = model.toLower();
    // Longest prefix first where prefixes overlap (gpt-4o before gpt-4).
    static const QList<QPair<QLatin1String, int>> known{
            {QLatin1String("gpt-4.1"), 1047576}, {QLatin1String("gpt-5"), 400000},
            {QLatin1String("gpt-4o"), 128000},   {QLatin1String("gpt-4-turbo"), 128000},
            {QLatin1String("gpt-4"), 8192},      {QLatin1String("gpt-3.5-turbo"), 16385},
            {QLatin1String("o1"), 200000},       {QLatin1String("o3"), 200000},
            {QLatin1String("o4"), 200000},       {QLatin1String("claude"), 200000},
            {QLatin1String("llama3.1"), 131072}, {QLatin1String("llama3.2"), 131072},
            {QLatin1String("llama3.3"), 131072}, {QLatin1String("llama3"), 8192},
            {QLatin1String("qwen2.5"), 32768},   {QLatin1String("qwen3"), 32768},
            {QLatin1String("mistral"), 32768},   {QLatin1String("gemma"), 8192},
            {QLatin1String("phi"), 4096},
    };
    for (const auto &[prefix, window] : known) {
        if (m.startsWith(prefix))
            return window;
    }
    if (providerKind == QLatin1String("anthropic"))
        return 200000;
    return kUnknown;
}

int ModelProvider::contextWindow(const QString &model) const
{
    return ContextWindow::forModel(kind(), model.isEmpty() ? defaultModel() : model);
}

} // namespace Spool
