#include "imagepreparer.h"

#include <QBuffer>
#include <QFileInfo>
#include <QImageReader>
#include <QImageWriter>

namespace Spool {

namespace {

QSize bounded(QSize size, int maxEdge)
{
    if (maxEdge <= 0 || (size.width() <= maxEdge && size.height() <= maxEdge))
        return size;
    return size.scaled(maxEdge, maxEdge, Qt::KeepAspectRatio);
}

QByteArray encode(const QImage &image, const char *format, int quality)
{
    QByteArray out;
    QBuffer buffer(&out);
    buffer.open(QIODevice::WriteOnly);
    QImageWriter writer(&buffer, format);
    writer.setQuality(quality);
    if (!writer.write(image))
        return {};
    return out;
}

} // namespace

ImagePreparer::Outcome ImagePreparer::prepare(const QImage &image, int maxEdge)
{
    Outcome o;
    if (image.isNull())
        return o;
    o.original = image.size();
    const QSize target = bounded(image.size(), maxEdge);
    const QImage scaled = target == image.size()
            ? image
            : image.scaled(target, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    o.size = scaled.size();
    if (scaled.hasAlphaChannel()) {
        o.data = encode(scaled, "png", -1);
        o.mime = QStringLiteral("image/png");
    } else {
        o.data = encode(scaled, "jpeg", 88);
        o.mime = QStringLiteral("image/jpeg");
    }
    o.changed = true;
    if (o.data.isEmpty())
        o.mime.clear();
    return o;
}

ImagePreparer::Outcome ImagePreparer::prepare(const QByteArray &data, int maxEdge)
{
    Outcome o;
    o.data = data;
    QByteArray copy = data;
    QBuffer buffer(&copy);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer);
    const QByteArray format = reader.format();
    const QSize size = reader.size();
    if (format.isEmpty() || !size.isValid())
        return o; // not an image this can read: left as it is
    o.original = size;
    o.size = size;
    static const QList<QByteArray> sendable{"png", "jpeg", "jpg", "gif", "webp"};
    const QSize target = bounded(size, maxEdge);
    if (target == size && sendable.contains(format)) {
        o.mime = format == "png" ? QStringLiteral("image/png")
                : format == "gif" ? QStringLiteral("image/gif")
                : format == "webp" ? QStringLiteral("image/webp")
                                   : QStringLiteral("image/jpeg");
        return o; // small enough, in a format models read
    }
    // Decoded straight to the smaller size where the format allows (JPEG does).
    reader.setScaledSize(target);
    reader.setAutoTransform(true);
    QImage image = reader.read();
    if (image.isNull())
        return o;
    Outcome scaled = prepare(image, maxEdge);
    scaled.original = size;
    if (format == "png" && scaled.mime == QLatin1String("image/jpeg")) {
        // A PNG stays a PNG (screenshots: sharp text compresses better so).
        scaled.data = encode(image, "png", -1);
        scaled.mime = QStringLiteral("image/png");
    }
    return scaled.data.isEmpty() ? o : scaled;
}

Attachment ImagePreparer::attachment(const QString &name, const QByteArray &data, int maxEdge)
{
    Attachment a;
    a.name = name;
    const Outcome o = prepare(data, maxEdge);
    a.data = o.data;
    if (!o.mime.isEmpty()) {
        a.mime = o.mime;
        const QString ext = o.mime == QLatin1String("image/png") ? QStringLiteral("png")
                : o.mime == QLatin1String("image/jpeg")         ? QStringLiteral("jpg")
                                                                 : QString();
        const QString suffix = QFileInfo(name).suffix().toLower();
        if (o.changed && !ext.isEmpty() && suffix != ext && !(ext == QLatin1String("jpg") && suffix == QLatin1String("jpeg")))
            a.name = QFileInfo(name).completeBaseName() + QLatin1Char('.') + ext;
    }
    a.bytes = a.data.size();
    return a;
}

} // namespace Spool
