import Glibc
import Hub

/// The files under `web/`, read once at start: the dashboard, the demo store, the tracker.
struct StaticFiles: Sendable {
    struct File: Sendable {
        let contentType: String
        let bytes: [UInt8]
    }

    private let files: [String: File]

    init(root: String) {
        var files: [String: File] = [:]
        for relative in Self.pages.map({ $0 + ".html" }) + ["index.html", "console.js", "payment-views.js", "console.css", "dashboard.js", "payments.js", "support.js",
                                                             "wallet.js", "funnels.js", "favicon.svg", "favicon.ico", "tracker.js",
                                                             "login.js", "audit.js", "login.css", "audit.css",
                                                             "demo/index.html", "demo/store.js", "demo/store.css",
                                                             "openapi.json", "docs/api.html", "docs/api.js", "docs/api.css"] {
            if let bytes = Self.read(root + "/" + relative) {
                files["/" + relative] = File(contentType: Self.contentType(of: relative), bytes: bytes)
            }
        }
        files["/"] = files["/index.html"]
        files["/demo/"] = files["/demo/index.html"]
        // The API reference (README "HTTP API"): the page that renders /openapi.json.
        files["/docs/api"] = files["/docs/api.html"]
        for page in Self.pages { files["/" + page] = files["/\(page).html"] }
        self.files = files
    }

    /// The console's pages besides the dashboard at `/`, each at its own name (`/payments`).
    static let pages = ["payments", "support", "wallet", "funnels", "login", "audit"]

    func file(at path: Substring) -> File? { files[String(path)] }

    private static func contentType(of name: String) -> String {
        if name.hasSuffix(".html") { return "text/html; charset=utf-8" }
        if name.hasSuffix(".js") { return "text/javascript; charset=utf-8" }
        if name.hasSuffix(".css") { return "text/css; charset=utf-8" }
        if name.hasSuffix(".json") { return "application/json" }
        if name.hasSuffix(".svg") { return "image/svg+xml" }
        if name.hasSuffix(".ico") { return "image/x-icon" }
        return "application/octet-stream"
    }

    private static func read(_ path: String) -> [UInt8]? { (try? FileBytes.read(path)) ?? nil }
}
