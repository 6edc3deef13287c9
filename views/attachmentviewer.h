#pragma once

class QWidget;

namespace Spool {

struct Attachment;

// Opens an attachment of the transcript: an image full size in a scrollable window of its own
// (it does not block), any other file in the application the desktop has for it, from a copy
// in a private temporary folder. Says so when it cannot.
void openAttachment(QWidget *parent, const Attachment &attachment);

} // namespace Spool
