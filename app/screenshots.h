#pragma once

#include <QString>

namespace Spool {

class EngineClient;
class MainWindow;

// Drives the window through its main views and saves a PNG of each into `dir`, then quits.
// Used by scripts/screenshots (under xvfb-run) on demo data, for docs/screenshots.
void takeScreenshots(MainWindow &window, EngineClient &engine, const QString &dir);

} // namespace Spool
