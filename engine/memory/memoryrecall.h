#pragma once

#include "memory/memoryhit.h"

#include <QJsonArray>
#include <QList>
#include <QString>

namespace Spool {

// What memory gives one run at its start: the hits that fit the memory token budget and the
// fenced block of reference data made of them (empty when nothing was relevant).
struct MemoryRecall
{
    QList<MemoryHit> hits;
    QString block;
    int tokens = 0;
    QString mode = QStringLiteral("off"); // "hybrid", "lexical", or "off" (memory disabled)
    QString note;                         // why lexical, or what failed

    // `memory_hits` of the `context` tape event.
    QJsonArray hitsJson() const;
};

} // namespace Spool
