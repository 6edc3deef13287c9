// spool-image: prepares an image for `spool chat --attach` (scaled to the configured maximum,
// in a format models read), so that `spool` itself never loads QtGui.
//
//   spool-image MAX_EDGE IN OUT   writes the prepared bytes to OUT and prints
//                                 {"mime", "width", "height", "original_width",
//                                  "original_height", "changed"} on stdout.
#include "imagepreparer.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QTextStream>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    QTextStream err(stderr);
    if (args.size() != 4) {
        err << "usage: spool-image MAX_EDGE IN OUT\n";
        return 2;
    }
    QFile in(args.at(2));
    if (!in.open(QIODevice::ReadOnly)) {
        err << "spool-image: cannot read " << args.at(2) << ": " << in.errorString() << '\n';
        return 1;
    }
    const Spool::ImagePreparer::Outcome o = Spool::ImagePreparer::prepare(in.readAll(), args.at(1).toInt());
    QSaveFile out(args.at(3));
    if (!out.open(QIODevice::WriteOnly) || out.write(o.data) != o.data.size() || !out.commit()) {
        err << "spool-image: cannot write " << args.at(3) << ": " << out.errorString() << '\n';
        return 1;
    }
    QTextStream(stdout) << QJsonDocument(QJsonObject{{QStringLiteral("mime"), o.mime},
                                                     {QStringLiteral("width"), o.size.width()},
                                                     {QStringLiteral("height"), o.size.height()},
                                                     {QStringLiteral("original_width"), o.original.width()},
                                                     {QStringLiteral("original_height"), o.original.height()},
                                                     {QStringLiteral("changed"), o.changed}})
                                   .toJson(QJsonDocument::Compact)
                        << '\n';
    return 0;
}
