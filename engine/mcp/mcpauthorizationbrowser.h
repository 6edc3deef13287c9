#pragma once

#include "core/result.h"

#include <QObject>
#include <QUrl>

#include <functional>

namespace Spool {

// The user's consent step of the OAuth flow. The window opens the system browser and listens
// on a loopback redirect; tests and the conformance adapter follow the authorization URL's
// redirect headlessly (McpHeadlessBrowser). `done` gets the full URL the authorization server
// redirected to (with code and state), or an error (the user closed the browser, a timeout).
class McpAuthorizationBrowser
{
public:
    virtual ~McpAuthorizationBrowser() = default;
    // The redirect_uri registered with the authorization server.
    virtual QUrl redirectUri() const = 0;
    virtual void authorize(const QUrl &authorizationUrl, QObject *context,
                           std::function<void(Result<QUrl>)> done) = 0;
};

} // namespace Spool
