#pragma once

#include <QString>

namespace Spool {

// How large attachments may be, and how large images are made before sending (`attachments/...`
// in spool.conf). The engine refuses files and messages above the limits; the front ends scale
// images down to imageMaxEdge pixels (their longer edge) before handing them over.
struct AttachmentLimits
{
    qint64 maxFileBytes = 20 * 1024 * 1024;    // attachments/max_file_bytes
    qint64 maxMessageBytes = 32 * 1024 * 1024; // attachments/max_message_bytes
    int imageMaxEdge = 2048;                   // attachments/image_max_edge

    static AttachmentLimits load(const QString &settingsPath);
};

} // namespace Spool
