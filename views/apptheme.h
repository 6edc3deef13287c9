#pragma once

#include <QString>
#include <QStringList>

class QApplication;

namespace Spool {

// Light, dark, or whatever the desktop uses. "system" keeps the platform's palette (Qt follows
// the desktop's light or dark scheme through it); light and dark use Fusion with our palettes.
class AppTheme
{
public:
    static QStringList names() { return {QStringLiteral("system"), QStringLiteral("light"), QStringLiteral("dark")}; }
    static void apply(const QString &name);
    static QString current();
    static bool isDark();
};

} // namespace Spool
