#include "apptheme.h"

#include <QApplication>
#include <QPalette>
#include <QStyle>
#include <QStyleFactory>

namespace Spool {

namespace {

QString g_current = QStringLiteral("system");
QPalette g_systemPalette;
QString g_systemStyle;
bool g_captured = false;

QPalette darkPalette()
{
    QPalette p;
    const QColor window(0x20, 0x22, 0x26);
    const QColor base(0x18, 0x1a, 0x1d);
    const QColor text(0xe6, 0xe8, 0xeb);
    const QColor disabled(0x7a, 0x80, 0x88);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(0x23, 0x26, 0x2b));
    p.setColor(QPalette::ToolTipBase, QColor(0x2b, 0x2e, 0x33));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::PlaceholderText, QColor(0x8b, 0x91, 0x99));
    p.setColor(QPalette::Button, QColor(0x2b, 0x2e, 0x33));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(0xff, 0x6b, 0x6b));
    p.setColor(QPalette::Link, QColor(0x6c, 0xa9, 0xff));
    p.setColor(QPalette::Highlight, QColor(0x3d, 0x7b, 0xe0));
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Mid, QColor(0x3a, 0x3e, 0x45));
    p.setColor(QPalette::Dark, QColor(0x12, 0x13, 0x15));
    p.setColor(QPalette::Light, QColor(0x3a, 0x3e, 0x45));
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabled);
    return p;
}

QPalette lightPalette()
{
    QPalette p = QStyleFactory::create(QStringLiteral("Fusion"))->standardPalette();
    p.setColor(QPalette::Highlight, QColor(0x2f, 0x6f, 0xde));
    p.setColor(QPalette::Link, QColor(0x1d, 0x5b, 0xc8));
    return p;
}

} // namespace

void AppTheme::apply(const QString &name)
{
    if (!g_captured) {
        g_systemPalette = QApplication::palette();
        g_systemStyle = QApplication::style()->name();
        g_captured = true;
    }
    g_current = names().contains(name) ? name : QStringLiteral("system");
    if (g_current == QLatin1String("system")) {
        if (!g_systemStyle.isEmpty())
            QApplication::setStyle(g_systemStyle);
        QApplication::setPalette(g_systemPalette);
        return;
    }
    QApplication::setStyle(QStringLiteral("Fusion"));
    QApplication::setPalette(g_current == QLatin1String("dark") ? darkPalette() : lightPalette());
}

QString AppTheme::current()
{
    return g_current;
}

bool AppTheme::isDark()
{
    return QApplication::palette().color(QPalette::Window).lightness() < 128;
}

} // namespace Spool
