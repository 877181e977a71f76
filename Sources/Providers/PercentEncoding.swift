/// RFC 3986 §2.1 percent-encoding, keeping only the unreserved characters (§2.3: ALPHA,
/// DIGIT, "-", ".", "_", "~") as they are, so a reference with "/", "?", "#", "&", "=",
/// "[", "]", a quote or a space cannot change the path or the query it is put in.
enum PercentEncoding {
    private static let hex = Array("0123456789ABCDEF".utf8)

    static func encode(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One path segment. "." and ".." are dot-segments (RFC 3986 §3.3, §5.2.4) that a server
    /// may resolve before routing, so their dots are encoded too: a value is never a step up
    /// the path. (An empty value stays empty; each parser then refuses an answer about
    /// another reference than the one asked.)
    static func pathSegment(_ text: String) -> String {
        if text == "." || text == ".." { return String(repeating: "%2E", count: text.count) }
        return encode(text)
    }

    /// `name=value&…`, each name and value encoded.
    static func query(_ pairs: [(String, String)]) -> String {
        pairs.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }
}
