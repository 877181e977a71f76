import Hub
import JSON

/// The shop's day's fields of the beacons (README "Beacon fields"): where a session came
/// from, how long a page was seen, and a shop's own events. Each is bounded as every field.
extension Beacon {
    enum DayLimit {
        static let referrer = 2048
        static let utm = 128
        static let eventName = 64
        static let props = 8
        static let propKey = 40
        static let propValue = 256
        /// A heartbeat reports at most 10 minutes seen (the tracker sends one every 15 s).
        static let engaged: Int64 = 600_000
    }

    /// The referrer's host (without `www.`) and the UTM tags, nil when none is given.
    static func origin(_ fields: BodyFields) throws(APIError) -> PresenceHub.Origin? {
        var referrerHost: String?
        if let referrer = try fields.text("referrer", max: DayLimit.referrer) {
            guard let host = host(of: referrer) else { throw invalid("referrer must be an http or https URL") }
            referrerHost = host
        }
        let origin = PresenceHub.Origin(referrerHost: referrerHost, utmSource: try tag(fields, "utm_source"),
                                        utmMedium: try tag(fields, "utm_medium"), utmCampaign: try tag(fields, "utm_campaign"))
        return origin.isEmpty ? nil : origin
    }

    private static func tag(_ fields: BodyFields, _ name: String) throws(APIError) -> String? {
        guard let text = try fields.text(name, max: DayLimit.utm) else { return nil }
        guard BodyFields.isPrintable(text) else { throw invalid("\(name) may not hold control characters") }
        return text.lowercased()
    }

    /// `https://www.News.example:443/a?b` → `news.example`.
    static func host(of url: String) -> String? {
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = lower.dropFirst(8) } else if lower.hasPrefix("http://") { rest = lower.dropFirst(7) } else { return nil }
        var host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = host.lastIndex(of: "@") { host = host[host.index(after: at)...] }
        if host.first != "[", let colon = host.firstIndex(of: ":") { host = host[..<colon] }
        if host.hasPrefix("www.") { host = host.dropFirst(4) }
        guard !host.isEmpty, host.utf8.count <= 253,
              host.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-.[]:_".unicodeScalars.contains($0)) })
        else { return nil }
        return String(host)
    }

    static func engaged(_ fields: BodyFields) throws(APIError) -> Int64? {
        guard let value = fields.body["engaged_ms"], value != .null else { return nil }
        guard case .number(let text) = value, let number = Int64(text), (0...DayLimit.engaged).contains(number) else {
            throw invalid("engaged_ms must be a whole number of milliseconds from 0 to \(DayLimit.engaged)")
        }
        return number
    }

    /// An event's name and its string properties.
    static func event(_ fields: BodyFields) throws(APIError) -> (String, [(String, String)]) {
        let name = try fields.required("name", max: DayLimit.eventName)
        guard BodyFields.isPrintable(name) else { throw invalid("name may not hold control characters") }
        guard let value = fields.body["props"], value != .null else { return (name, []) }
        guard case .object(let members) = value else { throw invalid("props must be an object of strings") }
        guard members.count <= DayLimit.props else { throw invalid("props has more than \(DayLimit.props) members") }
        var props: [(String, String)] = []
        for (key, member) in members {
            guard !key.isEmpty, key.utf8.count <= DayLimit.propKey, BodyFields.isPrintable(key) else {
                throw invalid("a props name must be 1 to \(DayLimit.propKey) bytes without control characters")
            }
            guard let text = member.scalarText, case .string = member else { throw invalid("props.\(key) must be a string") }
            guard text.utf8.count <= DayLimit.propValue, BodyFields.isPrintable(text) else {
                throw invalid("props.\(key) must be at most \(DayLimit.propValue) bytes without control characters")
            }
            guard !props.contains(where: { $0.0 == key }) else { throw invalid("props.\(key) is given twice") }
            props.append((key, text))
        }
        return (name, props)
    }
}
