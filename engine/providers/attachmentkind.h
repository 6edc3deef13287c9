#pragma once

#include "providers/chatmessage.h"

#include <QJsonObject>

namespace Spool {

// What an attachment is, as far as providers care: images (PNG, JPEG, GIF, WebP), PDF
// documents, text (text/* and the types that derive from text/plain: JSON, scripts, XML).
bool isImageAttachment(const Attachment &attachment);
bool isPdfAttachment(const Attachment &attachment);
bool isTextAttachment(const Attachment &attachment);
// The tape's {name, mime, bytes, sha256}, without the content.
Attachment attachmentFromJson(const QJsonObject &json);

} // namespace Spool
