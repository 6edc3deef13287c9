#pragma once

#include "providers/chatmessage.h"

#include <QImage>
#include <QString>

namespace Spool {

// Makes an image ready to attach: scaled down so its longer edge is at most `maxEdge` pixels,
// and in a format every provider takes (PNG when it has transparency or was PNG, else JPEG).
// This needs QtGui, which the engine must not link: the window calls it directly, the command
// line through the small `spool-image` helper (so `spool` itself stays QtGui-free). Anything
// that is not an image passes through untouched.
class ImagePreparer
{
public:
    struct Outcome
    {
        QByteArray data;
        QString mime;       // empty when `data` is not an image this could read
        QSize original;
        QSize size;
        bool changed = false; // scaled or re-encoded
    };

    // From a file's bytes; uses the reader's scaled decoding, so a 4000x3000 JPEG is never
    // held at full size.
    static Outcome prepare(const QByteArray &data, int maxEdge);
    // From a picture (the clipboard): always encoded.
    static Outcome prepare(const QImage &image, int maxEdge);
    // An attachment of a file's bytes, images prepared; `name` keeps its stem, and takes the
    // new format's extension when the format changed.
    static Attachment attachment(const QString &name, const QByteArray &data, int maxEdge);
};

} // namespace Spool
