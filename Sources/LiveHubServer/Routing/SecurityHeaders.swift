import HTTP1

/// The page policy: what a browser may do with what the hub serves. Every answer says
/// "do not guess types" and "send no Referer" (the console's addresses stay ours); every
/// page and file adds a Content-Security-Policy (CSP Level 3) that lets scripts, styles
/// and connections come from the hub alone, with no inline script, no plugins, no
/// `<base>` and no framing, so a value that slipped into the DOM cannot run.
enum SecurityHeaders {
    /// Header lines written on every HTTP answer (after the answer's own).
    static let everyAnswer = Array("X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n".utf8)

    static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

    /// What a page or a file of the web root carries besides its type.
    static func forPage(contentType: String) -> HTTPHeaders {
        var headers = HTTPHeaders([("Content-Type", contentType)])
        headers.add(name: "Cache-Control", value: "no-cache")
        headers.add(name: "Content-Security-Policy", value: contentSecurityPolicy)
        // For browsers that predate frame-ancestors (RFC 7034).
        headers.add(name: "X-Frame-Options", value: "DENY")
        return headers
    }
}
