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
        // Bytes, lower-cased once: `String.contains` went through Foundation for each mark
        // (about 600,000 instructions a session; callgrind, BENCHMARKS "The shop's day").
        let text = userAgent.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
        func has(_ mark: [UInt8]) -> Bool { Self.find(mark, in: text) }
        if Self.botMarks.contains(where: has) {
            self = .bot
        } else if has(Self.ipad) || has(Self.tabletMark) || (has(Self.android) && !has(Self.mobileMark)) {
            self = .tablet
        } else if has(Self.mobi) || has(Self.iphone) || has(Self.ipod) || has(Self.android) {
            self = .mobile
        } else {
            self = .desktop
        }
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return needle.isEmpty }
        var start = 0
        let last = haystack.count - needle.count
        while start <= last {
            if haystack[start] == first {
                var k = 1
                while k < needle.count && haystack[start + k] == needle[k] { k += 1 }
                if k == needle.count { return true }
            }
            start += 1
        }
        return false
    }

    static let ipad = Array("ipad".utf8), tabletMark = Array("tablet".utf8), android = Array("android".utf8)
    static let mobileMark = Array("mobile".utf8), mobi = Array("mobi".utf8), iphone = Array("iphone".utf8), ipod = Array("ipod".utf8)

    static let botMarks = [
        "bot", "crawl", "spider", "slurp", "headlesschrome", "phantomjs", "lighthouse", "curl/", "wget/", "python-",
        "httpclient", "okhttp", "go-http-client", "java/", "libwww", "facebookexternalhit", "preview", "monitor", "scrapy",
    ].map { Array($0.utf8) }
}
