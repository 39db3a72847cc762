"""The security headers every kirok web application sends (the staff app and the public site).

No inline script or style anywhere and no third-party origin: every asset is vendored into the
package, so the strictest content security policy holds.
"""

from __future__ import annotations

from typing import Final

from starlette.responses import Response

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def secure(response: Response) -> Response:
    """Add the policy and the anti-sniffing, no-referrer and no-framing headers. A route that
    sends a narrower policy of its own (an SVG chart's) keeps it."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response
