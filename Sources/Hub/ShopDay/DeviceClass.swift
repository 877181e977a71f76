/// What kind of device a session's browser runs on, read once from the User-Agent of the
/// beacon that started it. Bots are sessions too (their beacons are answered), but they are
/// never counted as visitors.
public enum DeviceClass: UInt8, Sendable, CaseIterable {
    case desktop = 0, mobile, tablet, bot

    public var name: String {
        switch self {
        case .desktop: "desktop"
        case .mobile: "mobile"
        case .tablet: "tablet"
        case .bot: "bot"
        }
    }

    /// Crawlers name themselves (Google's "Googlebot", Bing's "bingbot", "crawler", "spider"
    /// and so on), scripted clients send their library's name, and headless browsers say so;
    /// a browser without a User-Agent is no browser. Tablets before phones: an iPad says
    /// "Mobile", and Android tablets are the Android user agents without "Mobile" (Google's
    /// "Mobile site and mobile-first indexing" guidance).
    public init(userAgent: String?) {
        guard let userAgent, !userAgent.isEmpty else {
            self = .bot
            return
        }
        let text = userAgent.lowercased()
        if Self.botMarks.contains(where: { text.contains($0) }) {
            self = .bot
        } else if text.contains("ipad") || text.contains("tablet") || (text.contains("android") && !text.contains("mobile")) {
            self = .tablet
        } else if text.contains("mobi") || text.contains("iphone") || text.contains("ipod") || text.contains("android") {
            self = .mobile
        } else {
            self = .desktop
        }
    }

    static let botMarks = [
        "bot", "crawl", "spider", "slurp", "headlesschrome", "phantomjs", "lighthouse", "curl/", "wget/", "python-",
        "httpclient", "okhttp", "go-http-client", "java/", "libwww", "facebookexternalhit", "preview", "monitor", "scrapy",
    ]
}
