#pragma once

#include "tools/tool.h"
#include "tools/tooloptions.h"

namespace Spool {

// `http.fetch`: GET (or HEAD) one http(s) URL and return the status, the final URL, the content
// type and the body as text.
//
// The tool resolves the host name itself and connects to an address it has checked
// (AddressPolicy: no loopback, private, link-local or CGNAT address unless allowed), keeping
// the name for the Host header, TLS SNI and certificate checks; the address the socket ends up
// connected to is checked again. A name with any refused address is refused as a whole, so a
// DNS answer that mixes a public and a private address (a rebinding setup) gets nowhere. Each
// redirect is a new URL and goes through all of it again, up to Http::maxRedirects.
//
// Caps: Http::timeoutMs for the whole fetch, redirects included; Http::maxBytes of body, where
// the download stops with a note; 64 KiB of response headers. Only the content types of
// Http::allowedContentTypes are read, with identity encoding. No proxy, no cookies, no
// credentials in URLs.
class HttpFetchTool : public Tool
{
public:
    explicit HttpFetchTool(const ToolOptions &options);
    ToolSpec spec() const override;
    ToolJob *start(const ToolInvocation &invocation, QObject *parent) override;
    // {"kind": "url", "url", "method", "host"} or {"kind": "error", "error"} for a URL the tool
    // would refuse before any network access.
    QJsonObject approvalPreview(const ToolInvocation &invocation) const override;

    // Whether `mediaType` ("text/html", no parameters) matches one of `allowed`.
    static bool contentTypeAllowed(const QString &mediaType, const QStringList &allowed);

private:
    ToolOptions m_options;
};

} // namespace Spool
